"""Is a piece of a wide mark one whole character? The verifier that mlcore.ocr.segment weighs cuts with.

The classifier alone scores a piece by its most probable class, and parts of characters read well as
some class: half an M is a fair 1, an H with a sliver of the next letter still an H. The verifier is a
second model that tells one whole character from everything a wrong cut makes: an MLP and a small CNN
trained on the same crops, their probabilities averaged. The CNN tells pairs, halves and slivers from
characters far better (touching letters on the validation split's pages: 86.4% read right with the MLP
alone, 97.1% with both), but calls a few wide single letters surely "not one character", which the MLP
does not (bench/results/ocr_robustness.md).

The networks learn from crops composed of real characters, each split's crops from that split's own
characters (so its test figures are on characters it never saw):
- one character, half of them stretched up to STRETCH wide, as M, W and N are often written;
- two characters side by side (top-aligned), touching or overlapping by 0-3 px, at heights within 15% of
  each other;
- a character cut at 30-70% of its width, either side (a 1 or an I too, though half a stroke is still
  one: 3.5% of the train split's characters are that thin, a known flaw of the labels);
- a character with a sliver (15-35%) of the next one touching it.
A fifth of all crops, of every kind, are crossed by a rule: on paper ruled a little askew the reader
leaves the rules in, and the marks it must part hold their pieces.
Every crop goes through the crop normalisation the reader uses, so the verifier sees what it is asked.
It trains with the classifiers' augmentation (rotation, scale, shear, shift, stroke width): without it,
it called a fifth of the wide single letters on the photographed pages "not one character", and parted them.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from skimage.transform import resize

from mlcore.classifier import ClassifierRecipe, TrainedClassifier, train_classifier
from mlcore.data.augment import Augmentation
from mlcore.data.datasets import Dataset, Split
from mlcore.data.glyphs import SIZE, images_to_rows, ink_box, normalize_glyph, rows_to_images
from mlcore.data.paths import models_dir
from mlcore.ensemble import combine_classifiers
from mlcore.model_io import ModelFileError, SavedModel, load_classifier
from mlcore.network import Network
from mlcore.training import Callback, FitResult, History, TrainConfig

CLASSES = ("not one character", "one character")
KIND_SHARE = {"one": 0.4, "pair": 0.25, "half": 0.2, "sliver": 0.15}
STRETCH = (1.0, 1.5)          # how much wider a stretched single character is written
MAX_OVERLAP = 3               # pixels two neighbours may overlap, at PAIR_HEIGHT
PAIR_HEIGHT = 40              # pixels: the height pairs are composed at (about a page's working height)
CUT = (0.3, 0.7)              # where a half is cut, as a share of the character's width
SLIVER = (0.15, 0.35)         # how much of the next character a sliver holds
RULED = 0.2                   # the share of crops crossed by a rule
RULE_WIDTH = (0.03, 0.08)     # a rule's width, as a share of the crop's height
TRAIN_CROPS = 40_000          # crops composed for training; a tenth as many for validation and for test
# A crop is 4 KB, and training holds several copies of the set (standardised, augmented, in batches):
# a bound on what one command may allocate. 40,000 are enough (80,000 did no better).
MAX_CROPS = 60_000
RECIPES = (
    ClassifierRecipe(hidden=(256, 128), activation="relu", init="he", optimizer="adam", lr=1e-3,
                     train=TrainConfig(epochs=20, batch_size=64, seed=0), augmentation=Augmentation()),
    ClassifierRecipe(arch="cnn", channels=(16, 32), dense=64, optimizer="adam", lr=1e-3,
                     train=TrainConfig(epochs=6, batch_size=64, seed=0), augmentation=Augmentation()),
)


def verifier_path() -> Path:
    return models_dir() / "ocr" / "verifier.npz"


def character_inks(X: np.ndarray) -> list[np.ndarray]:
    """Each row's character as ink (1 = ink), cropped to its box."""
    inks = []
    for row in rows_to_images(X):
        image = 1.0 - row
        box = ink_box(image)
        inks.append(image if box is None else image[box])
    return inks


