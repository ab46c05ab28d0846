"""Element-wise activation functions as layers, each with its own derivative.

The derivatives are written in terms of the cached output where that is
cheaper and more stable (sigmoid, tanh), as in the homework's Q1.4.
"""
from __future__ import annotations

import numpy as np

from mlcore.layers import Layer


def sigmoid(x: np.ndarray) -> np.ndarray:
    # Split by sign so that exp never overflows: for x < 0 use e^x / (1 + e^x).
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


class _Activation(Layer):
    def describe(self, parts):
        """Named after the size it follows: '64(sigmoid)'."""
        if len(parts) > 1 and parts[-1][-1].isdigit():
            return [*parts[:-1], f"{parts[-1]}({self.kind})"]
        return parts


class Sigmoid(_Activation):
    kind = "sigmoid"

    def forward(self, x, training=False):
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad, input_grad=True):
        y = self._y
        return grad * y * (1.0 - y)


class Tanh(_Activation):
    kind = "tanh"

    def forward(self, x, training=False):
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad, input_grad=True):
        return grad * (1.0 - self._y * self._y)


class ReLU(_Activation):
    kind = "relu"

    def forward(self, x, training=False):
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad, input_grad=True):
        return grad * self._mask


ACTIVATIONS: dict[str, type[Layer]] = {cls.kind: cls for cls in (Sigmoid, Tanh, ReLU)}


def activation(name: str) -> Layer:
    """A fresh activation layer by name ('sigmoid', 'tanh' or 'relu')."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None
