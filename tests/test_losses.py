import numpy as np

from mlcore.losses import MeanSquaredError, SoftmaxCrossEntropy, log_softmax, softmax


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
