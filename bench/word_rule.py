"""The OCR's word rule (letters and digits chosen together per word) against its parameter.

    MLCORE_DATA_DIR=../shared/data python -m bench.word_rule [--model PATH] [--split valid]

The split's characters (validation by default: the parameter is chosen here, the test split is kept
for the figures) are dealt at random into tokens of 2 to 5 characters of three kinds: words of letters,
numbers of digits, and mixed tokens with one change of group ("4TH", "CB2": a run of one group, then a
run of the other). For each switch probability (`consistent_words`' `switch`, 0 = every word all
letters or all digits), prints the character accuracy on each kind, and their mean weighted as tokens
on a page might be (MIXED_SHARE of tokens mixed, the rest words and numbers as 3 to 1); then the reader's
rule, where a token read as letters that make no English word is read again with NONWORD_SWITCH. The
"words" are random strings of letters, almost none of them English: what that rule costs names and
abbreviations missing from the dictionary.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from mlcore.data.classes import is_letter
from mlcore.data.datasets import load_dataset
from mlcore.data.paths import default_classifier_path
from mlcore.model_io import load_classifier
from mlcore.ocr.postprocess import GROUP_SWITCH, NONWORD_SWITCH, consistent_words, english_lexicon

SWITCHES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
MIXED_SHARE = 0.05


def deal_tokens(y: np.ndarray, seed: int = 0) -> dict[str, list[list[int]]]:
    """Sample indices dealt into tokens of each kind; every sample is used at most once per kind."""
    rng = np.random.default_rng(seed)
    letters, digits = rng.permutation(np.flatnonzero(is_letter(y))), rng.permutation(np.flatnonzero(~is_letter(y)))

    def runs(pool, lengths):
        out, i = [], 0
        for n in lengths:
            if i + n > len(pool):
                break
            out.append(pool[i:i + n].tolist())
            i += n
        return out

    lengths = rng.integers(2, 6, size=len(y))
    tokens = {"words": runs(letters, lengths), "numbers": runs(digits, lengths)}
    half = len(digits) // 2
    heads = runs(rng.permutation(digits)[:half], rng.integers(1, 3, size=len(y)))
    tails = runs(rng.permutation(letters), rng.integers(1, 4, size=len(heads)))
    tokens["mixed"] = [h + t if k % 2 else t + h for k, (h, t) in enumerate(zip(heads, tails))]
    return tokens


def accuracy(pred: np.ndarray, y: np.ndarray, tokens: list[list[int]]) -> float:
    idx = np.concatenate(tokens)
    return float(np.mean(pred[idx] == y[idx]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(default_classifier_path()))
    parser.add_argument("--split", choices=("valid", "test"), default="valid")
    args = parser.parse_args()
    model = load_classifier(args.model)
    split = getattr(load_dataset(model.metadata.get("data", {}).get("dataset")), args.split)
    proba = model.network.predict_proba(split.X)
    kinds = deal_tokens(split.y)
    print(f"{args.split} split, {', '.join(f'{len(v)} {k}' for k, v in kinds.items())}; "
          f"no rule (each character alone): " + ", ".join(
              f"{k} {100 * accuracy(proba.argmax(1), split.y, v):.1f}" for k, v in kinds.items()))
    print(f"| switch | words | numbers | mixed | weighted ({100 * MIXED_SHARE:g}% mixed) |\n|---|---|---|---|---|")
    for switch in SWITCHES:
        _row(f"{switch:g}{' (shipped)' if switch == GROUP_SWITCH else ''}",
             {k: accuracy(consistent_words(proba, v, switch), split.y, v) for k, v in kinds.items()})
    lexicon = english_lexicon(model.classes)
    _row(f"{GROUP_SWITCH:g}, then {NONWORD_SWITCH:g} where letters make no English word (the reader)",
         {k: accuracy(lexicon.reread_nonwords(proba, v, consistent_words(proba, v)), split.y, v)
          for k, v in kinds.items()})
    return 0


def _row(label: str, acc: dict[str, float]) -> None:
    weighted = (1 - MIXED_SHARE) * (0.75 * acc["words"] + 0.25 * acc["numbers"]) + MIXED_SHARE * acc["mixed"]
    print(f"| {label} | {100 * acc['words']:.2f} | {100 * acc['numbers']:.2f} | {100 * acc['mixed']:.2f} | "
          f"{100 * weighted:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
