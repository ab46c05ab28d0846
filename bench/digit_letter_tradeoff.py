"""Where a 36-way classifier's digit errors come from, what a class prior trades, and what a word's
context recovers.

    MLCORE_DATA_DIR=../shared/data python -m bench.digit_letter_tradeoff [--model data/models/classifier.npz]

Balanced training gives every class the same prior, although the shared data holds several times
more samples of each digit than of each letter. Many isolated characters are ambiguous (0/O, 2/Z,
5/S, 1/I): with equal priors the letter often wins, which costs digit accuracy; with the data's
prior the digit wins, which costs letter accuracy. This prints, on the valid and test splits:
- digit errors split into digit->letter and digit->digit, and the accuracy within each group
  (argmax among its own classes only: what a reader who knows it is a digit would get);
- letters, digits and balanced accuracy when the log of the training set's class frequencies,
  times lambda, is added to the log probabilities (lambda 0: the classifier as it is; 1: the
  data's own prior);
- what the OCR's word rule (`consistent_words`: a word's letters and digits chosen together) recovers:
  the split's characters dealt at random into words of WORD_LENGTH of one group, then read.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mlcore.data.classes import is_letter
from mlcore.data.datasets import load_dataset
from mlcore.data.paths import default_classifier_path
from mlcore.metrics import classification_report, within_group_accuracy
from mlcore.model_io import load_classifier
from mlcore.ocr.postprocess import consistent_words

LAMBDAS = (0.0, 0.25, 0.5, 0.75, 1.0)
WORD_LENGTHS = (2, 4)


def words_of_one_group(y: np.ndarray, length: int, seed: int = 0) -> list[list[int]]:
    """The samples' indices dealt at random into words of `length`, each all letters or all digits."""
    rng = np.random.default_rng(seed)
    words = []
    for group in (is_letter(y), ~is_letter(y)):
        idx = rng.permutation(np.flatnonzero(group))
        words += [idx[i:i + length].tolist() for i in range(0, len(idx), length)]
    return words


def report_split(name: str, y: np.ndarray, proba: np.ndarray, log_prior: np.ndarray, classes) -> None:
    log_p = np.log(np.clip(proba, 1e-30, None))
    pred = log_p.argmax(1)
    digits = ~is_letter(y)
    wrong = digits & (pred != y)
    within = within_group_accuracy(y, proba)
    print(f"\n{name}: {digits.sum()} digits, {wrong.sum()} wrong: {(wrong & is_letter(pred)).sum()} read as a "
          f"letter, {(wrong & ~is_letter(pred)).sum()} as another digit")
    print(f"  within their group: letters {100 * within['letters']['accuracy']:.1f}%, "
          f"digits {100 * within['digits']['accuracy']:.1f}%")
    print("  | prior strength | letters | digits | balanced |\n  |---|---|---|---|")
    for lam in LAMBDAS:
        r = classification_report(y, (log_p + lam * log_prior).argmax(1), classes)
        print(f"  | {lam:g} | {100 * r['letters']['accuracy']:.1f} | {100 * r['digits']['accuracy']:.1f} | "
              f"{100 * r['balanced_accuracy']:.1f} |")
    print("  | word rule, words of | letters | digits |\n  |---|---|---|")
    for length in WORD_LENGTHS:
        r = classification_report(y, consistent_words(proba, words_of_one_group(y, length)), classes)
        print(f"  | {length} | {100 * r['letters']['accuracy']:.1f} | {100 * r['digits']['accuracy']:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = load_classifier(args.model or default_classifier_path())
    dataset = load_dataset(model.metadata.get("data", {}).get("dataset"))
    n_classes = len(dataset.classes)
    log_prior = np.log(np.bincount(dataset.train.y, minlength=n_classes) / len(dataset.train.y))
    print(f"model {args.model or default_classifier_path()}: {model.network.describe()}")
    for split in ("valid", "test"):
        data = getattr(dataset, split)
        report_split(split, data.y, model.network.predict_proba(data.X), log_prior, dataset.classes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