def _resized(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    return resize(ink, (max(height, 2), max(width, 2)), order=1, preserve_range=True)


def _side_by_side(a: np.ndarray, b: np.ndarray, overlap: int) -> np.ndarray:
    """`a` and `b` top-aligned, b starting `overlap` columns before a ends (the darker ink kept)."""
    overlap = min(overlap, b.shape[1] - 1, a.shape[1] - 1)
    out = np.zeros((max(a.shape[0], b.shape[0]), a.shape[1] + b.shape[1] - overlap))
    out[:a.shape[0], :a.shape[1]] = a
    start = a.shape[1] - overlap
    out[:b.shape[0], start:] = np.maximum(out[:b.shape[0], start:], b)
    return out


def compose(kind: str, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One crop of `kind` (a KIND_SHARE key) made from the characters `a` and `b` (ink, cropped)."""
    if kind == "one":
        stretch = rng.uniform(*STRETCH) if rng.random() < 0.5 else 1.0
        return _resized(a, a.shape[0], round(a.shape[1] * stretch))
    if kind == "half":
        cut = max(1, int(a.shape[1] * rng.uniform(*CUT)))
        return a[:, :cut] if rng.random() < 0.5 else a[:, cut:]
    first = _resized(a, PAIR_HEIGHT, round(a.shape[1] * PAIR_HEIGHT / a.shape[0]))
    height = round(PAIR_HEIGHT * rng.uniform(0.85, 1.15))
    second = _resized(b, height, round(b.shape[1] * height / b.shape[0]))
    if kind == "sliver":
        second = second[:, :max(1, int(second.shape[1] * rng.uniform(*SLIVER)))]
    return _side_by_side(first, second, int(rng.integers(0, MAX_OVERLAP + 1)))


def crossed_by_a_rule(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`ink` with a straight line across its width at a random height, up to 2 degrees askew."""
    h, w = ink.shape
    rows = np.arange(h)[:, None]
    centre = rng.uniform(0.1, 0.9) * h + np.tan(np.radians(rng.uniform(-2, 2))) * (np.arange(w) - w / 2)
    line = np.abs(rows - centre) <= max(0.5, rng.uniform(*RULE_WIDTH) * h / 2)
    return np.maximum(ink, line * rng.uniform(0.5, 1.0))


def verifier_crops(split: Split, n: int, rng: np.random.Generator) -> Split:
    """`n` crops composed from the characters of `split`, labelled 1 for one whole character."""
    inks = character_inks(split.X)
    kinds = rng.choice(list(KIND_SHARE), size=n, p=list(KIND_SHARE.values()))
    pairs, ruled = rng.integers(len(inks), size=(n, 2)), rng.random(n) < RULED
    images = np.empty((n, SIZE, SIZE), dtype=np.float32)
    for i, (kind, (a, b)) in enumerate(zip(kinds, pairs)):
        crop = compose(kind, inks[a], inks[b], rng)
        images[i] = 1.0 - normalize_glyph(crossed_by_a_rule(crop, rng) if ruled[i] else crop)
    return Split(images_to_rows(images), (kinds == "one").astype(np.int64))


def verifier_dataset(chars: Dataset, n_train: int = TRAIN_CROPS, seed: int = 0) -> Dataset:
    """`n_train` crops for training and a tenth as many for validation and test, each split's from that
    split's characters."""
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 10 <= n_train <= MAX_CROPS:
        raise ValueError(f"the verifier's training crops must be a whole number from 10 to {MAX_CROPS}, "
                         f"got {n_train!r}")
    if any(len(split) == 0 for split in chars.splits().values()):
        raise ValueError(f"{chars.name} has an empty split: the verifier composes crops from every split")
    rng = np.random.default_rng(seed)
    counts = {"train": n_train, "valid": n_train // 10, "test": n_train // 10}
    splits = {name: verifier_crops(split, counts[name], rng) for name, split in chars.splits().items()}
    return Dataset(f"{chars.name} crops, one character or not (data {chars.fingerprint()})", **splits,
                   classes=CLASSES)


def train_verifier(chars: Dataset, recipes: tuple[ClassifierRecipe, ...] = RECIPES, *, n_train: int = TRAIN_CROPS,
                   command: str | None = None, callbacks: tuple[Callback, ...] = ()) -> TrainedClassifier:
    """The verifier trained on crops composed from `chars` (a handwriting dataset): each recipe's network
    trained in turn on the same crops (drawn with the first recipe's seed), then one model averaging their
    probabilities (an ensemble file, as `python -m mlcore ensemble` writes). A network that does not
    complete (diverged, stopped) is returned as it is, and no later one trains."""
    crops = verifier_dataset(chars, n_train, seed=recipes[0].train.seed)
    members: list[TrainedClassifier] = []
    for recipe in recipes:
        members.append(train_classifier(crops, recipe, command=command, callbacks=callbacks))
        if members[-1].result.status != "completed" or len(recipes) == 1:
            return members[-1]
    saved = [SavedModel(m.network, m.metadata) for m in members]
    network, metadata, predictions = combine_classifiers(saved, crops, command)
    # Every network's epochs, in turn (the last one's alone said "completed 6 epochs" of an MLP trained 20).
    epochs = ", ".join(f"{r.arch} {m.result.epochs_run}" for r, m in zip(recipes, members))
    result = FitResult(History([e for m in members for e in m.result.history.records]), "completed",
                       f"completed (epochs: {epochs})")
    return TrainedClassifier(network, result, metadata["metrics"], metadata, predictions)


@lru_cache(maxsize=4)
def load_verifier(path: Path | None = None) -> Network:
    """The verifier in `path` (default: the shipped one), loaded once per process and shared: reading
    changes none of its weights (a layer keeps its last input, which nothing reads back outside training)."""
    path = path or verifier_path()
    model = load_classifier(path)
    if model.classes != CLASSES:
        raise ModelFileError(f"{path}: not a one-character verifier (classes {model.classes})")
    return model.network
