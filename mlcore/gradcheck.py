"""Numerical gradient check: backprop against central differences in float64.

For each parameter array (and the network's input) the error is the relative
distance of the whole gradient arrays, ||a - n|| / (||a|| + ||n||), which does
not blow up on entries that are zero in both.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlcore.activations import ACTIVATIONS
from mlcore.architectures import build_cnn, build_mlp, build_word_cnn
from mlcore.conv import ColumnWindows, Conv2D, Flatten, MaxPool2D, RowsToImages
from mlcore.layers import Dense, Standardize
from mlcore.losses import LOSSES

# In float64 a correct backward pass agrees with central differences (step 1e-6) to ~1e-9; a wrong one,
# even slightly, by far more than this.
TOLERANCE = 1e-6
EPS = 1e-6


@dataclass
class GradCheckResult:
    key: str          # '0.W', '1.b', ... or 'input'
    layer: str        # the layer kind the array belongs to
    rel_error: float
    n_checked: int


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def _numerical(f, arr: np.ndarray, idx: np.ndarray, eps: float) -> np.ndarray:
    flat = arr.reshape(-1)
    out = np.empty(len(idx))
    for j, i in enumerate(idx):
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        out[j] = (plus - minus) / (2 * eps)
    return out


def _entries(size: int, max_entries: int | None, rng) -> np.ndarray:
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    return np.sort(rng.choice(size, max_entries, replace=False))


@dataclass
class GradientPair:
    key: str               # '0.W', '1.b', ... or 'input'
    layer: str             # the layer kind the array belongs to
    analytic: np.ndarray   # backprop's gradient at the checked entries
    numerical: np.ndarray  # central differences at the same entries


def gradient_pairs(network, x, y, eps: float = EPS, max_entries: int | None = None,
                   seed: int = 0) -> list[GradientPair]:
    """Analytic and numerical gradients of the network's loss at (x, y), side by side.

    The network is copied to float64 first. `max_entries` caps how many entries
    of each array are perturbed (drawn at random with `seed`); None checks all.
    Layers run in evaluation mode so that the loss is a deterministic function.
    """
    net = network.astype(np.float64)
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)

    def loss():
        return net.loss.forward(net.forward(x, training=False), y)

    loss()
    dx = net.backward(net.loss.backward())
    arrays = [(key, layer.kind, layer.params[name], layer.grads[name].copy()) for key, layer, name in net.parameters()]
    arrays.append(("input", net.layers[0].kind, x, dx))
    pairs = []
    for key, kind, arr, analytic in arrays:
        idx = _entries(arr.size, max_entries, rng)
        pairs.append(GradientPair(key, kind, analytic.reshape(-1)[idx], _numerical(loss, arr, idx, eps)))
    return pairs


def gradient_check(network, x, y, eps: float = EPS, max_entries: int | None = None,
                   seed: int = 0) -> list[GradCheckResult]:
    """The relative error of backprop's gradient of each parameter array (and the input); see gradient_pairs."""
    return [GradCheckResult(p.key, p.layer, relative_error(p.analytic, p.numerical), len(p.numerical))
            for p in gradient_pairs(network, x, y, eps, max_entries, seed)]


def check_layer(layer, x: np.ndarray, eps: float = EPS, seed: int = 0) -> list[GradCheckResult]:
    """Gradient check of one layer under the scalar loss sum(r * layer(x)) with random r.

    A random linear read-out makes every output entry matter with a different
    weight, so a transposed or mis-summed gradient cannot cancel out.
    """
    layer.astype(np.float64)
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(layer.forward(x).shape)

    def loss():
        return float((r * layer.forward(x, training=False)).sum())

    loss()
    dx = layer.backward(r)
    results = []
    for key, owner, name in layer.parameters(""):
        arr = owner.params[name]
        num = _numerical(loss, arr, np.arange(arr.size), eps)
        results.append(GradCheckResult(key.lstrip("."), layer.kind, relative_error(owner.grads[name].reshape(-1), num),
                                       arr.size))
    results.append(GradCheckResult("input", layer.kind,
                                   relative_error(dx.reshape(-1), _numerical(loss, x, np.arange(x.size), eps)), x.size))
    return results


