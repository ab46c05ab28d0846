"""Datasets built from whatever real handwriting the data directory holds.

- 'nist36': the homework's own nist36_train/valid/test.mat, used as they are.
- 'handwriting': every other letters .mat file, digits IDX file and pen strokes file found,
  pooled and split train/valid/test per class (stratified) with a fixed seed; a file that knows
  its writers (the strokes) is split by writer, so that no writer is in two splits.
- 'synthetic': characters the project draws itself from stroke fonts, always
  there (the offline default); not real handwriting, and named so everywhere.
Class imbalance (the shared data holds more than twice as many digits as letters) is handled
in training by balanced sampling, so the splits keep every real sample.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlcore.data.audit import audit_labels
from mlcore.data.classes import CLASSES, is_letter
from mlcore.data.formats import (
    STROKES_SUFFIX,
    DataFormatError,
    is_strokes_file,
    labels_of_file,
    load_labelled_file,
    load_mat,
    read_idx,
)
from mlcore.data.paths import PAGES, cache_dir, data_dir
from mlcore.data.synthetic import PER_CLASS, synthetic_splits

NIST36_FILES = {split: f"nist36_{split}.mat" for split in ("train", "valid", "test")}
SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
SKIP_DIRS = {"models", "runs", PAGES}
SYNTHETIC = "synthetic"


class DataNotFoundError(FileNotFoundError):
    """No usable data in the data directory."""


@dataclass
class Split:
    X: np.ndarray  # (N, 1024) float32 rows in the NIST convention
    y: np.ndarray  # (N,) int64 indices into CLASSES
    source: np.ndarray | None = None  # (N,) indices into the dataset's source_names, when pooled
    writer: np.ndarray | None = None  # (N,) writer within its source file, -1 where the file does not say

    def __len__(self):
        return len(self.y)

    def subset(self, index: np.ndarray) -> "Split":
        """The samples at `index` (indices or a boolean mask), with everything known about them."""
        return Split(*(None if a is None else a[index] for a in (self.X, self.y, self.source, self.writer)))



@dataclass
class Dataset:
    name: str
    train: Split
    valid: Split
    test: Split
    sources: list[str] = field(default_factory=list)
    source_names: list[str] = field(default_factory=list)   # one per source file: what Split.source indexes
    classes: tuple[str, ...] = CLASSES
    notes: list[str] = field(default_factory=list)   # what the loader left out, and why

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
    """Letter .mat files, IDX image files and strokes files under root (models, runs and pages skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".mat") or "-images-idx3-ubyte" in name or is_strokes_file(Path(name)):
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
    out[SYNTHETIC] = []
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
    """What load_dataset(name).summary() gives, from the labels alone where that is enough."""
    files = available_datasets(root).get(name)
    if files is None:
        raise DataNotFoundError(f"dataset {name!r} is not in {root or data_dir()}")
    if name == "nist36":
        return {s: _counts(labels_of_file(f)) for s, f in zip(NIST36_FILES, files)}
    if name == SYNTHETIC:
        return {s: _counts(np.repeat(np.arange(len(CLASSES)), n)) for s, n in PER_CLASS.items()}
    # The pool's label audit needs the images: its sizes are those of the dataset as loaded.
    return load_dataset(name, root, seed).summary()


def published_part(path: Path) -> str | None:
    """'train' or 'test' for a file its publisher made one part of a fixed split (MNIST's train-* and
    t10k-*, whose writers are disjoint), None for a file to be split here."""
    if path.name.startswith("train-"):
        return "train"
    return "test" if path.name.startswith(("t10k-", "test-")) else None


def _raw_rows(path: Path, n: int) -> list[bytes] | None:
    # The stored image bytes, to recognise one sample in two files; .mat letters have no published parts.
    return [row.tobytes() for row in read_idx(path).reshape(n, -1)] if "idx3-ubyte" in path.name else None


def writer_split(writers: np.ndarray, seed: int, fractions=SPLIT_FRACTIONS) -> tuple[np.ndarray, ...]:
    """Indices of train/valid/test with every writer's samples in one of them only."""
    ids = np.random.default_rng(seed).permutation(np.unique(writers))
    n_valid, n_test = int(round(fractions[1] * len(ids))), int(round(fractions[2] * len(ids)))
    groups = np.split(ids, [len(ids) - n_valid - n_test, len(ids) - n_test])
    return tuple(np.flatnonzero(np.isin(writers, g)) for g in groups)


