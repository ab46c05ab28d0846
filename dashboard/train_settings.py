"""The Train page's settings: defaults, presets, validation, and their form in the URL.

Every setting has a text form for st.query_params, so a shared link restores
exactly what someone set. Values that do not parse (a link edited by hand)
fall back to the default and are reported, never raise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from mlcore.activations import ACTIVATIONS
from mlcore.classifier import HOMEWORK_LR, HOMEWORK_TRAIN, ClassifierRecipe
from mlcore.data.augment import Augmentation
from mlcore.initializers import INITIALIZERS
from mlcore.optimizers import OPTIMIZERS
from mlcore.training import TrainConfig
from mlcore.tuning.space import BATCH_SIZES as TUNED_BATCH_SIZES

ARCHS = {"mlp": "MLP (fully connected)", "cnn": "CNN (convolutional)"}
# Learning rates on a logarithmic scale, with the homework's tuned value and its x10 / x0.1.
LEARNING_RATES = sorted({float(f"{v:.3g}") for v in np.logspace(-5, 0, 41)} | {HOMEWORK_LR, HOMEWORK_LR * 10,
                                                                                 HOMEWORK_LR / 10})
BATCH_SIZES = list(TUNED_BATCH_SIZES)   # the same steps a search picks among
ELASTIC = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0]   # pixels (RMS) of the elastic distortion, up to its bound


@dataclass(frozen=True)
class TrainSettings:
    dataset: str = ""
    arch: str = "mlp"
    hidden: str = "64"          # comma-separated sizes
    activation: str = "sigmoid"
    init: str = "xavier"
    optimizer: str = "sgd"
    lr: float = HOMEWORK_LR
    batch: int = 5
    epochs: int = 10
    augment: bool = False
    elastic: float = 0.0
    standardize: bool = True
    seed: int = 0
    lr_sweep: bool = False      # also train at x10 and x0.1 the learning rate (the homework's Q3.2)

    def hidden_sizes(self) -> tuple[int, ...]:
        try:
            sizes = tuple(int(s) for s in self.hidden.replace(" ", "").split(",") if s)
        except ValueError:
            raise ValueError("hidden layers must be sizes separated by commas, like 512,256 "
                             f"(got {self.hidden!r})") from None
        if not sizes or any(s < 1 or s > 4096 for s in sizes) or len(sizes) > 6:
            raise ValueError("hidden layers: one to six sizes, each between 1 and 4096")
        return sizes

    def recipe(self) -> ClassifierRecipe:
        return ClassifierRecipe(
            arch=self.arch, hidden=self.hidden_sizes() if self.arch == "mlp" else (64,),
            activation=self.activation, init=self.init, optimizer=self.optimizer, lr=self.lr,
            standardize=self.standardize,
            train=TrainConfig(epochs=self.epochs, batch_size=self.batch, seed=self.seed),
            augmentation=Augmentation(elastic=self.elastic) if self.augment else None)

    def name(self) -> str:
        """The run's name: every setting that shapes it, short, so that two runs' names differ
        where their settings do ('MLP 64 sigmoid · sgd lr 0.0175 · batch 5 · 30 epochs')."""
        model = f"MLP {self.hidden} {self.activation}" + ("" if self.init == "xavier" else f" {self.init}")
        parts = [model if self.arch == "mlp" else "CNN", f"{self.optimizer} lr {self.lr:g}", f"batch {self.batch}",
                 f"{self.epochs} epoch" + "s" * (self.epochs != 1)]
        if self.augment:
            parts.append("augmented" + (f", elastic {self.elastic:g}" if self.elastic else ""))
        if not self.standardize:
            parts.append("raw pixels")
        if self.seed:
            parts.append(f"seed {self.seed}")
        return " · ".join(parts)

    def runs(self) -> list[tuple[str, ClassifierRecipe]]:
        """(name, recipe) of each run these settings train: one, or three with lr_sweep."""
        rates = (self.lr, self.lr * 10, self.lr / 10) if self.lr_sweep else (self.lr,)
        return [(s.name(), s.recipe()) for s in (replace(self, lr=float(f"{lr:.6g}")) for lr in rates)]

    @classmethod
    def of(cls, recipe: ClassifierRecipe, dataset: str) -> "TrainSettings":
        """The settings whose recipe() is `recipe` (a recipe the page can describe: a tuning trial's)."""
        aug = recipe.augmentation
        return cls(dataset=dataset, arch=recipe.arch, hidden=",".join(map(str, recipe.hidden)),
                   activation=recipe.activation, init=recipe.init, optimizer=recipe.optimizer, lr=recipe.lr,
                   batch=recipe.train.batch_size, epochs=recipe.train.epochs, augment=aug is not None,
                   elastic=aug.elastic if aug else 0.0, standardize=recipe.standardize, seed=recipe.train.seed)

    def to_query(self) -> dict[str, str]:
        return {k: (str(int(v)) if isinstance(v, bool) else str(v)) for k, v in asdict(self).items()}


CHOICES = {
    "arch": tuple(ARCHS),
    "activation": tuple(sorted(ACTIVATIONS)),
    "init": tuple(INITIALIZERS),
    "optimizer": OPTIMIZERS,
}
RANGES = {"epochs": (1, 200), "seed": (0, 10**6), "elastic": (0.0, ELASTIC[-1]),
          "lr": (LEARNING_RATES[0], LEARNING_RATES[-1])}


# The select sliders' steps, and the scale on which a value from a link snaps to the nearest one. A
# learning rate is kept as the link gives it (a tuned one is seldom on the slider's steps): see with_current.
STEPS = {"batch": (BATCH_SIZES, np.log), "elastic": (ELASTIC, float)}


def with_current(options: list, current) -> list:
    """A select slider's steps with the current value among them (one a tuning trial chose, off the steps)."""
    return sorted(set(options) | {current})


def _nearest(value: float, options: list, scale) -> float:
    return min(options, key=lambda o: abs(scale(o) - scale(value)))


def from_query(params, defaults: TrainSettings = TrainSettings()) -> tuple[TrainSettings, list[str]]:
    """Settings from URL parameters; bad values fall back to the defaults and are listed."""
    values, problems = {}, []
    for f in fields(TrainSettings):
        if f.name not in params:
            continue
        text = params[f.name]
        default = getattr(defaults, f.name)
        try:
            value = (text in ("1", "true", "True")) if isinstance(default, bool) else type(default)(text)
            if f.name in CHOICES and value not in CHOICES[f.name]:
                raise ValueError
            if f.name in RANGES and not RANGES[f.name][0] <= value <= RANGES[f.name][1]:
                raise ValueError
            if f.name in STEPS:
                options, scale = STEPS[f.name]
                if not np.isfinite(value) or (scale is np.log and value <= 0):
                    raise ValueError
                value = type(default)(_nearest(value, options, scale))
        except (ValueError, OverflowError):
            problems.append(f"{f.name}={text!r}")
            continue
        values[f.name] = value
    return replace(defaults, **values), problems


# The homework's network and training (Q3.1), on the raw pixels it was fed.
HOMEWORK = TrainSettings(arch="mlp", hidden="64", activation="sigmoid", init="xavier", optimizer="sgd",
                         lr=HOMEWORK_LR, batch=HOMEWORK_TRAIN.batch_size, epochs=HOMEWORK_TRAIN.epochs, augment=False,
                         standardize=False)
PRESETS = {
    "Homework baseline": HOMEWORK,
    "Learning rate x10 and x0.1": replace(HOMEWORK, lr_sweep=True),   # the homework's Q3.2
    # The shipped MLP's network and optimizer (data/models/mlp.npz); it also had dropout 0.2 and 120 epochs
    # halving the rate every 40, which this page does not offer (its command is on the Home page).
    "Large MLP": TrainSettings(arch="mlp", hidden="1024,512", activation="relu", init="he", optimizer="adam",
                               lr=5e-4, batch=64, epochs=40, augment=True),
    "CNN": TrainSettings(arch="cnn", optimizer="adam", lr=1e-3, batch=64, epochs=10, augment=True, elastic=1.5),
}
