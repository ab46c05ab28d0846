"""Convolutional layers in numpy, on channels-last images (N, H, W, C).

Conv2D gathers every receptive field with stride tricks (a view, copied once
into the patch matrix) and does the whole convolution, bias included, as one
BLAS matrix product; its
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
        self._buffers: dict[str, np.ndarray] = {}

    @classmethod
    def parameter_shapes(cls, in_channels, out_channels, kernel_size=3, stride=1, padding=0, init="he"):
        return {"W": (int(kernel_size) ** 2 * int(in_channels), int(out_channels)), "b": (int(out_channels),)}

    def describe(self, parts):
        return [*parts, f"conv{self.kernel_size}x{self.kernel_size}:{self.out_channels}"]

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
        if x.ndim != 4 or x.shape[-1] != self.in_channels:
            raise ValueError(f"conv2d expects (N, H, W, {self.in_channels}) inputs, got {x.shape}")
        cols, (n, ho, wo) = self._im2col(x, training)
        # Training keeps the patches for backward. Inference keeps only its input,
        # from which a backward pass (a gradient check) gathers them again: a
        # shared model must not hold ~300 MB of patches after scoring a large
        # batch, nor a trained one its training scratch.
        self._cols, self._x = (cols, None) if training else (None, x)
        if not training:
            self._buffers.clear()
        weights = np.concatenate([self.params["W"], self.params["b"][None]])
        return (cols @ weights).reshape(n, ho, wo, self.out_channels)

    def _im2col(self, x, training):
        """The patch matrix (one row per output pixel) with a last column of ones,
        so that one product applies the weights and adds the bias (and backward's
        product also sums the bias gradient)."""
        k, p, c = self.kernel_size, self.padding, self.in_channels
        n, h, w, _ = x.shape
        xp = x
        if p:
            xp = self._scratch("padded", (n, h + 2 * p, w + 2 * p, c), x.dtype, training, fill=0)
            xp[:, p:p + h, p:p + w] = x    # only the inside is written: the border stays zero
        self._xshape = xp.shape
        patches = _patches(xp, k, k, self.stride)
        ho, wo = patches.shape[1:3]
        cols = self._scratch("cols", (n, ho, wo, k * k * c + 1), x.dtype, training, fill=1)
        # copy=False: a view or an error, never a silent copy that the patches would go into.
        np.copyto(cols[..., :-1].reshape(patches.shape, copy=False), patches)
        return cols.reshape(n * ho * wo, -1), (n, ho, wo)

    def _scratch(self, name, shape, dtype, training, fill):
        """A work array of this shape, filled with `fill` when new. Training reuses the
        same one from batch to batch (allocating ~20 MB of fresh patches per batch costs
        as much again as gathering them); inference allocates, because one shipped model
        serves concurrent requests."""
        buffer = self._buffers.get(name) if training else None
        if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
            buffer = np.full(shape, fill, dtype=dtype)
            if training:
                self._buffers[name] = buffer
        return buffer

    def backward(self, grad, input_grad=True):
        n, ho, wo, _ = grad.shape
        g = grad.reshape(n * ho * wo, self.out_channels)
        cols = self._cols if self._cols is not None else self._im2col(self._x, training=False)[0]
        both = cols.T @ g
        self.grads["W"], self.grads["b"] = both[:-1], both[-1]
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


MAX_POOL = 255  # the winning offsets are kept as uint8


class MaxPool2D(Layer):
    """Non-overlapping max pooling over size x size windows (H and W must divide)."""

    kind = "maxpool2d"

    def __init__(self, size: int = 2):
        super().__init__()
        _check_int("pool size", size, 1)
        if size > MAX_POOL:
            raise ValueError(f"pool size must be at most {MAX_POOL}, got {size}")
        self.size = int(size)

    def config(self):
        return {"size": self.size}

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] % self.size or input_shape[1] % self.size:
            raise ValueError(f"maxpool2d of size {self.size} needs (H, W, C) divisible by it, got {input_shape}")
        h, w, c = input_shape
        return (h // self.size, w // self.size, c)

    def forward(self, x, training=False):
        # Two passes of a 1-D max: over each window's rows, then its columns.
        # Each pass compares slices whose last axes are contiguous (whole image
        # rows, then channel vectors), which numpy streams far faster than the
        # s*s strided corner slices of a one-pass max. Each pass remembers which
        # offset won, so that backward routes every window's gradient to exactly
        # one of its maxima (of tied ones: the top one of the leftmost column).
        s = self.size
        if x.ndim != 4 or x.shape[1] % s or x.shape[2] % s:
            raise ValueError(f"maxpool2d of size {s} needs (N, H, W, C) inputs with H and W divisible by it, "
                             f"got {x.shape}")
        n, h, w, c = x.shape
        rows, self._row_pick = _max_along(x.reshape(n, h // s, s, w * c), s)
        out, self._col_pick = _max_along(rows.reshape(n, h // s, w // s, s, c), s)
        self._xshape = x.shape
        return out.reshape(n, h // s, w // s, c)

    def backward(self, grad, input_grad=True):
        s = self.size
        n, h, w, c = self._xshape
        rows = _route(grad, self._col_pick, s).reshape(n, h // s, w * c)
        return _route(rows, self._row_pick, s).reshape(n, h, w, c)


def _max_along(x: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Max over axis -2 (of size s) and the index of the first maximum (uint8)."""
    out, pick = x[..., 0, :], None
    for k in range(1, s):
        won = (x[..., k, :] > out).view(np.uint8)
        # k exceeds every earlier pick, so a max sets the pick to k exactly where x_k wins.
        pick = won if pick is None else np.maximum(pick, won * np.uint8(k))
        out = np.maximum(out, x[..., k, :])
    return out, pick if pick is not None else np.zeros(out.shape, dtype=np.uint8)


