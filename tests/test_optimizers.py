import numpy as np
import pytest

from mlcore.layers import Dense
from mlcore.network import Network
from mlcore.optimizers import SGD, Adam, StepDecay, make_optimizer


def _one_layer(grad_W, grad_b, W=None):
    layer = Dense(2, 2, dtype=np.float64)
    if W is not None:
        layer.params["W"] = np.array(W, dtype=np.float64)
    layer.grads = {"W": np.array(grad_W, dtype=np.float64), "b": np.array(grad_b, dtype=np.float64)}
    return Network([layer], input_shape=(2,)), layer


def test_sgd_step_is_lr_times_gradient():
    net, layer = _one_layer([[1.0, 2.0], [3.0, 4.0]], [1.0, -1.0], W=np.zeros((2, 2)))
    SGD(0.1).step(net)
    np.testing.assert_allclose(layer.params["W"], [[-0.1, -0.2], [-0.3, -0.4]])
    np.testing.assert_allclose(layer.params["b"], [-0.1, 0.1])


def test_momentum_accumulates_velocity():
    net, layer = _one_layer([[1.0, 0.0], [0.0, 0.0]], [0.0, 0.0], W=np.zeros((2, 2)))
    opt = SGD(1.0, momentum=0.5)
    opt.step(net)
    opt.step(net)  # same gradient: v = 1, then 0.5 + 1 = 1.5
    assert layer.params["W"][0, 0] == pytest.approx(-2.5)


def test_adam_first_step_has_size_lr_in_every_coordinate():
    # With bias correction, Adam's first update is lr * g / |g| (up to eps).
    net, layer = _one_layer([[1e-3, -5.0], [2.0, 1e2]], [0.3, -0.3], W=np.zeros((2, 2)))
    Adam(0.01).step(net)
    np.testing.assert_allclose(layer.params["W"], -0.01 * np.sign([[1e-3, -5.0], [2.0, 1e2]]), rtol=1e-4)


def test_adam_matches_reference_recursion(rng):
    g = rng.standard_normal((5, 2, 2))
    net, layer = _one_layer(g[0], [0.0, 0.0], W=np.zeros((2, 2)))
    opt = Adam(0.05, beta1=0.8, beta2=0.9)
    m = v = np.zeros((2, 2))
    w = np.zeros((2, 2))
    for t in range(1, 6):
        layer.grads["W"] = g[t - 1]
        opt.step(net)
        m = 0.8 * m + 0.2 * g[t - 1]
        v = 0.9 * v + 0.1 * g[t - 1] ** 2
        w = w - 0.05 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.9**t)) + 1e-8)
    np.testing.assert_allclose(layer.params["W"], w, rtol=1e-6)


def test_weight_decay_applies_to_weights_not_biases():
    net, layer = _one_layer(np.zeros((2, 2)), [0.0, 0.0], W=np.ones((2, 2)))
    layer.params["b"] = np.ones(2)
    SGD(0.1, weight_decay=0.5).step(net)
    np.testing.assert_allclose(layer.params["W"], 1 - 0.1 * 0.5)
    np.testing.assert_allclose(layer.params["b"], 1.0)


def test_step_decay():
    s = StepDecay(step=10, factor=0.5)
    assert [s(1.0, e) for e in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert StepDecay(0)(0.3, 100) == 0.3


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(0.0), "learning rate"),
    (lambda: SGD(float("nan")), "learning rate"),
    (lambda: SGD(0.1, momentum=1.0), "momentum"),
    (lambda: SGD(0.1, weight_decay=-1), "weight decay"),
    (lambda: Adam(0.1, beta1=1.5), "beta1"),
    (lambda: make_optimizer("rmsprop", 0.1), "unknown optimizer"),
    (lambda: StepDecay(-1), "decay step"),
    (lambda: StepDecay(5, 0.0), "decay factor"),
])
def test_bad_hyperparameters_are_refused_with_a_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()
