import itertools

import numpy as np
import pytest

from mlcore.losses import (
    ConnectionistTemporalClassification,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    ctc_log_likelihood,
    log_softmax,
    softmax,
)


def test_softmax_is_shift_invariant_and_normalised(rng):
    z = rng.standard_normal((5, 9))
    np.testing.assert_allclose(softmax(z), softmax(z + 123.4), rtol=1e-12)
    np.testing.assert_allclose(softmax(z).sum(1), 1.0)
    assert (softmax(z) > 0).all()


def test_softmax_stable_where_the_naive_formula_overflows():
    z = np.array([[1000.0, 1001.0, 1002.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive).all()
    e = np.exp([-2.0, -1.0, 0.0])
    np.testing.assert_allclose(softmax(z), [e / e.sum()])


def test_cross_entropy_is_mean_negative_log_probability(rng):
    z = rng.standard_normal((6, 4)) * 5
    y = rng.integers(0, 4, 6)
    loss = SoftmaxCrossEntropy().forward(z, y)
    expected = -np.mean(np.log(np.exp(z)[np.arange(6), y] / np.exp(z).sum(1)))
    assert np.isclose(loss, expected)


def test_cross_entropy_finite_for_confident_wrong_predictions():
    ce = SoftmaxCrossEntropy()
    loss = ce.forward(np.array([[0.0, 2000.0]]), np.array([0]))
    assert np.isclose(loss, 2000.0)
    np.testing.assert_allclose(ce.backward(), [[-1.0, 1.0]])
    np.testing.assert_allclose(log_softmax(np.array([[0.0, 2000.0]])), [[-2000.0, 0.0]])


def test_mse_is_summed_over_features_and_averaged_over_samples():
    mse = MeanSquaredError()
    assert mse.forward(np.array([[1.0, 2.0], [0.0, 0.0]]), np.zeros((2, 2))) == 2.5
    np.testing.assert_allclose(mse.backward(), [[1.0, 2.0], [0.0, 0.0]])


def _ctc_by_enumeration(log_probs: np.ndarray, labels: list[int]) -> float:
    """log P(labels) summed over every path of classes through the frames that reads as them (repeats
    merged, then the blank, the last class, dropped): CTC's definition, by brute force."""
    t, k = log_probs.shape
    total = -np.inf
    for path in itertools.product(range(k), repeat=t):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != k - 1] == labels:
            total = np.logaddexp(total, log_probs[np.arange(t), path].sum())
    return float(total)


def test_ctc_sums_every_alignment_of_the_labels(rng):
    log_probs = log_softmax(rng.standard_normal((3, 6, 4)))
    y = np.array([[0, 0, 1], [2, -1, -1], [1, 2, -1]])             # a repeat, one label, two
    expected = [_ctc_by_enumeration(lp, [c for c in row if c >= 0]) for lp, row in zip(log_probs, y)]
    np.testing.assert_allclose(ctc_log_likelihood(log_probs, y), expected, rtol=1e-12)
    assert np.isclose(ConnectionistTemporalClassification().forward(log_probs, y), -np.mean(expected))


def test_ctc_of_labels_the_frames_cannot_hold(rng):
    log_probs = log_softmax(rng.standard_normal((1, 2, 4)))
    assert ctc_log_likelihood(log_probs, np.array([[0, 0]])) == -np.inf   # a repeat needs a blank between: 3 frames
    with pytest.raises(ValueError, match="longer than its frames"):
        ConnectionistTemporalClassification().forward(log_probs, np.array([[0, 0]]))
    with pytest.raises(ValueError, match="below the blank"):
        ctc_log_likelihood(log_probs, np.array([[3]]))              # the blank is no label
