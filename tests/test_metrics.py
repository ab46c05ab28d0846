import numpy as np

from mlcore.data.classes import CLASSES
from mlcore.metrics import classification_report, source_report, within_group_accuracy

LETTER_O, ZERO, S, FIVE, A = (CLASSES.index(c) for c in "O0S5A")


def _proba(rows):
    """Probabilities from {class: p} rows, the rest spread evenly."""
    out = np.full((len(rows), len(CLASSES)), 0.0)
    for i, row in enumerate(rows):
        out[i, list(row)] = list(row.values())
        rest = 1.0 - sum(row.values())
        out[i, [k for k in range(len(CLASSES)) if k not in row]] = rest / (len(CLASSES) - len(row))
    return out


def test_within_group_accuracy_settles_look_alikes_across_groups_only():
    # A true 0 read as O (0 second), a true S read as 5 (S second), a true A read as S (A third).
    y = np.array([ZERO, S, A, FIVE])
    proba = _proba([{LETTER_O: 0.6, ZERO: 0.3}, {FIVE: 0.5, S: 0.4}, {S: 0.5, FIVE: 0.3, A: 0.1}, {FIVE: 0.9}])
    report = classification_report(y, proba.argmax(axis=1))
    assert report["accuracy"] == 0.25 and report["letters"]["accuracy"] == 0.0 and report["digits"]["accuracy"] == 0.5
    within = within_group_accuracy(y, proba)
    # Told "digit", the 0 is a 0; told "letter", the S is an S, but the A is still an S: shape, not group.
    assert within == {"letters": {"n": 2, "accuracy": 0.5}, "digits": {"n": 2, "accuracy": 1.0}}


def test_source_report_scores_each_source_on_its_own_samples():
    y = np.array([A, A, FIVE, FIVE, S])
    pred = np.array([A, S, FIVE, S, S])
    source = np.array([0, 0, 1, 1, 2])
    report = source_report(y, pred, source, ["nist", "mnist", "drawn", "unused"])
    assert list(report) == ["nist", "mnist", "drawn"]
    assert report["nist"]["accuracy"] == 0.5 and report["nist"]["letters"] == {"n": 2, "accuracy": 0.5}
    assert report["mnist"]["digits"] == {"n": 2, "accuracy": 0.5} and report["mnist"]["letters"]["n"] == 0
    assert report["drawn"]["n"] == 1 and report["drawn"]["accuracy"] == 1.0
