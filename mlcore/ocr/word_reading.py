"""What the word recogniser (mlcore.ocr.words) reads of a page's words, and what that says of each mark.

The reader cuts each word into marks and reads each mark alone; the word recogniser reads the word's image
whole, frame by frame. Its frames say how many characters a word holds (mlcore.ocr.counting) and, for each
mark, which characters its frames saw there (mark_probabilities). The two readers err differently: the
classifier reads one character well but alone, so that a "4" beside a B is made an H by the rule that words
are letters or digits; the recogniser saw "4B" written as digits and letters mix. Each mark's classes are
read by both (fused): the classifier's probabilities times the recogniser's raised to WORD_WEIGHT.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np

from mlcore.model_io import SavedModel
from mlcore.ocr.crops import character_crop
from mlcore.ocr.layout import Box
from mlcore.ocr.words import frame_column, log_probs, word_image

# Word image columns a page may have read (a character is some 22): a dense page of 400 characters has about
# 9,000. A bound on what a hostile photo of thousands of marks costs.
MAX_COLUMNS_READ = 40_000
# The recogniser's weight beside the classifier. On the validation split's pages (bench/ocr_conditions.py --split
# valid --pages 30, 20 conditions) 0.25 / 0.5 / 0.75 / 1 read 98.66 / 98.84 / 98.71 / 98.38 on average with the
# recogniser trained with bent characters and dropout (words.WordTraining; valid words read exactly 71.0%): 0.5
# read overlapping 97.15 and touching 98.35 against 96.59 and 97.95 at 0.25, and no condition more than 0.1 below
# the recogniser before it at 0.25 (mean 98.58; 24 px 99.17 against 99.27). That recogniser (65.8% of words) read
# best at 0.25: at 0.5, 16 px 0.6 worse, and at 1 every condition worse.
WORD_WEIGHT = 0.5
# Added to every class's sum over a mark's frames before they are normalised: a mark in which the recogniser saw no
# character is left to the classifier (every class nearly alike), and one frame's character is not made certain.
# 0.05 read the validation split's pages as well on average (98.53).
FLOOR = 0.01


@dataclass(frozen=True)
class WordFrames:
    """The recogniser's reading of one word: per-frame class log-probabilities (frames, classes + blank), how
    many image columns an ink column became, the page column of the word image's first ink column, the
    classes (the blank not among them), and its weight beside the classifier in the word's reading (fused; None:
    WORD_WEIGHT)."""
    logp: np.ndarray
    x_scale: float
    left: int
    classes: tuple[str, ...]
    weight: float | None = None

    def columns(self, frames) -> np.ndarray:
        """The page column at the centre of each of `frames` (frame indices, fractional for a run's middle)."""
        return self.left + frame_column(np.asarray(frames, dtype=float), self.x_scale)


def word_spans(breaks: list[list[bool]]) -> list[tuple[int, int, int]]:
    """(line, first, end) of every word: its marks are lines[line][first:end]."""
    spans = []
    for li, brk in enumerate(breaks):
        starts = [k for k, is_break in enumerate(brk) if k == 0 or is_break]
        spans += [(li, a, b) for a, b in zip(starts, starts[1:] + [len(brk)])]
    return spans


def read_words(words: list[list[Box]], ink: np.ndarray, labels: np.ndarray, char_height: float,
               recogniser: SavedModel) -> list[WordFrames | None]:
    """The recogniser's (words.load_word_cnn) reading of each word (its marks), in order; None past
    MAX_COLUMNS_READ columns."""
    images, columns = [], 0
    for word in words:
        whole = reduce(Box.merge, word)
        soft, _ = character_crop(ink, labels, whole)
        image, x_scale = word_image(soft, char_height)
        columns += image.shape[1]
        if columns > MAX_COLUMNS_READ:
            break
        images.append((image, x_scale, max(whole.left - 2, 0)))   # character_crop's margin of 2
    logps = log_probs(recogniser.network, [image for image, _, _ in images])
    classes = tuple(recogniser.classes[:-1])
    read = [WordFrames(logp, x_scale, left, classes) for logp, (_, x_scale, left) in zip(logps, images)]
    return read + [None] * (len(words) - len(read))


def marks_holding(word: list[Box], columns) -> np.ndarray:
    """The mark of `word` each of the page columns `columns` falls in: the first whose columns hold it, or
    else the one whose centre is nearest."""
    lefts, rights = np.array([b.left for b in word]), np.array([b.right for b in word])
    x = np.asarray(columns, dtype=float)[:, None]
    inside = (lefts <= x) & (x < rights)
    nearest = np.abs((lefts + rights) / 2 - x).argmin(axis=1)
    return np.where(inside.any(axis=1), inside.argmax(axis=1), nearest)


def mark_probabilities(frames: WordFrames, word: list[Box]) -> np.ndarray:
    """Each mark's classes as the recogniser saw them (marks, classes): the probability of each class summed
    over the frames in the mark (marks_holding), FLOOR added, normalised."""
    seen = np.exp(frames.logp[:, :-1])
    held = marks_holding(word, frames.columns(np.arange(len(seen))))
    sums = np.zeros((len(word), seen.shape[1]))
    np.add.at(sums, held, seen)
    sums += FLOOR
    return sums / sums.sum(axis=1, keepdims=True)


def fused(probs: np.ndarray, classes, frames: WordFrames | None, word: list[Box]) -> np.ndarray:
    """A word's class probabilities (marks, `classes`) as the classifier (`probs`) and the recogniser (`frames`)
    read it together: their product, the recogniser's raised to its weight (frames.weight), normalised.
    Unchanged without frames, or when the classifier reads other classes than the recogniser (a model of digits
    alone, chosen on the Read page)."""
    if frames is None or not len(word) or tuple(classes) != frames.classes:
        return probs
    weight = WORD_WEIGHT if frames.weight is None else frames.weight
    logp = np.log(np.clip(probs, 1e-12, None)) + weight * np.log(mark_probabilities(frames, word))
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return (p / p.sum(axis=1, keepdims=True)).astype(probs.dtype)
