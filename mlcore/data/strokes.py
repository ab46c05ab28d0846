"""Characters written as pen trajectories (Chars74K's tablet samples), drawn into the NIST convention.

A file is a JSON object: class name -> samples; a sample is a list of strokes, a stroke a list of
[x, y] tablet points (y pointing down). Sample k of every class was written by the same person, so
the k-th position is the writer: splits are made by writer, never by sample.

Each sample is drawn as the polyline of its points on a canvas SUPERSAMPLE times finer than 32x32,
widened to a round pen of PEN_WIDTH (in 32x32 pixels) by a distance transform, averaged down to
32x32 (anti-aliased edges, as a scanned stroke has) and brought to the convention by
`normalize_glyph`. PEN_WIDTH was chosen so that the drawn characters' median stroke width, measured
as NIST's is (`glyphs.ink_measures`: ink area over skeleton length, at ink > 0.5), comes near the NIST
letters': over whole files 3.27 px against 3.43 (tests/test_data.py keeps them within 10%).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from mlcore.data.cache import read_arrays, write_arrays
from mlcore.data.classes import CLASSES
from mlcore.data.glyphs import EXTENT, SIZE, images_to_rows, normalize_glyph

PEN_WIDTH = 3.0          # diameter of the pen at 32x32, pixels (see the module's docstring)
SUPERSAMPLE = 4
MAX_FILE_BYTES = 64 * 2**20
MAX_SAMPLES = 20_000     # a file's samples, all classes together
MAX_POINTS = 5_000       # one sample's points, all strokes together
MAX_STROKES = 64
MAX_COORDINATE = 1e6
CACHE_VERSION = 1        # bump whenever the drawing code (draw_sample, normalize_glyph) changes


class StrokeFormatError(ValueError):
    """A strokes file that is not what the format says."""


def _points(sample, where: str) -> list[np.ndarray]:
    """A sample's strokes as float arrays (n, 2), each checked."""
    if not isinstance(sample, list) or not 1 <= len(sample) <= MAX_STROKES:
        raise StrokeFormatError(f"{where}: a sample must be a list of 1 to {MAX_STROKES} strokes")
    if sum(len(s) if isinstance(s, list) else 0 for s in sample) > MAX_POINTS:
        raise StrokeFormatError(f"{where}: more than {MAX_POINTS} points in one sample")
    strokes = []
    for stroke in sample:
        try:
            pts = np.asarray(stroke)
        except (TypeError, ValueError):
            raise StrokeFormatError(f"{where}: a stroke must be a list of [x, y] numbers") from None
        if pts.dtype.kind not in "iuf" or pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise StrokeFormatError(f"{where}: a stroke must be a list of [x, y] numbers")
        pts = pts.astype(np.float64)
        # Beyond a tablet's range, coordinates would overflow the drawing's arithmetic.
        if not (np.isfinite(pts).all() and np.abs(pts).max() <= MAX_COORDINATE):
            raise StrokeFormatError(f"{where}: points must be finite and within +-{MAX_COORDINATE:g}")
        strokes.append(pts)
    return strokes


def _densify(strokes: list[np.ndarray], lo: np.ndarray, scale: float, offset: np.ndarray) -> np.ndarray:
    """Canvas points (m, 2) along every stroke's polyline, at most half a canvas pixel apart."""
    out = []
    for stroke in strokes:
        p = (stroke - lo) * scale + offset
        steps = np.maximum(np.ceil(2 * np.abs(np.diff(p, axis=0)).max(axis=1, initial=0)), 1).astype(int)
        t = np.concatenate([np.arange(n) / n for n in steps]) if len(steps) else np.zeros(0)
        start = np.repeat(np.arange(len(steps)), steps)
        out += [p[start] + t[:, None] * (p[start + 1] - p[start]), p[-1:]]
    return np.concatenate(out)


def draw_sample(strokes: list[np.ndarray], pen_width: float = PEN_WIDTH) -> np.ndarray:
    """One character's strokes as a (32, 32) ink image (1 = ink), normalised as every glyph is."""
    big = SIZE * SUPERSAMPLE
    pts = np.concatenate(strokes)
    lo, span = pts.min(axis=0), max(float(np.ptp(pts, axis=0).max()), 1e-9)
    # The longest side at EXTENT, as normalize_glyph will make it, so the pen width is kept.
    scale = (EXTENT * SUPERSAMPLE - 1) / span
    offset = (big - np.ptp(pts, axis=0) * scale) / 2
    skeleton = np.zeros((big, big), dtype=bool)
    xy = np.rint(_densify(strokes, lo, scale, offset)).astype(int).clip(0, big - 1)
    skeleton[xy[:, 1], xy[:, 0]] = True
    pen = ndimage.distance_transform_edt(~skeleton) <= pen_width * SUPERSAMPLE / 2
    small = pen.reshape(SIZE, SUPERSAMPLE, SIZE, SUPERSAMPLE).mean(axis=(1, 3))
    return normalize_glyph(small)


def load_strokes(path: str | Path, cache: Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (NIST convention), labels (indices into CLASSES) and writers of a strokes file; drawn once per
    machine and kept in `cache` (a folder) when given, under the hash of the file's bytes."""
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise StrokeFormatError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB")
    content = path.read_bytes()
    # Keyed by what decides the drawing: the file's bytes and the drawing's constants.
    key = hashlib.sha256(content + repr((PEN_WIDTH, SUPERSAMPLE, EXTENT, SIZE)).encode()).hexdigest()[:16]
    where = cache / f"strokes-v{CACHE_VERSION}-{key}.npz" if cache else None
    kept = read_arrays(where, ("X", "y", "writers"), _valid) if where else None
    if kept:
        return kept["X"], kept["y"], kept["writers"]
    X, y, writers = _draw_file(path, content)
    if where:
        write_arrays(where, {"X": X, "y": y, "writers": writers})
    return X, y, writers


def _valid(arrays: dict[str, np.ndarray]) -> bool:
    X, y, writers = arrays["X"], arrays["y"], arrays["writers"]
    return (X.dtype == np.float32 and X.ndim == 2 and X.shape[1] == SIZE * SIZE and y.dtype == np.int64
            and y.shape == writers.shape == (len(X),))


def _draw_file(path: Path, content: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise StrokeFormatError(f"{path}: not a JSON file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not data:
        raise StrokeFormatError(f"{path}: expected an object of class name -> samples")
    unknown = sorted(set(data) - set(CLASSES))
    if unknown:
        raise StrokeFormatError(f"{path}: unknown classes {', '.join(map(str, unknown[:5]))}")
    if sum(len(v) if isinstance(v, list) else 0 for v in data.values()) > MAX_SAMPLES:
        raise StrokeFormatError(f"{path}: more than {MAX_SAMPLES} samples")
    images, labels, writers = [], [], []
    for name in sorted(data, key=CLASSES.index):
        samples = data[name]
        if not isinstance(samples, list):
            raise StrokeFormatError(f"{path}: class {name} must hold a list of samples")
        for k, sample in enumerate(samples):
            images.append(draw_sample(_points(sample, f"{path}: sample {k} of class {name}")))
            labels.append(CLASSES.index(name))
            writers.append(k)
    if not images:
        raise StrokeFormatError(f"{path}: holds no sample")
    return (images_to_rows(1.0 - np.stack(images)), np.array(labels, dtype=np.int64),
            np.array(writers, dtype=np.int64))
