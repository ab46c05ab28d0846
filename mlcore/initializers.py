"""Weight initialisations, chosen by name.

Each takes the weight shape and the layer's fan-in and fan-out so that the
same schemes serve dense and convolutional layers.
"""
from __future__ import annotations

import numpy as np


def xavier_uniform(shape, fan_in, fan_out, rng, dtype):
    # Glorot & Bengio (2010): U(-a, a) has variance a^2/3, so a = sqrt(6/(n_in+n_out))
    # gives Var[W] = 2/(n_in+n_out), the compromise between forward and backward.
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def he_normal(shape, fan_in, fan_out, rng, dtype):
    # He et al. (2015): Var[W] = 2/n_in keeps ReLU activations from shrinking.
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def small_normal(shape, fan_in, fan_out, rng, dtype):
    # The naive N(0, 0.01^2): fine for shallow nets, vanishing signal for deep ones.
    return (rng.standard_normal(shape) * 0.01).astype(dtype)


def zeros(shape, fan_in, fan_out, rng, dtype):
    # Kept on purpose: the homework's Q2.1.1 shows why every unit then learns the same thing.
    return np.zeros(shape, dtype=dtype)


INITIALIZERS = {
    "xavier": xavier_uniform,
    "he": he_normal,
    "normal": small_normal,
    "zeros": zeros,
}


def initialize(name, shape, fan_in, fan_out, rng, dtype):
    """Weights of `shape` drawn by the scheme `name` from the generator `rng`."""
    try:
        init = INITIALIZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown initialisation {name!r}; choose one of {', '.join(INITIALIZERS)}"
        ) from None
    return init(shape, fan_in, fan_out, rng, dtype)
