"""Image compression with an autoencoder (the homework's Q5), end to end.

The network is an ordinary `Network`: dense layers with ReLU, a sigmoid output
and the squared-error loss, trained by the same `fit` to reproduce its input.
Its narrowest hidden layer is the code: 32 numbers for a 1024-pixel image in
the homework's 1024-32-32-32-1024. Reconstructions are scored by PSNR.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from mlcore.architectures import build_mlp
from mlcore.data.augment import Augmentation
from mlcore.data.datasets import Dataset
from mlcore.metrics import psnr_report
from mlcore.network import Network
from mlcore.optimizers import make_optimizer
from mlcore.provenance import TrainedModel, trained_metadata
from mlcore.training import Callback, FitResult, TrainConfig, fit

KIND = "autoencoder"
HOMEWORK_HIDDEN = (32, 32, 32)
# The homework's setting: learning rate 3e-5 on the squared error summed over a batch of
# 36, momentum 0.9, 100 epochs. mlcore's loss is the mean over the batch: 36 x 3e-5.
HOMEWORK_LR = 36 * 3e-5
HOMEWORK_TRAIN = TrainConfig(epochs=100, batch_size=36)


@dataclass(frozen=True)
class AutoencoderRecipe:
    hidden: tuple[int, ...] = HOMEWORK_HIDDEN   # hidden layer sizes; the narrowest is the code
    standardize: bool = False                   # centre and scale the inputs (the targets stay pixels)
    optimizer: str = "momentum"
    lr: float = HOMEWORK_LR
    momentum: float = 0.9
    weight_decay: float = 0.0
    train: TrainConfig = HOMEWORK_TRAIN
    augmentation: Augmentation | None = None

    def __post_init__(self):
        if not self.hidden or any(not isinstance(h, (int, np.integer)) or not 1 <= h <= 4096 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be integers between 1 and 4096, got {list(self.hidden)}")
        make_optimizer(self.optimizer, self.lr, self.momentum, self.weight_decay)  # validates all four

    @property
    def bottleneck(self) -> int:
        return min(self.hidden)

    def build(self, train_X: np.ndarray) -> Network:
        """ReLU hidden layers (Xavier initialisation, as the homework), a sigmoid output of the input's size."""
        stats = (float(train_X.mean()), float(train_X.std()) or 1.0) if self.standardize else None
        return build_mlp(self.hidden, "relu", n_in=train_X.shape[1], n_out=train_X.shape[1],
                         output_activation="sigmoid", loss="mse", seed=self.train.seed, standardize=stats)

    def build_for(self, dataset: Dataset) -> Network:
        return self.build(dataset.train.X)

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden": list(self.hidden), "bottleneck": self.bottleneck}


def is_autoencoder(network: Network) -> bool:
    return network.loss_name == "mse" and network.output_shape == network.input_shape


def code_layer(network: Network) -> int:
    """Index of the layer whose output is the code: the activation after the narrowest hidden
    dense layer (the middle one of equally narrow layers, as in 32-32-32)."""
    dense = [i for i, layer in enumerate(network.layers) if layer.kind == "dense"][:-1]
    if not dense:
        raise ValueError("a network without hidden layers has no code")
    widths = [network.layers[i].n_out for i in dense]
    narrowest = [i for i, w in zip(dense, widths) if w == min(widths)]
    return narrowest[len(narrowest) // 2] + 1


def code_size(network: Network) -> int:
    return network.layers[code_layer(network) - 1].n_out


def encode(network: Network, X: np.ndarray) -> np.ndarray:
    """The code of each row: the output of the code layer."""
    return dict(network.hidden_activations(X))[code_layer(network)]


def reconstruct(network: Network, X: np.ndarray) -> np.ndarray:
    return network.output(X)


# A network that rebuilds every input alike has learned nothing about its input. Too large a
# step kills ReLUs (negative for every input, so never updated again) and the sigmoid output
# settles on the mean image: the loss stays flat instead of exploding, so `fit` sees no divergence.
COLLAPSE_PROBE = 256
COLLAPSE_SPREAD = 1e-3


def collapsed(network: Network, X: np.ndarray) -> bool:
    """True when the reconstructions of X barely vary from one image to the next."""
    return len(X) > 1 and float(reconstruct(network, X).std(axis=0).mean()) < COLLAPSE_SPREAD


class TrainedAutoencoder(TrainedModel):
    def summary(self) -> dict:
        return {f"{split}_{part}": m[part] for split, m in self.metrics.items()
                for part in ("psnr", "balanced_psnr")}


def evaluate_autoencoder(network: Network, X: np.ndarray, y: np.ndarray, classes) -> dict:
    return psnr_report(y, X, reconstruct(network, X), classes)


def train_autoencoder(dataset: Dataset, recipe: AutoencoderRecipe, *, command: str | None = None,
                      callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
                      network: Network | None = None) -> TrainedAutoencoder:
    """Build (or take) the network, train it to reproduce dataset.train, and report PSNR on every split.

    Epochs are balanced over the classes (unless recipe.train.balance is off), so
    that the few letters are not drowned by the many digits.
    """
    network = network if network is not None else recipe.build_for(dataset)
    optimizer = make_optimizer(recipe.optimizer, recipe.lr, recipe.momentum, recipe.weight_decay)
    X = dataset.train.X
    result = fit(network, optimizer, X, X, recipe.train, valid=(dataset.valid.X, dataset.valid.X),
                 augment=recipe.augmentation, callbacks=callbacks, should_stop=should_stop,
                 strata=dataset.train.y)
    if result.status != "diverged" and collapsed(network, dataset.valid.X[:COLLAPSE_PROBE]):
        result = FitResult(result.history, "diverged", "collapsed: it rebuilds every image as the same blur, "
                           f"because its ReLUs died (they output 0 for every input); the learning rate "
                           f"{recipe.lr:g} is probably too high for {recipe.optimizer}.")
    metrics = {name: evaluate_autoencoder(network, split.X, split.y, dataset.classes)
               for name, split in dataset.splits().items()}
    metadata = trained_metadata(KIND, dataset, recipe.to_dict(), result, network, metrics, command)
    return TrainedAutoencoder(network, result, metrics, metadata)
