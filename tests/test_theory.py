"""Each identity the Theory page draws, checked against an independent truth."""
import numpy as np
import pytest

from mlcore import theory
from mlcore.activations import ACTIVATIONS

X = np.linspace(-12, 12, 2401)


def test_activation_derivatives_from_backward_match_the_closed_forms():
    s = 1 / (1 + np.exp(-X))
    closed = {"sigmoid": (s, s * (1 - s)), "tanh": (np.tanh(X), 1 / np.cosh(X) ** 2),
              "relu": (np.maximum(X, 0), (X > 0).astype(float))}
    for name, (value, derivative) in closed.items():
        curve = theory.activation_curve(name, X)
        np.testing.assert_allclose(curve.value, value, atol=1e-15)
        np.testing.assert_allclose(curve.derivative, derivative, atol=1e-15)


def test_derivative_over_value_ratios():
    sig = theory.activation_curve("sigmoid", X)
    np.testing.assert_allclose(sig.ratio, 1 - sig.value, atol=1e-12)  # the homework's figure 1(c): 1 - sigma
    relu = theory.activation_curve("relu", X)
    assert np.isnan(relu.ratio[X <= 0]).all()  # value 0: no ratio, not a division warning
    np.testing.assert_allclose(relu.ratio[X > 0], 1 / X[X > 0])


def test_the_sigmoid_peak_gradient_and_where_tanh_falls_below_it():
    assert theory.activation_curve("sigmoid", X).derivative.max() == pytest.approx(theory.SIGMOID_PEAK_GRADIENT)
    x, t = theory.tanh_sigmoid_crossover()
    assert t == pytest.approx(np.sqrt(3) / 2, abs=1e-15)
    assert x == pytest.approx(1.3169578969248166, abs=1e-12)
    assert 1 - np.tanh(x) ** 2 == pytest.approx(0.25, abs=1e-15)
    curve = theory.activation_curve("tanh", X)
    assert np.all((curve.derivative > 0.25) == (np.abs(curve.value) < t))


def test_tanh_is_a_rescaled_sigmoid():
    assert theory.tanh_identity_error(X) < 1e-12
    np.testing.assert_allclose(theory.tanh_as_sigmoid(X), np.tanh(X), atol=1e-12)


@pytest.mark.parametrize("c", [-50.0, -3.5, 0.0, 7.0, 100.0])
def test_softmax_is_invariant_to_a_shift(rng, c):
    x = rng.standard_normal((4, 6)) * 3
    s = theory.softmax_shift(x, c)
    # the naive formula is the mathematical definition: where it does not overflow, it is the truth
    np.testing.assert_allclose(s.naive, theory.naive_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(s.stable, s.unshifted, rtol=1e-12)
    np.testing.assert_allclose(s.unshifted, np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("c", [1000.0, -1000.0])
def test_naive_softmax_breaks_on_large_inputs_and_the_shifted_one_does_not(c):
    s = theory.softmax_shift(np.array([1.0, 2.0, 3.0]), c)
    assert np.isnan(s.naive).all()  # inf/inf, or 0/0
    assert (np.isinf(s.exp).all() if c > 0 else (s.exp == 0).all())
    assert s.stable.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(s.stable, [0.09003057, 0.24472847, 0.66524096], atol=1e-8)


def test_parse_vector_validates_the_logits():
    np.testing.assert_array_equal(theory.parse_vector(" 1, 2.5 -3 "), [1, 2.5, -3])
    for bad in ["", "1, two", "1, nan", "inf", ", ".join("1" * 13)]:
        with pytest.raises(ValueError):
            theory.parse_vector(bad)


@pytest.mark.parametrize("n_layers", [1, 2, 5, 20])
def test_stacked_linear_layers_are_one_linear_map(n_layers):
    check = theory.stacked_linear_check(n_layers, width=6)
    assert check.linear_error < 1e-9 * max(1.0, np.abs(check.stacked).max())
    layers = theory.linear_stack([6] * (n_layers + 1), seed=0)  # the same layers, rebuilt
    W = np.linalg.multi_dot([np.eye(6)] + [layer.params["W"] for layer in layers])
    np.testing.assert_allclose(check.W, W, rtol=1e-12)


def test_two_linear_layers_collapse_to_W1_W2_and_b1_W2_plus_b2(rng):
    layers = theory.linear_stack([3, 5, 2], seed=3)
    (W1, b1), (W2, b2) = [(layer.params["W"], layer.params["b"]) for layer in layers]
    W, b = theory.collapse(layers)
    np.testing.assert_allclose(W, W1 @ W2, rtol=1e-14)
    np.testing.assert_allclose(b, b1 @ W2 + b2, rtol=1e-14)
    x = rng.standard_normal((7, 3))
    np.testing.assert_allclose(theory.run_stack(layers, x), (x @ W1 + b1) @ W2 + b2, rtol=1e-12)


@pytest.mark.parametrize("between", sorted(ACTIVATIONS))
def test_an_activation_between_the_layers_breaks_the_collapse(between):
    assert theory.stacked_linear_check(3, between=between).nonlinear_error > 0.1


def test_sigmoid_gradients_vanish_in_a_deep_network_and_relu_he_ones_do_not():
    sig = theory.layer_gradient_norms(10, "sigmoid", "xavier")
    relu = theory.layer_gradient_norms(10, "relu", "he")
    assert len(sig) == len(relu) == 11  # ten hidden layers and the output layer
    assert sig[0] / sig[-1] < 1e-4
    assert np.all(np.diff(np.log(sig)) > 0)  # smaller at every step down
    assert 0.1 < relu[0] / relu[-1] < 10


def test_zero_weights_block_every_hidden_gradient():
    norms = theory.layer_gradient_norms(3, "sigmoid", "zeros")
    assert np.all(norms[:-1] == 0) and norms[-1] > 0


@pytest.mark.parametrize("args", [(0, "sigmoid", "xavier"), (21, "sigmoid", "xavier"), (3, "swish", "xavier"),
                                  (3, "relu", "uniform"), (2.5, "relu", "he")])
def test_gradient_norms_refuse_bad_parameters(args):
    with pytest.raises(ValueError):
        theory.layer_gradient_norms(*args)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_small_network_gradient_check(name):
    check = theory.small_gradient_check(name, hidden=5)
    assert check.max_error < 1e-6
    assert set(check.errors) == {"0.W", "0.b", "2.W", "2.b", "input"}
    assert sum(p.numerical.size for p in check.pairs) == 4 * 5 + 5 + 5 * 3 + 3 + 6 * 4  # every entry


@pytest.mark.parametrize("call", [lambda: theory.stacked_linear_check(0), lambda: theory.stacked_linear_check(21),
                                  lambda: theory.stacked_linear_check(2, between="swish"),
                                  lambda: theory.small_gradient_check("swish"),
                                  lambda: theory.small_gradient_check("relu", hidden=0)])
def test_the_other_checks_refuse_bad_parameters(call):
    with pytest.raises(ValueError):
        call()
