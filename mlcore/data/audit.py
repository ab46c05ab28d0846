"""Label audit of pooled files: a block of one file's samples that carries another class's label.

Public files are not always what they say: in nist26_valid_2016oct.mat the 50 samples labelled R are
all U's. Each file's classes are judged by the other files' class means (nearest mean, by correlation,
a rough classifier that needs no training): a class whose samples are almost never read as their own
class while most of them are read as one other class is that other class under a wrong label, and is
left out of the pool. A class the other files merely read poorly (no majority for any one other class)
is kept: that is handwriting varying, not a wrong label.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OWN_AT_MOST = 0.1      # a mislabelled block is read as its own label by at most this share...
OTHER_AT_LEAST = 0.5   # ...and as one other class by at least this share


@dataclass(frozen=True)
class Mislabelled:
    file: int        # index into the files audited
    label: int       # the class the file says
    looks_like: int  # the class its samples are read as
    share: float     # the share of them read as that class
    n: int

    def describe(self, files, classes) -> str:
        return (f"{files[self.file].name}: its {self.n} samples labelled {classes[self.label]} read as "
                f"{classes[self.looks_like]} ({self.share:.0%}); left out")


def _unit_rows(X: np.ndarray) -> np.ndarray:
    Z = X - X.mean(axis=1, keepdims=True)
    return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-9)


def _read_by_others(k: int, xs: list[np.ndarray], ys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The classes the other files have, and for each sample of file k the nearest of their class means."""
    X = np.concatenate([x for j, x in enumerate(xs) if j != k])
    y = np.concatenate([v for j, v in enumerate(ys) if j != k])
    present = np.unique(y)
    means = _unit_rows(np.stack([X[y == c].mean(axis=0) for c in present]))
    return present, present[np.argmax(_unit_rows(xs[k]) @ means.T, axis=1)]


def _suspects(xs: list[np.ndarray], ys: list[np.ndarray], n_classes: int) -> list[Mislabelled]:
    found = []
    for k in range(len(xs) if len(xs) > 1 else 0):
        judged, read = _read_by_others(k, xs, ys)
        for label in np.intersect1d(np.unique(ys[k]), judged):
            votes = np.bincount(read[ys[k] == label], minlength=n_classes) / np.sum(ys[k] == label)
            own, votes[label] = votes[label], 0.0
            other = int(np.argmax(votes))
            if own <= OWN_AT_MOST and votes[other] >= OTHER_AT_LEAST:
                found.append(Mislabelled(k, int(label), other, float(votes[other]), int(np.sum(ys[k] == label))))
    return found


def audit_labels(xs: list[np.ndarray], ys: list[np.ndarray], n_classes: int) -> list[Mislabelled]:
    """The (file, class) blocks that are another class under a wrong label; xs, ys: each file's rows and
    labels. A class is judged only where other files have it too.

    The clearest block is taken out before the others are judged again: a wrong block also spoils the
    class mean that the same class of the other files is judged by."""
    xs, ys, found = list(xs), list(ys), []
    while suspects := _suspects(xs, ys, n_classes):
        worst = max(suspects, key=lambda m: m.share)
        found.append(worst)
        keep = ys[worst.file] != worst.label
        xs[worst.file], ys[worst.file] = xs[worst.file][keep], ys[worst.file][keep]
    return found
