"""Training a character classifier end to end, as the CLI and the dashboard do it.

A `ClassifierRecipe` is everything that defines a run: the architecture, the
optimizer, the training loop's settings and the augmentation. `train_classifier`
turns a recipe and a dataset into a trained network, its history, its metrics
and the metadata that its model file records.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from mlcore.architectures import build_cnn, build_mlp
from mlcore.data.augment import Augmentation
from mlcore.data.datasets import Dataset
from mlcore.data.synthetic import synthetic_set
from mlcore.metrics import evaluate_splits
from mlcore.network import Network
from mlcore.optimizers import make_optimizer
from mlcore.provenance import TrainedModel, trained_metadata
from mlcore.training import Callback, TrainConfig, fit

ARCHITECTURES = ("mlp", "cnn")
KIND = "classifier"

# The homework's tuned setting (Q3.1): learning rate 3.5e-3 on the loss summed over a batch
# of 5, i.e. 0.0175 on the mean loss that mlcore uses, for 30 epochs.
HOMEWORK_LR = 0.0175
HOMEWORK_TRAIN = TrainConfig(epochs=30, batch_size=5)


@dataclass(frozen=True)
class ClassifierRecipe:
    arch: str = "mlp"
    hidden: tuple[int, ...] = (64,)          # mlp: hidden layer sizes
    activation: str = "sigmoid"              # mlp: hidden activation (a CNN uses ReLU)
    init: str = "xavier"                     # mlp: weight initialisation (a CNN uses He)
    channels: tuple[int, ...] = (32, 64)     # cnn: channels of each conv-pool stage
    dense: int = 128                         # cnn: width of the dense layer
    kernel_size: int = 3                     # cnn: convolution kernel size
    dropout: float = 0.0
    synthetic: int = 0                       # stroke-font characters per class mixed into training
    standardize: bool = True                 # centre and scale the inputs (by the training set's mean/std)
    optimizer: str = "sgd"
    lr: float = HOMEWORK_LR
    momentum: float = 0.9
    weight_decay: float = 0.0
    train: TrainConfig = field(default_factory=TrainConfig)
    augmentation: Augmentation | None = None

    def __post_init__(self):
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if not isinstance(self.synthetic, int) or self.synthetic < 0:
            raise ValueError(f"synthetic characters per class must be an integer >= 0, got {self.synthetic!r}")
        make_optimizer(self.optimizer, self.lr, self.momentum, self.weight_decay)  # validates all four

    def build(self, n_classes: int, train_X: np.ndarray | None = None) -> Network:
        """The untrained network; `train_X` gives the input statistics when standardizing."""
        stats = None
        if self.standardize:
            if train_X is None:
                raise ValueError("standardized inputs need the training data's statistics")
            stats = (float(train_X.mean()), float(train_X.std()) or 1.0)
        if self.arch == "cnn":
            return build_cnn(self.channels, self.dense, kernel_size=self.kernel_size, n_out=n_classes,
                             dropout=self.dropout, seed=self.train.seed, standardize=stats)
        return build_mlp(self.hidden, self.activation, n_out=n_classes, init=self.init,
                         dropout=self.dropout, seed=self.train.seed, standardize=stats)

    def build_for(self, dataset: Dataset) -> Network:
        return self.build(len(dataset.classes), dataset.train.X)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"], d["channels"] = list(self.hidden), list(self.channels)
        return d


@dataclass
class TrainedClassifier(TrainedModel):
    predictions: dict          # split name -> predicted class of each sample

    def summary(self) -> dict:
        """The headline numbers of every split, flat: what the runs table shows."""
        return {f"{split}_{part}": (m["accuracy"] if part == "all" else
                                    m["balanced_accuracy"] if part == "balanced" else m[part]["accuracy"])
                for split, m in self.metrics.items() for part in ("all", "letters", "digits", "balanced")}


def train_classifier(dataset: Dataset, recipe: ClassifierRecipe, *, command: str | None = None,
                     callbacks: Sequence[Callback] = (),
                     should_stop: Callable[[], bool] | None = None,
                     network: Network | None = None) -> TrainedClassifier:
    """Build (or take) the network, train it on dataset.train, and report every split."""
    network = network if network is not None else recipe.build_for(dataset)
    optimizer = make_optimizer(recipe.optimizer, recipe.lr, recipe.momentum, recipe.weight_decay)
    X, y = dataset.train.X, dataset.train.y
    if recipe.synthetic:
        Xs, ys = synthetic_set(recipe.synthetic, seed=recipe.train.seed, classes=dataset.classes)
        X, y = np.concatenate([X, Xs]), np.concatenate([y, ys])
    result = fit(network, optimizer, X, y, recipe.train,
                 valid=(dataset.valid.X, dataset.valid.y), augment=recipe.augmentation,
                 callbacks=callbacks, should_stop=should_stop)
    predictions, metrics = evaluate_splits(network, dataset)
    metadata = trained_metadata(KIND, dataset, recipe.to_dict(), result, network, metrics, command)
    return TrainedClassifier(network, result, metrics, metadata, predictions)

