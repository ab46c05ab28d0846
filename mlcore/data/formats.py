"""Readers for the homework's .mat files, (gzip) IDX image/label files and pen strokes files.

All return images in the NIST convention (rows of 1024 values, a 32x32 image
stored column-major, dark ink on white in [0, 1], float32), each character
normalised by `glyphs.normalize_glyph`, and integer labels indexing CLASSES.
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.io

from mlcore.data.classes import CLASSES
from mlcore.data.glyphs import images_to_rows, normalize_glyphs, normalize_rows
from mlcore.data.paths import cache_dir
from mlcore.data.strokes import StrokeFormatError, load_strokes

SPLITS = ("train", "valid", "test")
IDX_MAGIC_UBYTE = 0x08
MAX_IDX_BYTES = 512 * 2**20
STROKES_SUFFIX = "_strokes.json"


class DataFormatError(ValueError):
    """A data file that cannot be read as what it claims to be."""


def _labels_from_onehot(onehot: np.ndarray, path: Path, key: str) -> np.ndarray:
    onehot = np.asarray(onehot)
    if onehot.ndim != 2 or onehot.shape[1] not in (26, 36):
        raise DataFormatError(f"{path}: {key} must be one-hot with 26 or 36 columns, got shape {onehot.shape}")
    if not np.all(onehot.sum(axis=1) == 1):
        raise DataFormatError(f"{path}: {key} rows are not one-hot")
    # 26 columns are A..Z, which are the first 26 of the homework's 36 classes.
    return onehot.argmax(axis=1).astype(np.int64)


def _read_mat(path: Path, **kwargs) -> dict:
    try:
        return scipy.io.loadmat(path, **kwargs)
    except Exception as exc:  # scipy raises many types for corrupt files
        raise DataFormatError(f"{path}: not a readable MATLAB file ({exc})") from None


def _digit_labels(labels: np.ndarray, path: Path) -> np.ndarray:
    """MNIST labels 0-9 as indices into CLASSES."""
    if labels.max(initial=0) > 9:
        raise DataFormatError(f"{path}: digit labels must be 0-9, found {labels.max()}")
    return labels.astype(np.int64) + CLASSES.index("0")


def load_mat(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every split ('train', 'valid', 'test') present in a homework .mat file."""
    path = Path(path)
    mat = _read_mat(path)
    splits = {}
    for split in SPLITS:
        dkey, lkey = f"{split}_data", f"{split}_labels"
        if dkey not in mat or lkey not in mat:
            continue
        x = np.asarray(mat[dkey])
        if x.ndim != 2 or x.shape[1] != 1024 or not np.issubdtype(x.dtype, np.number):
            raise DataFormatError(f"{path}: {dkey} must be numeric of shape (N, 1024), got {x.shape}")
        y = _labels_from_onehot(mat[lkey], path, lkey)
        if len(y) != len(x):
            raise DataFormatError(f"{path}: {dkey} has {len(x)} rows but {lkey} has {len(y)}")
        # Resampling left values slightly outside [0, 1]; the convention is [0, 1].
        splits[split] = (normalize_rows(np.clip(x, 0.0, 1.0)), y)
    if not splits:
        raise DataFormatError(f"{path}: no train_/valid_/test_data with matching _labels keys")
    return splits


def labels_of_file(path: str | Path) -> np.ndarray:
    """Only the labels of a .mat file (all splits pooled) or an IDX images file: cheap, no images decoded."""
    path = Path(path)
    if path.suffix == ".mat":
        keys = [f"{split}_labels" for split in SPLITS]
        mat = _read_mat(path, variable_names=keys)
        found = [_labels_from_onehot(mat[k], path, k) for k in keys if k in mat]
        if not found:
            raise DataFormatError(f"{path}: no *_labels keys")
        return np.concatenate(found)
    return _digit_labels(read_idx(labels_path_for(path)), path)


def _open_maybe_gzip(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"{path}: cannot read ({exc})") from None
    if len(data) > MAX_IDX_BYTES:
        raise DataFormatError(f"{path}: larger than {MAX_IDX_BYTES // 2**20} MB uncompressed")
    return data


def read_idx(path: str | Path) -> np.ndarray:
    """An unsigned-byte IDX array (the MNIST/EMNIST format), gzip or not."""
    path = Path(path)
    data = _open_maybe_gzip(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != IDX_MAGIC_UBYTE:
        raise DataFormatError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataFormatError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) - header != int(np.prod(shape)):
        raise DataFormatError(f"{path}: header says {shape} but holds {len(data) - header} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def labels_path_for(images_path: Path) -> Path:
    """The labels file beside an images file, by the standard MNIST/EMNIST naming."""
    name = images_path.name
    if "-images-idx3-ubyte" not in name:
        raise DataFormatError(f"{images_path}: expected a name like '...-images-idx3-ubyte.gz'")
    return images_path.with_name(name.replace("-images-idx3-ubyte", "-labels-idx1-ubyte"))


def load_idx_digits(images_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-style digit images and labels (0-9), converted to the NIST convention."""
    images_path = Path(images_path)
    images = read_idx(images_path)
    labels = read_idx(labels_path_for(images_path))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataFormatError(f"{images_path}: images {images.shape} and labels {labels.shape} do not match")
    y = _digit_labels(labels, images_path)
    # MNIST stores white ink (255) on black, upright and row-major.
    ink = images.astype(np.float32) / 255.0
    return images_to_rows(1.0 - normalize_glyphs(ink)), y


class Samples(NamedTuple):
    X: np.ndarray                  # (n, 1024) float32 rows in the NIST convention
    y: np.ndarray                  # (n,) int64 indices into CLASSES
    writers: np.ndarray | None     # (n,) writer of each sample, where the file says


def is_strokes_file(path: Path) -> bool:
    return path.name.endswith(STROKES_SUFFIX)


def load_labelled_file(path: str | Path) -> Samples:
    """All labelled samples of one .mat file (its splits pooled), one IDX images file or one pen
    strokes file (`strokes.load_strokes`, the only kind that knows its writers)."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    if path.suffix == ".mat":
        splits = load_mat(path)
        xs, ys = zip(*splits.values())
        return Samples(np.concatenate(xs), np.concatenate(ys), None)
    if "idx3-ubyte" in path.name:
        return Samples(*load_idx_digits(path), None)
    if is_strokes_file(path):
        try:
            return Samples(*load_strokes(path, cache_dir()))
        except StrokeFormatError as exc:
            raise DataFormatError(str(exc)) from None
    raise DataFormatError(f"{path}: expected a .mat file, an IDX '...-images-idx3-ubyte[.gz]' file or a "
                          f"'...{STROKES_SUFFIX}' pen strokes file")