def pooled_split(files: list[Path], ys: list[np.ndarray], seed: int, keep: np.ndarray | None = None,
                 writers: list[np.ndarray | None] | None = None) -> tuple[np.ndarray, ...]:
    """Indices of train, valid and test into the files' samples concatenated (ys: each file's labels;
    keep: False for samples left out of every split; writers: each file's writer per sample, or None).

    A file that knows its writers is split by writer; a publisher's training part goes to train and
    valid only, its test part to test only; other files are split per class. A training sample that is
    also a test sample (the shared 8,000 MNIST digits come from MNIST's test set) is left out, so that
    no test sample is ever trained on."""
    writers = writers or [None] * len(files)
    y = np.concatenate(ys)
    parts = [published_part(f) if w is None else "writers" for f, w in zip(files, writers)]
    bounds = np.cumsum([0] + [len(labels) for labels in ys])
    chosen: list[list[np.ndarray]] = [[], [], []]
    for part, fractions in ((None, SPLIT_FRACTIONS), ("train", (0.8, 0.2, 0.0)), ("test", (0.0, 0.0, 1.0))):
        if part in parts:
            idx = np.concatenate([np.arange(bounds[k], bounds[k + 1]) for k, p in enumerate(parts) if p == part])
            for out, sel in zip(chosen, stratified_split(y[idx], seed, fractions)):
                out.append(idx[sel])
    for k, w in enumerate(writers):
        if w is not None:
            for out, sel in zip(chosen, writer_split(w, seed)):
                out.append(bounds[k] + sel)
    train, valid, test = (np.sort(np.concatenate(c)) for c in chosen)
    if keep is not None:
        train, valid, test = (ids[keep[ids]] for ids in (train, valid, test))
    if "test" not in parts:
        return train, valid, test
    rows = [r for f, labels in zip(files, ys) for r in (_raw_rows(f, len(labels)) or [None] * len(labels))]
    tested = {rows[i] for i in test} - {None}
    train, valid = (np.array([i for i in ids if rows[i] not in tested], dtype=np.int64) for ids in (train, valid))
    return train, valid, test


def _split_of(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    splits = load_mat(path)
    if split not in splits:
        raise DataFormatError(f"{path}: has no {split}_data / {split}_labels")
    return splits[split]


def default_name(available: dict) -> str:
    """The dataset used when none is named: the homework's own when present, then the real pool,
    then the synthetic one."""
    return next(name for name in ("nist36", "handwriting", SYNTHETIC) if name in available)


def load_dataset(name: str | None = None, root: Path | str | None = None, seed: int = 0) -> Dataset:
    """Load a dataset by name; None picks the default (`default_name`)."""
    root = Path(root) if root else data_dir()
    available = available_datasets(root)
    name = default_name(available) if name is None else name
    if name not in available:
        raise DataNotFoundError(f"dataset {name!r} is not in {root}; available: {', '.join(available)}")
    files = available[name]
    if name == SYNTHETIC:
        splits = synthetic_splits(seed, cache_dir())
        return Dataset(name, **{s: Split(*xy) for s, xy in splits.items()}, sources=["synthetic: stroke fonts"])
    if name == "nist36":
        splits = {s: Split(*_split_of(f, s)) for s, f in zip(NIST36_FILES, files)}
        return Dataset(name, **splits, sources=[str(f) for f in files])
    return _pooled(files, seed)


def _pooled(files: list[Path], seed: int) -> Dataset:
    """The 'handwriting' pool: every file read, its labels audited, split (`pooled_split`)."""
    xs, ys, writers = zip(*(load_labelled_file(f) for f in files))
    X, y = np.concatenate(xs), np.concatenate(ys)
    wrong = audit_labels(list(xs), list(ys), len(CLASSES))
    keep = np.ones(len(y), dtype=bool)
    starts = np.cumsum([0] + [len(labels) for labels in ys])
    for block in wrong:
        keep[starts[block.file] + np.flatnonzero(ys[block.file] == block.label)] = False
    parts = pooled_split(files, list(ys), seed, keep, list(writers))
    sizes = [len(labels) for labels in ys]
    known = [np.full(n, -1, dtype=np.int64) if w is None else w for w, n in zip(writers, sizes)]
    pool = Split(X, y, np.repeat(np.arange(len(files)), sizes), np.concatenate(known))
    return Dataset("handwriting", *(pool.subset(i) for i in parts), sources=[str(f) for f in files],
                   source_names=source_names(files),
                   notes=[block.describe(files, CLASSES) for block in wrong])


def source_names(files: list[Path]) -> list[str]:
    """What each file's samples are reported as: its name without the format's suffixes, with its folder
    where two files would otherwise share a name."""
    names = []
    for path in files:
        name = path.name
        for suffix in (".gz", "-images-idx3-ubyte", ".mat", STROKES_SUFFIX):
            name = name.removesuffix(suffix)
        names.append(name)
    return [f"{f.parent.name}/{n}" if names.count(n) > 1 else n for f, n in zip(files, names)]
