import numpy as np
import pytest

from mlcore.activations import ReLU, Sigmoid, Tanh, activation, sigmoid
from mlcore.architectures import build_mlp
from mlcore.gradcheck import check_suite, gradient_check
from mlcore.initializers import initialize
from mlcore.layers import Dense, Layer
from mlcore.network import Network


def test_dense_forward_is_affine_map(rng):
    layer = Dense(3, 2, rng=rng, dtype=np.float64)
    x = rng.standard_normal((4, 3))
    W, b = layer.params["W"], layer.params["b"]
    expected = np.array([[sum(x[n, i] * W[i, j] for i in range(3)) + b[j] for j in range(2)] for n in range(4)])
    np.testing.assert_allclose(layer.forward(x), expected)


def test_dense_backward_matches_hand_derivation(rng):
    # Q1.5: dJ/dx = W delta, dJ/dW = x^T delta, dJ/db = sum of delta over the batch.
    layer = Dense(3, 2, rng=rng, dtype=np.float64)
    x, delta = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    dx = layer.backward(delta)
    np.testing.assert_allclose(dx, delta @ layer.params["W"].T)
    np.testing.assert_allclose(layer.grads["W"], x.T @ delta)
    np.testing.assert_allclose(layer.grads["b"], delta.sum(0))


def test_xavier_uniform_variance_and_zero_bias():
    n_in, n_out = 1024, 64
    layer = Dense(n_in, n_out, rng=np.random.default_rng(0), dtype=np.float64)
    W = layer.params["W"]
    target = 2.0 / (n_in + n_out)
    assert abs(W.var() / target - 1) < 0.03
    assert np.abs(W).max() <= np.sqrt(6.0 / (n_in + n_out))
    assert not layer.params["b"].any()


def test_he_variance():
    W = initialize("he", (2000, 100), 2000, 100, np.random.default_rng(0), np.float64)
    assert abs(W.var() / (2.0 / 2000) - 1) < 0.03


@pytest.mark.parametrize("name", ["bogus", ""])
def test_unknown_names_are_refused(name):
    with pytest.raises(ValueError, match="unknown activation"):
        activation(name)
    with pytest.raises(ValueError, match="unknown initialisation"):
        initialize(name, (2, 2), 2, 2, np.random.default_rng(0), np.float64)


def test_activations_match_closed_forms():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x))
    np.testing.assert_allclose(ReLU().forward(x), np.maximum(x, 0))
    # The derivatives written through the outputs (Q1.4): s(1-s) and 1 - t^2.
    s = Sigmoid()
    s.forward(x)
    np.testing.assert_allclose(s.backward(np.ones_like(x)), np.exp(-x) / (1 + np.exp(-x)) ** 2, atol=1e-15)


def test_sigmoid_does_not_overflow_on_huge_inputs():
    with np.errstate(over="raise"):
        out = sigmoid(np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


def test_tanh_is_a_rescaled_sigmoid():
    x = np.linspace(-8, 8, 101)
    np.testing.assert_allclose(np.tanh(x), 2 * sigmoid(2 * x) - 1, atol=1e-12)


def test_gradient_check_every_layer_type_and_whole_networks():
    suite = check_suite(seed=0)
    assert {"dense", "sigmoid", "tanh", "relu", "softmax_cross_entropy", "mse", "ctc", "standardize", "conv2d",
            "maxpool2d", "flatten", "rows_to_images", "column_windows", "dense over frames"} <= set(suite)
    # An MLP per activation, an autoencoder, a CNN, a word CNN trained with CTC.
    assert sum(name.startswith("network") for name in suite) == 6
    for name, results in suite.items():
        for r in results:
            assert r.rel_error <= 1e-6, (name, r)


def test_gradient_check_catches_a_wrong_backward(rng):
    class BrokenTanh(Tanh):
        kind = "broken_tanh_for_test"

        def backward(self, grad, input_grad=True):
            return grad * (1.0 - self._y)  # wrong: should be 1 - y^2

    net = Network([Dense(5, 4, rng=rng, dtype=np.float64), BrokenTanh(), Dense(4, 3, rng=rng, dtype=np.float64)],
                  input_shape=(5,))
    results = gradient_check(net, rng.standard_normal((6, 5)), rng.integers(0, 3, 6))
    assert max(r.rel_error for r in results) > 1e-3


class _Scale(Layer):
    """A layer written to the base class's contract alone: y = x * s, one weight per feature."""

    def __init__(self, n: int, rng):
        super().__init__()
        self.params = {"s": rng.uniform(0.5, 1.5, n)}

    def forward(self, x, training=False):
        self._x = x
        return x * self.params["s"]

    def backward(self, grad, input_grad=True):
        self.grads["s"] = (grad * self._x).sum(axis=0)
        return grad * self.params["s"] if input_grad else None


def test_a_new_layer_written_to_the_base_contract_trains_as_the_first_layer(rng):
    # The network asks its first weighted layer for no input gradient (input_grad=False): the base
    # class's signature, which every layer follows.
    net = Network([_Scale(5, rng), Dense(5, 3, rng=rng, dtype=np.float64)], input_shape=(5,))
    x, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    net.loss_and_gradients(x, y)
    assert net.layers[0].grads["s"].shape == (5,)
    assert max(r.rel_error for r in gradient_check(net, x, y)) < 1e-6


def test_build_mlp_homework_shape():
    net = build_mlp((64,), "sigmoid")
    assert net.describe() == "1024-64(sigmoid)-36"
    assert net.n_parameters() == 1024 * 64 + 64 + 64 * 36 + 36
    x = np.random.default_rng(0).random((7, 1024)).astype(np.float32)
    p = net.predict_proba(x)
    assert p.shape == (7, 36) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(net.predict(x), p.argmax(1))


def test_build_mlp_validates_sizes():
    with pytest.raises(ValueError, match="positive integers"):
        build_mlp((64, 0))
    with pytest.raises(ValueError, match="dense layer expects"):
        Network([Dense(10, 3)], input_shape=(11,))


def test_dense_over_frames_is_the_same_map_on_every_frame(rng):
    layer = Dense(3, 2, rng=rng, dtype=np.float64)
    x = rng.standard_normal((4, 5, 3))
    np.testing.assert_allclose(layer.forward(x), layer.forward(x.reshape(20, 3)).reshape(4, 5, 2))
    assert layer.output_shape((5, 3)) == (5, 2)
