"""Convolutional layers in numpy, on channels-last images (N, H, W, C).

Conv2D gathers every receptive field with stride tricks (a view, no copy until
the reshape) and does the whole convolution as one BLAS matrix product; its
backward pass is the weight gradient's product and, for the input gradient,
one small product per kernel offset added into its window (measured faster
here than one big product with a strided gather, or a second im2col).
Channels-last keeps the patches and the outputs contiguous without transposes.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from mlcore.initializers import initialize
from mlcore.layers import Layer


def _check_int(name, value, minimum):
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def _patches(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """(N, H, W, C) -> a strided view (N, H', W', kh, kw, C) of every receptive field."""
    n, h, w, c = x.shape
    sn, sh, sw, sc = x.strides
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    return as_strided(x, (n, ho, wo, kh, kw, c), (sn, sh * stride, sw * stride, sh, sw, sc), writeable=False)


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in every framework) with stride and zero padding."""

    kind = "conv2d"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, init: str = "he", rng=None, dtype=np.float32):
        super().__init__()
        _check_int("in_channels", in_channels, 1)
        _check_int("out_channels", out_channels, 1)
        _check_int("kernel_size", kernel_size, 1)
        _check_int("stride", stride, 1)
        _check_int("padding", padding, 0)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding, self.init = int(kernel_size), int(stride), int(padding), init
        rng = rng if rng is not None else np.random.default_rng(0)
        shapes = self.parameter_shapes(in_channels, out_channels, kernel_size)
        k2 = self.kernel_size**2
        self.params = {
            # W is stored as the (kh*kw*C_in, C_out) matrix the matmul uses.
            "W": initialize(init, shapes["W"], k2 * in_channels, k2 * out_channels, rng, dtype),
            "b": np.zeros(shapes["b"], dtype=dtype),
        }

    @classmethod
    def parameter_shapes(cls, in_channels, out_channels, kernel_size=3, stride=1, padding=0, init="he"):
        return {"W": (int(kernel_size) ** 2 * int(in_channels), int(out_channels)), "b": (int(out_channels),)}

    def config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding, "init": self.init}

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[2] != self.in_channels:
            raise ValueError(f"conv2d expects (H, W, {self.in_channels}) inputs, got {input_shape}")
        h, w, _ = input_shape
        ho, wo = (_out_size(s, self.kernel_size, self.stride, self.padding) for s in (h, w))
        if ho < 1 or wo < 1:
            raise ValueError(f"conv2d kernel {self.kernel_size} does not fit an input of {h}x{w}")
        return (ho, wo, self.out_channels)

    def forward(self, x, training=False):
        p = self.padding
        if p:
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        self._xshape = x.shape
        k = self.kernel_size
        cols = _patches(x, k, k, self.stride)
        n, ho, wo = cols.shape[:3]
        self._cols = cols.reshape(n * ho * wo, -1)  # the one copy: im2col
        out = self._cols @ self.params["W"]
        out += self.params["b"]
        return out.reshape(n, ho, wo, self.out_channels)

    def backward(self, grad, input_grad=True):
        n, ho, wo, _ = grad.shape
        g = grad.reshape(n * ho * wo, self.out_channels)
        self.grads["W"] = self._cols.T @ g
        self.grads["b"] = g.sum(axis=0)
        if not input_grad:
            return None
        k, s = self.kernel_size, self.stride
        # One small product per kernel offset gives that offset's contribution
        # to the input gradient as a contiguous block, which then adds into a
        # strided window of dx: cheaper than one big product and a strided gather.
        w = self.params["W"].reshape(k * k, self.in_channels, self.out_channels)
        dx = np.zeros(self._xshape, dtype=grad.dtype)
        for i in range(k):
            for j in range(k):
                part = (g @ w[i * k + j].T).reshape(n, ho, wo, self.in_channels)
                dx[:, i:i + s * ho:s, j:j + s * wo:s, :] += part
        p = self.padding
        return dx[:, p:dx.shape[1] - p, p:dx.shape[2] - p, :] if p else dx


class MaxPool2D(Layer):
    """Non-overlapping max pooling over size x size windows (H and W must divide)."""

    kind = "maxpool2d"

    def __init__(self, size: int = 2):
        super().__init__()
        _check_int("pool size", size, 1)
        self.size = int(size)

    def config(self):
        return {"size": self.size}

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] % self.size or input_shape[1] % self.size:
            raise ValueError(f"maxpool2d of size {self.size} needs (H, W, C) divisible by it, got {input_shape}")
        h, w, c = input_shape
        return (h // self.size, w // self.size, c)

    def forward(self, x, training=False):
        s = self.size
        out = x[:, 0::s, 0::s]
        for k in range(1, s * s):
            out = np.maximum(out, x[:, k // s::s, k % s::s])
        self._x, self._out = x, out
        return out

    def backward(self, grad):
        # The gradient of each window goes to its first maximum only (ties, such
        # as zeros, must not receive it twice): a valid subgradient of max.
        s, x = self.size, self._x
        dx = np.empty(x.shape, dtype=grad.dtype)
        taken = np.zeros(self._out.shape, dtype=bool)
        for k in range(s * s):
            hit = x[:, k // s::s, k % s::s] == self._out
            hit &= ~taken
            taken |= hit
            np.multiply(grad, hit, out=dx[:, k // s::s, k % s::s])
        return dx


class Flatten(Layer):
    """(N, ...) -> (N, prod(...))."""

    kind = "flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad):
        return grad.reshape(self._shape)


class RowsToImages(Layer):
    """Column-major rows of size*size (the NIST convention) -> upright (N, size, size, 1) images."""

    kind = "rows_to_images"

    def __init__(self, size: int = 32):
        super().__init__()
        _check_int("image size", size, 1)
        self.size = int(size)

    def config(self):
        return {"size": self.size}

    def output_shape(self, input_shape):
        if input_shape != (self.size * self.size,):
            raise ValueError(f"rows_to_images expects rows of {self.size * self.size}, got {input_shape}")
        return (self.size, self.size, 1)

    def forward(self, x, training=False):
        return x.reshape(len(x), self.size, self.size).transpose(0, 2, 1)[..., None]

    def backward(self, grad):
        return grad[..., 0].transpose(0, 2, 1).reshape(len(grad), -1)
