"""Builders of the networks this project trains: fully connected and convolutional."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlcore.activations import activation
from mlcore.conv import ColumnWindows, Conv2D, Flatten, MaxPool2D, RowsToImages
from mlcore.layers import Dense, Dropout, Layer, Standardize
from mlcore.network import Network


def build_mlp(hidden: Sequence[int] = (64,), activation_name: str = "sigmoid", *,
              n_in: int = 1024, n_out: int = 36, init: str = "xavier", seed: int = 0,
              dtype=np.float32, output_activation: str | None = None, dropout: float = 0.0,
              standardize: tuple[float, float] | None = None, loss: str = "softmax_cross_entropy") -> Network:
    """A fully connected network n_in - hidden... - n_out.

    The homework's classifier is build_mlp((64,), 'sigmoid'): 1024-64(sigmoid)-36(softmax).
    `dropout` > 0 puts a dropout layer after every hidden activation;
    `standardize` = (mean, std) puts a Standardize layer in front.
    """
    hidden = list(hidden)
    if any(not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
        raise ValueError(f"hidden layer sizes must be positive integers, got {hidden}")
    rng = np.random.default_rng(seed)
    sizes = [n_in, *hidden, n_out]
    layers: list[Layer] = [Standardize(*standardize)] if standardize else []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, init=init, rng=rng, dtype=dtype))
        if i < len(hidden):
            layers.append(activation(activation_name))
            if dropout:
                layers.append(Dropout(dropout, seed=seed + i + 1))
    if output_activation:
        layers.append(activation(output_activation))
    return Network(layers, loss=loss, input_shape=(n_in,))


def build_cnn(channels: Sequence[int] = (32, 64), dense: int = 128, *, kernel_size: int = 3,
              n_out: int = 36, size: int = 32, dropout: float = 0.0, seed: int = 0,
              standardize: tuple[float, float] | None = None, dtype=np.float32) -> Network:
    """A small convolutional classifier on rows in the NIST convention.

    Each stage is conv(kernel_size, 'same' padding) - 2x2 max-pool - ReLU; then
    a ReLU dense layer (with optional dropout) and the softmax output.
    """
    channels = list(channels)
    if not channels or any(not isinstance(c, (int, np.integer)) or c < 1 for c in channels):
        raise ValueError(f"conv channels must be positive integers, got {channels}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel size must be odd and positive (for 'same' padding), got {kernel_size}")
    if size % 2 ** len(channels):
        raise ValueError(f"{len(channels)} pooling stages need an image size divisible by {2 ** len(channels)}")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = ([Standardize(*standardize)] if standardize else []) + [RowsToImages(size)]
    c_in = 1
    for c in channels:
        # Pool before ReLU: max and ReLU commute (ReLU is monotonic), and the
        # ReLU then runs on a quarter of the values.
        layers += [Conv2D(c_in, c, kernel_size, 1, kernel_size // 2, rng=rng, dtype=dtype),
                   MaxPool2D(2), activation("relu")]
        c_in = c
    flat = (size // 2 ** len(channels)) ** 2 * c_in
    layers += [Flatten(), *_dense_head(flat, dense, n_out, dropout, rng, seed, dtype)]
    return Network(layers, input_shape=(size * size,))


def _dense_head(n_in: int, hidden: int, n_out: int, dropout: float, rng: np.random.Generator, seed: int,
                dtype) -> list[Layer]:
    """A convolutional network's end: a ReLU dense layer of `hidden` (its units dropped at `dropout` in
    training) and the output layer, initialised from `rng` in that order."""
    head: list[Layer] = [Dense(n_in, hidden, init="he", rng=rng, dtype=dtype), activation("relu")]
    if dropout:
        head.append(Dropout(dropout, seed=seed + 1))
    return head + [Dense(hidden, n_out, rng=rng, dtype=dtype)]


def build_word_cnn(channels: Sequence[int] = (24, 48, 80, 80), hidden: int = 192, *, n_out: int = 37,
                   height: int = 32, width: int = 128, context: int = 1, dropout: float = 0.0, seed: int = 0,
                   dtype=np.float32) -> Network:
    """A network that reads a line of characters (a word) left to right: images (N, height, W, 1), W any
    multiple of 4, to a frame of logits for every 4 columns (N, W / 4, n_out), trained with CTC (the last
    class the blank). Conv 3x3 stages, the first two max-pooled 2x2 (so a frame is 4 columns, and a
    character of 22 px some 4 frames), each followed by ReLU; then every frame's features with
    `context` neighbouring frames either side (ColumnWindows), a ReLU dense layer of `hidden` (its units
    dropped at `dropout` in training) and the output. `width` is only the width its shapes are checked at."""
    channels = list(channels)
    if len(channels) < 2 or any(not isinstance(c, (int, np.integer)) or c < 1 for c in channels):
        raise ValueError(f"a word network has two pooled conv stages or more, of positive channels, got {channels}")
    if height % 4 or width % 4:
        raise ValueError(f"a word network's images are a multiple of 4 high and wide, got {height}x{width}")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (c_in, c) in enumerate(zip([1, *channels[:-1]], channels)):
        layers += [Conv2D(c_in, c, 3, 1, 1, rng=rng, dtype=dtype)] + ([MaxPool2D(2)] if i < 2 else [])
        layers.append(activation("relu"))
    features = (2 * context + 1) * (height // 4) * channels[-1]
    layers += [ColumnWindows(context), *_dense_head(features, hidden, n_out, dropout, rng, seed, dtype)]
    return Network(layers, loss="ctc", input_shape=(height, width, 1))