def _route(grad: np.ndarray, pick: np.ndarray, s: int) -> np.ndarray:
    """The inverse of _max_along for gradients: grad goes to slot `pick` of a new axis -2."""
    out = np.empty(grad.shape[:-1] + (s, grad.shape[-1]), dtype=grad.dtype)
    for k in range(s):
        np.multiply(grad, pick == k, out=out[..., k, :])
    return out


class Flatten(Layer):
    """(N, ...) -> (N, prod(...))."""

    kind = "flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad, input_grad=True):
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

    def backward(self, grad, input_grad=True):
        return grad[..., 0].transpose(0, 2, 1).reshape(len(grad), -1)


class ColumnWindows(Layer):
    """Feature maps (N, H, T, C) -> a sequence of T frames (N, T, (2 context + 1) H C): each column's features
    (all its rows) beside those of its `context` neighbours on either side (zeros past the ends), so that a
    dense layer after it reads a window of columns (a word read left to right, mlcore.ocr.words)."""

    kind = "column_windows"

    def __init__(self, context: int = 1):
        super().__init__()
        _check_int("context", context, 0)
        self.context = int(context)

    def config(self):
        return {"context": self.context}

    def output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"column_windows expects (H, W, C) feature maps, got {input_shape}")
        h, w, c = input_shape
        return (w, (2 * self.context + 1) * h * c)

    def forward(self, x, training=False):
        n, h, t, c = x.shape
        self._shape = x.shape
        columns = np.pad(x.transpose(0, 2, 1, 3).reshape(n, t, h * c), ((0, 0), (self.context,) * 2, (0, 0)))
        return np.concatenate([columns[:, k:k + t] for k in range(2 * self.context + 1)], axis=2)

    def backward(self, grad, input_grad=True):
        n, h, t, c = self._shape
        window = grad.reshape(n, t, 2 * self.context + 1, h * c)
        columns = np.zeros((n, t + 2 * self.context, h * c), dtype=grad.dtype)
        for k in range(2 * self.context + 1):
            columns[:, k:k + t] += window[:, :, k]
        return columns[:, self.context:self.context + t].reshape(n, t, h, c).transpose(0, 2, 1, 3)
