"""The homework's theory questions (Q1), computed with the library's own layers.

Every curve and number here comes from the classes that train the networks
(activation layers' forward and backward, `softmax`, `Dense`, `build_mlp`,
the gradient check), so what the Theory page shows is what training does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlcore.activations import Sigmoid, Tanh, activation
from mlcore.architectures import build_mlp
from mlcore.gradcheck import TOLERANCE, GradientPair, gradient_pairs, relative_error
from mlcore.layers import Dense
from mlcore.losses import softmax

SIGMOID_PEAK_GRADIENT = 0.25   # sigma'(0) = sigma(0) (1 - sigma(0)) = 1/2 * 1/2
MAX_DEPTH = 20


@dataclass
class ActivationCurve:
    name: str
    x: np.ndarray
    value: np.ndarray        # f(x)
    derivative: np.ndarray   # f'(x), from the layer's backward pass

    @property
    def ratio(self) -> np.ndarray:
        """f'(x) / f(x): how much of the signal's size survives backprop; NaN where f(x) = 0."""
        out = np.full_like(self.value, np.nan)
        np.divide(self.derivative, self.value, out=out, where=self.value != 0)
        return out


def activation_curve(name: str, x: np.ndarray) -> ActivationCurve:
    """f and f' of the activation layer `name` at x. The derivative is what the layer's backward
    pass sends back for an upstream gradient of ones: the very numbers training multiplies by."""
    layer = activation(name)
    x = np.asarray(x, dtype=np.float64)
    value = layer.forward(x)
    return ActivationCurve(name, x, value, layer.backward(np.ones_like(x)))


def tanh_sigmoid_crossover() -> tuple[float, float]:
    """(x, tanh(x)) for x > 0 where tanh'(x) = 1 - tanh(x)^2 falls to the sigmoid's peak gradient.

    Below that |tanh(x)| every tanh unit passes back more gradient than the best sigmoid unit can.
    """
    t = np.sqrt(1.0 - SIGMOID_PEAK_GRADIENT)
    return float(np.arctanh(t)), float(t)


def tanh_as_sigmoid(x: np.ndarray) -> np.ndarray:
    """2 sigma(2x) - 1, from the Sigmoid layer: equal to tanh(x) (Q1.4)."""
    return 2.0 * Sigmoid().forward(2.0 * np.asarray(x, dtype=np.float64)) - 1.0


def tanh_identity_error(x: np.ndarray) -> float:
    """Largest |tanh(x) - (2 sigma(2x) - 1)| over x, the Tanh layer against the Sigmoid layer."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.max(np.abs(Tanh().forward(x) - tanh_as_sigmoid(x))))


def naive_softmax(z: np.ndarray) -> np.ndarray:
    """exp(z) / sum(exp(z)) as written: overflows to inf/inf = NaN for large z, 0/0 for very negative z."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        e = np.exp(np.asarray(z, dtype=np.float64))
        return e / e.sum(axis=-1, keepdims=True)


@dataclass
class SoftmaxShift:
    logits: np.ndarray      # x + c
    exp: np.ndarray         # exp(x + c), what the naive formula divides
    naive: np.ndarray       # naive_softmax(x + c)
    stable: np.ndarray      # the library's softmax(x + c), which subtracts the max first
    unshifted: np.ndarray   # softmax(x)


def softmax_shift(x: np.ndarray, c: float) -> SoftmaxShift:
    """Softmax of x shifted by c, naive and max-shifted, beside softmax(x) (Q1.1)."""
    x = np.asarray(x, dtype=np.float64)
    z = x + float(c)
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(z)
    return SoftmaxShift(z, e, naive_softmax(z), softmax(z), softmax(x))


def parse_vector(text: str, max_len: int = 12) -> np.ndarray:
    """Numbers separated by commas or spaces; ValueError with the reason for anything else."""
    parts = text.replace(",", " ").split()
    if not parts:
        raise ValueError("enter at least one number")
    if len(parts) > max_len:
        raise ValueError(f"at most {max_len} numbers, got {len(parts)}")
    try:
        values = np.array([float(p) for p in parts])
    except ValueError:
        raise ValueError(f"not a list of numbers: {text!r}") from None
    if not np.all(np.isfinite(values)):
        raise ValueError("the numbers must be finite")
    return values


def linear_stack(sizes: list[int], seed: int) -> list[Dense]:
    """Dense layers sizes[0] -> sizes[1] -> ... with random weights and biases (biases are
    zero at initialisation, which would hide their part in the collapsed map)."""
    rng = np.random.default_rng(seed)
    layers = [Dense(a, b, rng=rng, dtype=np.float64) for a, b in zip(sizes[:-1], sizes[1:])]
    for layer in layers:
        layer.params["b"] = rng.standard_normal(layer.n_out)
    return layers


def collapse(layers: list[Dense]) -> tuple[np.ndarray, np.ndarray]:
    """The single map (W, b) equal to the stack: x W1 + b1 then (.) W2 + b2 ... gives
    W = W1 W2 ..., b = (b1 W2 + b2) W3 + ... (Q1.3)."""
    W, b = np.eye(layers[0].n_in), np.zeros(layers[0].n_in)
    for layer in layers:
        W, b = W @ layer.params["W"], b @ layer.params["W"] + layer.params["b"]
    return W, b


def run_stack(layers: list[Dense], x: np.ndarray, between: str | None = None) -> np.ndarray:
    """The stack's output, with the activation `between` after every layer but the last (None: none)."""
    for i, layer in enumerate(layers):
        x = layer.forward(x)
        if between and i < len(layers) - 1:
            x = activation(between).forward(x)
    return x


