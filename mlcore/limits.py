"""What one visitor of a shared server may ask of it, in one place: the size of a training and of the
runs kept. The defaults fit a host of 1 GB shared by a class; each can be set from the environment.

A training is judged before it starts, from its recipe alone (nothing is allocated): its parameter
count and an estimate of its peak memory on a worker (the data, the weights with their gradients and
the optimizer's state, and what one batch holds between its forward and backward pass).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

FLOAT_BYTES = 4           # networks train in float32
WORKER_BASE_MB = 180      # a Dask worker with numpy, scipy and mlcore imported, before any data
# Measured on the shared data (bench/training_memory.py): reading and pooling the data files peaks at
# about 12 KB a sample, the loaded dataset keeps about 8 KB a sample, and an augmented epoch holds about
# three float32 copies of the training images.
LOAD_PEAK_PER_SAMPLE = 12 * 1024
DATA_PER_SAMPLE = 8 * 1024
AUGMENT_COPIES = 3
TRAIN_SHARE = 0.6         # of the samples, in the training split
# The optimizer's state, in copies of the parameters: Adam keeps two moments, momentum one velocity.
OPTIMIZER_COPIES = {"sgd": 0, "momentum": 1, "adam": 2}


@dataclass(frozen=True)
class Limits:
    max_parameters: int = 4_000_000
    max_training_mb: int = 600        # estimated peak of one training on a worker
    max_epochs: int = 200
    max_batch_size: int = 512
    runs_per_owner: int = 30          # beyond them, the owner's oldest unpublished runs are removed
    mb_per_owner: int = 150
    registry_mb: int = 2000           # the whole registry; beyond it, the oldest unpublished runs of anyone

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"limit {f.name} must be a positive integer, got {value!r}")

    @classmethod
    def from_env(cls, env=os.environ) -> "Limits":
        """The defaults, each overridden by MLCORE_LIMIT_<NAME> (e.g. MLCORE_LIMIT_MAX_EPOCHS=100)."""
        values = {}
        for f in fields(cls):
            text = env.get(f"MLCORE_LIMIT_{f.name.upper()}")
            if text:
                try:
                    values[f.name] = int(text)
                except ValueError:
                    raise ValueError(f"MLCORE_LIMIT_{f.name.upper()} must be a whole number, got {text!r}") from None
        return cls(**values)

    def check_training(self, recipe, n_samples: int, n_in: int = 1024, n_classes: int = 36) -> None:
        """ValueError, with the numbers, for a training larger than these limits allow."""
        train = recipe.train
        if train.epochs > self.max_epochs:
            raise ValueError(f"{train.epochs} epochs is more than the {self.max_epochs} this server allows")
        if train.batch_size > self.max_batch_size:
            raise ValueError(f"a batch of {train.batch_size} is more than the {self.max_batch_size} this server allows")
        params, peak_mb = training_footprint(recipe, n_samples, n_in, n_classes)
        if params > self.max_parameters:
            raise ValueError(f"this network has {params:,} parameters and needs about {peak_mb:,.0f} MB to train; "
                             f"this server allows {self.max_parameters:,} parameters. Make it smaller.")
        if peak_mb > self.max_training_mb:
            raise ValueError(f"this training needs about {peak_mb:,.0f} MB ({params:,} parameters, batches of "
                             f"{train.batch_size}); this server allows {self.max_training_mb} MB. "
                             "Make the network or the batch smaller.")


def _layer_sizes(recipe, n_in: int, n_classes: int) -> tuple[int, int, int]:
    """(parameters, floats one sample holds across the layers in training, floats of one sample's
    convolution patches) of the recipe's network."""
    if getattr(recipe, "arch", "mlp") == "cnn":
        side, c_in, params, held, patches = int(n_in ** 0.5), 1, 0, 0, 0
        for c in recipe.channels:
            k2 = recipe.kernel_size ** 2
            params += k2 * c_in * c + c
            patches += side * side * k2 * c_in
            held += side * side * c + 2 * (side // 2) ** 2 * c      # conv output, pooled, ReLU
            side, c_in = side // 2, c
        widths = [side * side * c_in, recipe.dense, n_classes]
    else:
        widths = [n_in, *recipe.hidden, n_out_of(recipe, n_in, n_classes)]
        params, held, patches = 0, 0, 0
    params += sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
    # each layer's input kept for the backward pass, its output and (hidden layers) its activation
    held += n_in + sum(2 * w for w in widths[1:])
    return params, held, patches


def n_out_of(recipe, n_in: int, n_classes: int) -> int:
    """The output width: the classes for a classifier, the input again for an autoencoder."""
    return n_classes if hasattr(recipe, "arch") else n_in


def training_footprint(recipe, n_samples: int, n_in: int = 1024, n_classes: int = 36) -> tuple[int, float]:
    """(parameter count, estimated peak MB on a worker) of training `recipe` on n_samples images: the
    larger of reading the data and training on it (bench/training_memory.py measures both)."""
    params, held, patches = _layer_sizes(recipe, n_in, n_classes)
    copies = 3 + OPTIMIZER_COPIES.get(recipe.optimizer, 2)     # weights, gradients, the best weights kept
    # what a batch holds forward, its gradients backward (about as much again), and the patch matrices
    per_batch = recipe.train.batch_size * (2 * held + 2 * patches) * FLOAT_BYTES
    augmented = AUGMENT_COPIES * TRAIN_SHARE * n_samples * n_in * FLOAT_BYTES if recipe.augmentation else 0
    training = n_samples * DATA_PER_SAMPLE + params * copies * FLOAT_BYTES + per_batch + augmented
    return params, WORKER_BASE_MB + max(n_samples * LOAD_PEAK_PER_SAMPLE, training) / 2**20
