"""Scoring a reading against the true text, as the README of the pages defines it."""
from __future__ import annotations

import re

import numpy as np


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    prev = np.arange(len(b) + 1)
    for i, ca in enumerate(a, 1):
        cur = np.empty_like(prev)
        cur[0] = i
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return int(prev[-1])


def scored_characters(text: str) -> str:
    """What accuracy is computed over: A-Z and 0-9 only, upper-cased, everything else dropped."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def character_accuracy(predicted: str, reference: str) -> float:
    """1 - edit distance / reference length, over A-Z0-9 with everything else removed."""
    ref = scored_characters(reference)
    if not ref:
        return 1.0 if not scored_characters(predicted) else 0.0
    return 1.0 - edit_distance(scored_characters(predicted), ref) / len(ref)


def word_break_accuracy(predicted: str, reference: str) -> float | None:
    """Share of the reference's character boundaries whose break / no-break is right.

    Only defined when both texts have the same characters per line (otherwise
    the boundaries cannot be paired); None then.
    """
    p_lines, r_lines = predicted.split("\n"), reference.split("\n")
    if len(p_lines) != len(r_lines):
        return None
    right = total = 0
    for p, r in zip(p_lines, r_lines):
        pb, rb = _boundaries(p), _boundaries(r)
        if len(pb) != len(rb):
            return None
        right += sum(x == y for x, y in zip(pb, rb))
        total += len(rb)
    return right / total if total else 1.0


def _boundaries(line: str) -> list[bool]:
    words = [w for w in line.split(" ") if w]
    flags = []
    for w in words:
        flags += [True] + [False] * (len(w) - 1)
    return flags[1:]
