"""The layer abstraction and the fully connected layer.

A layer maps a batch forward, caches what its backward pass needs, and turns
the gradient of the loss with respect to its output into the gradient with
respect to its input, storing the gradients of its own parameters in `grads`.
Every subclass with a `kind` is registered, so model files can rebuild it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from mlcore.initializers import initialize

LAYER_TYPES: dict[str, type["Layer"]] = {}


class Layer:
    kind: ClassVar[str] = ""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            LAYER_TYPES[cls.kind] = cls

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x (N, *input_shape) -> (N, *output_shape); keeps what backward needs. `training` turns on
        what only training does (dropout)."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """grad (N, *output_shape), of the loss w.r.t. the last forward's output -> the same w.r.t. its input,
        (N, *input_shape); leaves the parameters' gradients in self.grads. With input_grad=False (the
        network's first layer with parameters, in training) the input's gradient is not needed: a
        layer may skip computing it and return None."""
        raise NotImplementedError

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (without its weights)."""
        return {}

    def describe(self, parts: list[str]) -> list[str]:
        """The description of the layers so far (`parts`, the input size first, joined by '-' as in
        '1024-64(sigmoid)-36') with this layer's part added; a layer that shows nothing adds nothing."""
        return parts

    def parameters(self, prefix: str) -> list[tuple[str, "Layer", str]]:
        """(key, owner, name) of every trainable array: `owner.params[name]`, its gradient in
        `owner.grads[name]`. A composite layer (an ensemble) adds its inner layers' under their own keys."""
        return [(f"{prefix}.{name}", self, name) for name in self.params]

    @classmethod
    def parameter_shapes(cls, **config) -> dict[str, tuple[int, ...]]:
        """The shape of each parameter for a configuration, known before any allocation."""
        return {}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one sample's output for one sample's input shape."""
        return input_shape

    def astype(self, dtype) -> "Layer":
        for _, owner, name in self.parameters(""):
            owner.params[name] = owner.params[name].astype(dtype)
            owner.grads = {}
        return self


def describe_layers(layers: Sequence[Layer], input_size: int) -> str:
    """A stack of layers as '1024-64(sigmoid)-36': each layer adds its own part."""
    parts = [str(input_size)]
    for layer in layers:
        parts = layer.describe(parts)
    return "-".join(parts)


def _split_spec(spec: dict) -> tuple[type[Layer], dict]:
    if not isinstance(spec, dict):
        raise ValueError(f"a layer specification must be a mapping, got {spec!r}")
    config = dict(spec)
    kind = config.pop("kind", None)
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer kind {kind!r}")
    return LAYER_TYPES[kind], config


def spec_parameter_shapes(spec: dict) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of a layer specification {'kind': ..., **config}, without building it."""
    cls, config = _split_spec(spec)
    try:
        return cls.parameter_shapes(**config)
    except TypeError as exc:
        raise ValueError(f"bad configuration for layer {cls.kind!r}: {exc}") from None


def layer_from_config(spec: dict) -> Layer:
    """Rebuild a layer from {'kind': ..., **config}; weights are set afterwards."""
    cls, config = _split_spec(spec)
    try:
        return cls(**config)
    except TypeError as exc:
        raise ValueError(f"bad configuration for layer {cls.kind!r}: {exc}") from None


class Dense(Layer):
    """y = x W + b with W of shape (n_in, n_out), over the last axis: (N, n_in) or, for a sequence of frames,
    (N, T, n_in)."""

    kind = "dense"

    def __init__(self, n_in: int, n_out: int, init: str = "xavier", rng=None, dtype=np.float32):
        super().__init__()
        for name, n in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"{name} must be a positive integer, got {n!r}")
        self.n_in, self.n_out, self.init = int(n_in), int(n_out), init
        rng = rng if rng is not None else np.random.default_rng(0)
        shapes = self.parameter_shapes(n_in, n_out)
        self.params = {
            "W": initialize(init, shapes["W"], n_in, n_out, rng, dtype),
            "b": np.zeros(shapes["b"], dtype=dtype),
        }

    def forward(self, x, training=False):
        self._x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad, input_grad=True):
        rows, grad_rows = self._x.reshape(-1, self.n_in), grad.reshape(-1, self.n_out)
        self.grads["W"] = rows.T @ grad_rows
        self.grads["b"] = grad_rows.sum(axis=0)
        return grad @ self.params["W"].T if input_grad else None

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "init": self.init}

    def describe(self, parts):
        return [*parts, str(self.n_out)]

    @classmethod
    def parameter_shapes(cls, n_in, n_out, init="xavier"):
        return {"W": (int(n_in), int(n_out)), "b": (int(n_out),)}

    def output_shape(self, input_shape):
        if len(input_shape) not in (1, 2) or input_shape[-1] != self.n_in:
            raise ValueError(f"dense layer expects inputs of shape ({self.n_in},) or (frames, {self.n_in}), "
                             f"got {input_shape}")
        return (*input_shape[:-1], self.n_out)


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability `rate` and
    scale the survivors by 1/(1-rate), so evaluation is the identity."""

    kind = "dropout"

    def __init__(self, rate: float = 0.5, seed: int = 0):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), int(seed)
        self._rng = np.random.default_rng(seed)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self._rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self._mask

    def backward(self, grad, input_grad=True):
        return grad if self._mask is None else grad * self._mask

    def config(self):
        return {"rate": self.rate, "seed": self.seed}


class Standardize(Layer):
    """(x - mean) / std with constants fixed when the network is built (from its training data).

    Inputs in the NIST convention are mostly white (about 0.85 on average): an
    offset that every first-layer unit sees, which slows gradient descent badly.
    Centring and scaling them is standard practice; it has no parameters to
    learn, so it travels inside the model file and every caller gets it.
    """

    kind = "standardize"

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        super().__init__()
        if not np.isfinite(mean) or not np.isfinite(std) or std <= 0:
            raise ValueError(f"standardize needs a finite mean and a positive std, got {mean!r}, {std!r}")
        self.mean, self.std = float(mean), float(std)

    def forward(self, x, training=False):
        return (x - x.dtype.type(self.mean)) / x.dtype.type(self.std)

    def backward(self, grad, input_grad=True):
        return grad / grad.dtype.type(self.std)

    def config(self):
        return {"mean": self.mean, "std": self.std}
