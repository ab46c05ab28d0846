"""Where a 36-way classifier's digit errors come from, and what a class prior trades.

    MLCORE_DATA_DIR=../shared/data python bench/digit_letter_tradeoff.py [--model data/models/classifier.npz]

Balanced training gives every class the same prior, although the shared data
holds twenty times more samples of each digit than of each letter. Many
isolated characters are ambiguous (0/O, 2/Z, 5/S, 1/I): with equal priors the
letter often wins, which costs digit accuracy; with the data's prior the digit
wins, which costs letter accuracy. This prints, on the valid and test splits:
- digit errors split into digit->letter and digit->digit, and the accuracy
  within each group (argmax among its own classes only: what a reader who
  knows it is a digit would get);
- letters, digits and balanced accuracy when the log of the training set's
  class frequencies, times lambda, is added to the log probabilities
  (lambda 0: the classifier as it is; 1: the data's own prior).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcore.data.classes import is_letter  # noqa: E402
from mlcore.data.datasets import load_dataset  # noqa: E402
from mlcore.data.paths import default_classifier_path  # noqa: E402
from mlcore.metrics import accuracy, classification_report  # noqa: E402
from mlcore.model_io import load_classifier  # noqa: E402

LAMBDAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = load_classifier(args.model or default_classifier_path())
    dataset = load_dataset(model.metadata.get("data", {}).get("dataset"))
    n_classes = len(dataset.classes)
    log_prior = np.log(np.bincount(dataset.train.y, minlength=n_classes) / len(dataset.train.y))
    letter_cols = is_letter(np.arange(n_classes))
    print(f"model {args.model or default_classifier_path()}: {model.network.describe()}")
    for split in ("valid", "test"):
        data = getattr(dataset, split)
        log_p = np.log(np.clip(model.network.predict_proba(data.X), 1e-30, None))
        pred = log_p.argmax(1)
        digits = ~is_letter(data.y)
        wrong = digits & (pred != data.y)
        within_digits = np.where(~letter_cols, log_p, -np.inf).argmax(1)
        within_letters = np.where(letter_cols, log_p, -np.inf).argmax(1)
        print(f"\n{split}: {digits.sum()} digits, {wrong.sum()} wrong: {(wrong & is_letter(pred)).sum()} read as a "
              f"letter, {(wrong & ~is_letter(pred)).sum()} as another digit")
        print(f"  within their group: letters {100 * accuracy(data.y[~digits], within_letters[~digits]):.1f}%, "
              f"digits {100 * accuracy(data.y[digits], within_digits[digits]):.1f}%")
        print("  | prior strength | letters | digits | balanced |\n  |---|---|---|---|")
        for lam in LAMBDAS:
            r = classification_report(data.y, (log_p + lam * log_prior).argmax(1), dataset.classes)
            print(f"  | {lam:g} | {100 * r['letters']['accuracy']:.1f} | {100 * r['digits']['accuracy']:.1f} | "
                  f"{100 * r['balanced_accuracy']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
