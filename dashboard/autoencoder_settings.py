"""The Autoencoder page's settings: defaults (the homework's Q5), presets and their recipe."""
from __future__ import annotations

from dataclasses import dataclass, replace

from dashboard.train_settings import BATCH_SIZES, LEARNING_RATES
from mlcore.autoencoder import HOMEWORK_HIDDEN, HOMEWORK_LR, HOMEWORK_TRAIN, AutoencoderRecipe
from mlcore.data.augment import Augmentation
from mlcore.training import TrainConfig

WIDTHS = [16, 32, 64, 128, 256, 512]
DECAY_STEPS = [0, 10, 20, 30, 50, 100]
BOTTLENECKS = [2, 4, 8, 16, 32, 64, 128]
AE_LEARNING_RATES = sorted(set(LEARNING_RATES) | {HOMEWORK_LR})
AE_BATCH_SIZES = sorted(set(BATCH_SIZES) | {HOMEWORK_TRAIN.batch_size})
OPTIMIZER_NAMES = {"momentum": "SGD with momentum", "adam": "Adam", "sgd": "plain SGD"}


@dataclass(frozen=True)
class AutoencoderSettings:
    dataset: str = ""
    width: int = HOMEWORK_HIDDEN[0]        # the layers either side of the code
    bottleneck: int = HOMEWORK_HIDDEN[1]   # the code
    optimizer: str = "momentum"
    lr: float = HOMEWORK_LR
    momentum: float = 0.9
    batch: int = HOMEWORK_TRAIN.batch_size
    epochs: int = HOMEWORK_TRAIN.epochs
    standardize: bool = False
    augment: bool = False
    decay_step: int = 0                    # epochs between halvings of the learning rate; 0 = never
    seed: int = 0

    def recipe(self) -> AutoencoderRecipe:
        return AutoencoderRecipe(hidden=(self.width, self.bottleneck, self.width), standardize=self.standardize,
                                 optimizer=self.optimizer, lr=self.lr, momentum=self.momentum,
                                 train=TrainConfig(epochs=self.epochs, batch_size=self.batch, seed=self.seed,
                                                   decay_step=self.decay_step),
                                 augmentation=Augmentation() if self.augment else None)

    @classmethod
    def of(cls, recipe: AutoencoderRecipe, dataset: str) -> "AutoencoderSettings":
        """The settings whose recipe() is `recipe` (one the page can describe: a tuning trial's)."""
        t = recipe.train
        return cls(dataset=dataset, width=recipe.hidden[0], bottleneck=recipe.bottleneck, optimizer=recipe.optimizer,
                   lr=recipe.lr, momentum=recipe.momentum, batch=t.batch_size, epochs=t.epochs,
                   standardize=recipe.standardize, augment=recipe.augmentation is not None,
                   decay_step=t.decay_step, seed=t.seed)

    def name(self) -> str:
        return f"{self.width}-{self.bottleneck}-{self.width} {self.optimizer} lr {self.lr:.3g}"


PRESETS = {
    "Homework (Q5)": AutoencoderSettings(),
    # data/models/autoencoders/best.npz: the best of bench/autoencoder_ablation.py's rows on valid.
    "Best found": AutoencoderSettings(width=256, optimizer="adam", lr=1e-3, standardize=True, augment=True,
                                      epochs=150, decay_step=50),
}


def comparison(settings: AutoencoderSettings, what: str) -> list[tuple[str, AutoencoderRecipe]]:
    """Two runs that differ in one thing: the optimizer (the homework's momentum SGD against
    Adam at its usual 1e-3) or the size of the code."""
    if what == "optimizer":
        pair = [("momentum SGD", replace(settings, optimizer="momentum", lr=HOMEWORK_LR)),
                ("Adam", replace(settings, optimizer="adam", lr=1e-3))]
    elif what == "bottleneck":
        pair = [(f"code {b}", replace(settings, bottleneck=b)) for b in (16, 64)]
    else:
        raise ValueError(f"unknown comparison {what!r}")
    return [(name, s.recipe()) for name, s in pair]