@dataclass
class StackCheck:
    stacked: np.ndarray       # the stack's outputs without activations
    single: np.ndarray        # x W + b with the collapsed map
    nonlinear: np.ndarray     # the same layers with an activation between them
    W: np.ndarray

    @property
    def linear_error(self) -> float:
        return float(np.max(np.abs(self.stacked - self.single)))

    @property
    def nonlinear_error(self) -> float:
        return float(np.max(np.abs(self.nonlinear - self.single)))


def stacked_linear_check(n_layers: int, width: int = 8, between: str = "relu", n_samples: int = 200,
                         seed: int = 0) -> StackCheck:
    """Outputs of n_layers linear layers against their single collapsed map, and of the same
    layers with `between` as the activation, on random inputs. An unknown activation raises ValueError."""
    if not 1 <= n_layers <= MAX_DEPTH:
        raise ValueError(f"the number of layers must be between 1 and {MAX_DEPTH}, got {n_layers}")
    layers = linear_stack([width] * (n_layers + 1), seed)
    x = np.random.default_rng(seed + 1).standard_normal((n_samples, width))
    W, b = collapse(layers)
    return StackCheck(run_stack(layers, x), x @ W + b, run_stack(layers, x, between), W)


def layer_gradient_norms(depth: int, activation_name: str, init: str, width: int = 64, n_out: int = 36,
                         n_samples: int = 64, seed: int = 0) -> np.ndarray:
    """||dL/dW|| of every dense layer, input side first, of a freshly initialised MLP with `depth`
    hidden layers of `width` units, for the cross-entropy on a fixed random batch.

    Backprop multiplies by each layer's activation derivative and weights on the way down, so
    where those shrink the signal (sigmoid: at most 0.25 per layer) the first layers' gradients
    vanish; the initialisation sets how much each layer's weights scale it.
    """
    if not (isinstance(depth, (int, np.integer)) and 1 <= depth <= MAX_DEPTH):
        raise ValueError(f"depth must be an integer between 1 and {MAX_DEPTH}, got {depth!r}")
    # An unknown activation or initialisation is refused by build_mlp itself.
    net = build_mlp([width] * depth, activation_name, n_in=width, n_out=n_out, init=init, seed=seed,
                    dtype=np.float64)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n_samples, width)), rng.integers(0, n_out, n_samples)
    net.loss_and_gradients(x, y)
    return np.array([np.linalg.norm(layer.grads["W"]) for layer in net.layers if layer.kind == "dense"])


@dataclass
class SmallGradCheck:
    description: str
    pairs: list[GradientPair]

    @property
    def errors(self) -> dict[str, float]:
        return {p.key: relative_error(p.analytic, p.numerical) for p in self.pairs}

    @property
    def max_error(self) -> float:
        return max(self.errors.values())

    @property
    def agrees(self) -> bool:
        """Backprop passes the check: its largest relative error within gradcheck's TOLERANCE."""
        return self.max_error <= TOLERANCE


def small_gradient_check(activation_name: str, hidden: int = 5, n_in: int = 4, n_out: int = 3,
                         n_samples: int = 6, seed: int = 0) -> SmallGradCheck:
    """Backprop against central differences on every weight, bias and input of a tiny MLP."""
    if not 1 <= hidden <= 32:
        raise ValueError(f"hidden units must be between 1 and 32, got {hidden}")
    net = build_mlp((hidden,), activation_name, n_in=n_in, n_out=n_out, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n_samples, n_in)), rng.integers(0, n_out, n_samples)
    return SmallGradCheck(net.describe(), gradient_pairs(net, x, y))
