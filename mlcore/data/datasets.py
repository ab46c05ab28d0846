"""Datasets built from whatever real handwriting the data directory holds.

- 'nist36': the homework's own nist36_train/valid/test.mat, used as they are.
- 'handwriting': every other letters .mat file and digits IDX file found,
  pooled and split train/valid/test per class (stratified) with a fixed seed.
Class imbalance (the shared data has 20x more digits than letters) is handled
in training by balanced sampling, so the splits keep every real sample.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlcore.data.classes import CLASSES, is_letter
from mlcore.data.formats import DataFormatError, labels_of_file, load_labelled_file, load_mat
from mlcore.data.paths import data_dir

NIST36_FILES = {split: f"nist36_{split}.mat" for split in ("train", "valid", "test")}
SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
SKIP_DIRS = {"models", "runs", "pages"}


class DataNotFoundError(FileNotFoundError):
    """No usable data in the data directory."""


@dataclass
class Split:
    X: np.ndarray  # (N, 1024) float32 rows in the NIST convention
    y: np.ndarray  # (N,) int64 indices into CLASSES

    def __len__(self):
        return len(self.y)



@dataclass
class Dataset:
    name: str
    train: Split
    valid: Split
    test: Split
    sources: list[str] = field(default_factory=list)
    classes: tuple[str, ...] = CLASSES

    def splits(self) -> dict[str, Split]:
        return {"train": self.train, "valid": self.valid, "test": self.test}

    def fingerprint(self) -> str:
        """A short hash of every sample and label, to tell which data a model saw."""
        h = hashlib.sha256()
        for split in self.splits().values():
            h.update(np.ascontiguousarray(split.X, dtype=np.float32).tobytes())
            h.update(np.ascontiguousarray(split.y, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]

    def summary(self) -> dict:
        return {name: _counts(s.y) for name, s in self.splits().items()}


def _counts(y: np.ndarray) -> dict[str, int]:
    return {"n": int(len(y)), "letters": int(is_letter(y).sum()), "digits": int((~is_letter(y)).sum())}


def find_data_files(root: Path) -> list[Path]:
    """Letter .mat files and IDX image files under root (models, runs and pages skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".mat") or "-images-idx3-ubyte" in name:
                found.append(Path(dirpath) / name)
    return found


def _nist36_dir(files: list[Path]) -> Path | None:
    for f in files:
        if f.name == NIST36_FILES["train"] and all((f.parent / n).exists() for n in NIST36_FILES.values()):
            return f.parent
    return None


def available_datasets(root: Path | str | None = None) -> dict[str, list[Path]]:
    """Dataset name -> the files it is made of, for the data present under root."""
    root = Path(root) if root else data_dir()
    files = find_data_files(root) if root.is_dir() else []
    out = {}
    nist36 = _nist36_dir(files)
    if nist36:
        out["nist36"] = [nist36 / n for n in NIST36_FILES.values()]
    pooled = [f for f in files if f.name not in NIST36_FILES.values()]
    if pooled:
        out["handwriting"] = pooled
    return out


def stratified_split(y: np.ndarray, seed: int, fractions=SPLIT_FRACTIONS) -> tuple[np.ndarray, ...]:
    """Indices of train/valid/test with each class split in the same proportions."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_valid = int(round(fractions[1] * len(idx)))
        n_test = int(round(fractions[2] * len(idx)))
        n_train = len(idx) - n_valid - n_test
        for part, chunk in zip(parts, np.split(idx, [n_train, n_train + n_valid])):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def dataset_summary(name: str, root: Path | str | None = None, seed: int = 0) -> dict:
    """What load_dataset(name).summary() gives, from the labels alone (no image is decoded)."""
    files = available_datasets(root).get(name)
    if files is None:
        raise DataNotFoundError(f"dataset {name!r} is not in {root or data_dir()}")
    if name == "nist36":
        return {s: _counts(labels_of_file(f)) for s, f in zip(NIST36_FILES, files)}
    y = np.concatenate([labels_of_file(f) for f in files])
    return {s: _counts(y[i]) for s, i in zip(NIST36_FILES, stratified_split(y, seed))}


def _split_of(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    splits = load_mat(path)
    if split not in splits:
        raise DataFormatError(f"{path}: has no {split}_data / {split}_labels")
    return splits[split]


def default_name(available: dict) -> str:
    """The dataset used when none is named: the homework's own when present."""
    return "nist36" if "nist36" in available else "handwriting"


def load_dataset(name: str | None = None, root: Path | str | None = None, seed: int = 0) -> Dataset:
    """Load a dataset by name; None picks 'nist36' when present, else 'handwriting'."""
    root = Path(root) if root else data_dir()
    available = available_datasets(root)
    if not available:
        raise DataNotFoundError(
            f"no handwriting data found in {root}. Set MLCORE_DATA_DIR to a folder with "
            "letter .mat files and/or MNIST IDX files, or run `python -m mlcore download`.")
    name = default_name(available) if name is None else name
    if name not in available:
        raise DataNotFoundError(f"dataset {name!r} is not in {root}; available: {', '.join(available)}")
    files = available[name]
    if name == "nist36":
        splits = {s: Split(*_split_of(f, s)) for s, f in zip(NIST36_FILES, files)}
        return Dataset(name, **splits, sources=[str(f) for f in files])
    xs, ys = zip(*(load_labelled_file(f) for f in files))
    X, y = np.concatenate(xs), np.concatenate(ys)
    parts = stratified_split(y, seed)
    return Dataset(name, *(Split(X[i], y[i]) for i in parts), sources=[str(f) for f in files])