def check_loss(loss, logits: np.ndarray, y: np.ndarray, eps: float = EPS) -> GradCheckResult:
    """Gradient of a loss with respect to its input (the network's output)."""
    logits = np.array(logits, dtype=np.float64)
    loss.forward(logits, y)
    analytic = loss.backward()
    num = _numerical(lambda: loss.forward(logits, y), logits, np.arange(logits.size), eps)
    return GradCheckResult("input", loss.kind, relative_error(analytic.reshape(-1), num), logits.size)


def check_suite(seed: int = 0, eps: float = EPS, hidden=(12, 10)) -> dict[str, list[GradCheckResult]]:
    """Every layer type on its own, the losses, a whole MLP per activation, an autoencoder and a whole CNN.

    Returns {name: results}; names are layer kinds, loss kinds, and
    'network <description>' for the whole networks.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, list[GradCheckResult]] = {}
    out["dense"] = check_layer(Dense(7, 5, rng=rng, dtype=np.float64), rng.standard_normal((4, 7)), eps, seed)
    out["standardize"] = check_layer(Standardize(0.8, 0.3), rng.standard_normal((4, 7)), eps, seed)
    out["conv2d"] = check_layer(Conv2D(2, 3, 3, 1, 1, rng=rng), rng.standard_normal((2, 6, 6, 2)), eps, seed)
    out["conv2d stride 2"] = check_layer(Conv2D(2, 3, 3, 2, 0, rng=rng), rng.standard_normal((2, 7, 7, 2)), eps,
                                         seed)
    out["maxpool2d"] = check_layer(MaxPool2D(2), rng.standard_normal((2, 6, 4, 3)), eps, seed)
    out["flatten"] = check_layer(Flatten(), rng.standard_normal((2, 3, 3, 2)), eps, seed)
    out["rows_to_images"] = check_layer(RowsToImages(4), rng.standard_normal((2, 16)), eps, seed)
    out["column_windows"] = check_layer(ColumnWindows(1), rng.standard_normal((2, 3, 5, 2)), eps, seed)
    out["dense over frames"] = check_layer(Dense(6, 4, rng=rng, dtype=np.float64), rng.standard_normal((2, 5, 6)),
                                           eps, seed)
    for kind, cls in ACTIVATIONS.items():
        out[kind] = check_layer(cls(), rng.standard_normal((4, 7)), eps, seed)
    out["softmax_cross_entropy"] = [check_loss(LOSSES["softmax_cross_entropy"](), rng.standard_normal((4, 6)) * 3,
                                               rng.integers(0, 6, 4), eps)]
    out["mse"] = [check_loss(LOSSES["mse"](), rng.random((4, 6)), rng.random((4, 6)), eps)]
    # Two sequences over 6 frames of 4 classes (the last the blank), one with a repeated label.
    out["ctc"] = [check_loss(LOSSES["ctc"](), rng.standard_normal((2, 6, 4)), np.array([[0, 0, 2], [1, -1, -1]]), eps)]
    x, y = rng.standard_normal((8, 16)), rng.integers(0, 6, 8)
    for kind in ACTIVATIONS:
        net = build_mlp(hidden, kind, n_in=16, n_out=6, seed=seed, dtype=np.float64, standardize=(0.5, 2.0))
        out[f"network {net.describe()}"] = gradient_check(net, x, y, eps)
    ae = build_mlp(hidden, "relu", n_in=16, n_out=16, output_activation="sigmoid", loss="mse", seed=seed,
                   dtype=np.float64, standardize=(0.5, 2.0))
    images = rng.random((4, 16))
    out[f"network {ae.describe()}"] = gradient_check(ae, images, images, eps)
    cnn = build_cnn((3, 4), 8, n_out=6, size=8, seed=seed, dtype=np.float64, standardize=(0.5, 2.0))
    out[f"network {cnn.describe()}"] = gradient_check(cnn, rng.standard_normal((3, 64)), y[:3], eps)
    words = build_word_cnn((2, 3, 3), 5, n_out=4, height=8, width=12, seed=seed, dtype=np.float64)
    out["network word cnn (ctc)"] = gradient_check(words, rng.random((2, 8, 12, 1)), np.array([[0, 2], [1, -1]]), eps)
    return out
