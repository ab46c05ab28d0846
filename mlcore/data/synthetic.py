"""Synthetic handwriting: characters drawn from Hershey stroke fonts.

Real letters are scarce (about 40 per class), so training can mix in
characters rendered from single-line vector fonts, each one distorted the way
hands vary: a random slant and rotation, an aspect change, a smooth elastic
warp (which also bends the straight strokes), and a random pen width. They then pass
through the same `normalize_glyph` as every real character.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage

from mlcore.data.augment import smooth_random_field
from mlcore.data.cache import read_arrays, write_arrays
from mlcore.data.classes import CLASSES
from mlcore.data.glyphs import images_to_rows, normalize_glyph

# Fonts whose capitals and digits look like print handwriting (single or
# double stroke, upright or italic); the decorative ones are left out.
FONTS = ("futural", "rowmans", "timesr", "timesi")
# The offline dataset takes the single-stroke fonts alone: a pen draws one line, not a serif outline.
PEN_FONTS = ("futural", "rowmans")
CANVAS = 64


@lru_cache(maxsize=None)
def _font(name: str):
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    return font


@lru_cache(maxsize=None)
def _strokes(font: str, char: str) -> np.ndarray:
    """Line segments (n, 2, 2) of one character as (x, y), y pointing down."""
    return np.array(list(_font(font).lines_for_text(char)), dtype=np.float64)


FINE = 2   # the strokes are measured on a grid this many times finer than the canvas


def _distance_to_strokes(segs: np.ndarray) -> np.ndarray:
    """Distance (CANVAS * FINE)^2 on the fine grid to the nearest stroke, segs (S, 2, 2) as (x, y) in canvas
    pixels.

    The strokes are drawn one fine pixel wide and measured by a distance transform: within a quarter of a
    canvas pixel of the exact distance to the segments, at a hundredth of its cost."""
    a, ab = segs[:, 0] * FINE, (segs[:, 1] - segs[:, 0]) * FINE
    n = np.ceil(np.hypot(ab[:, 0], ab[:, 1]) / 0.25).astype(np.int64) + 1   # a point every quarter pixel
    seg = np.repeat(np.arange(len(segs)), n)
    t = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.maximum(n[seg] - 1, 1)
    col, row = np.clip(np.floor(a[seg] + t[:, None] * ab[seg]).astype(np.int64), 0, CANVAS * FINE - 1).T
    off_stroke = np.ones((CANVAS * FINE, CANVAS * FINE), dtype=bool)
    off_stroke[row, col] = False
    # A pixel marked as stroke lies a quarter of a fine pixel from the true line on average: added back.
    return (ndimage.distance_transform_edt(off_stroke) + 0.25) / FINE


@dataclass(frozen=True)
class StrokeStyle:
    slant: float = 0.25        # shear factor, uniform in +-slant
    rotation: float = 8.0      # degrees
    aspect: float = 0.2        # relative width change, uniform in +-aspect
    elastic: float = 3.0       # elastic displacement in canvas pixels
    width: tuple[float, float] = (2.5, 7.0)  # pen width range in canvas pixels (64 px canvas)


def render(char: str, font: str, rng: np.random.Generator, style: StrokeStyle = StrokeStyle()) -> np.ndarray:
    """One distorted character, as ink (1) on background (0), CANVAS x CANVAS."""
    segs = _strokes(font, char).copy()
    pts = segs.reshape(-1, 2)
    lo, hi = pts.min(0), pts.max(0)
    theta = np.deg2rad(rng.uniform(-style.rotation, style.rotation))
    shear = rng.uniform(-style.slant, style.slant)
    sx = 1.0 + rng.uniform(-style.aspect, style.aspect)
    m = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) @ np.array([[sx, shear], [0, 1]])
    pts = (pts - (lo + hi) / 2) @ m.T
    scale = 0.6 * CANVAS / max(np.ptp(pts, axis=0).max(), 1e-6)
    pts = pts * scale + CANVAS / 2
    fine = _distance_to_strokes(pts.reshape(-1, 2, 2))
    rows, cols = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float64)
    if style.elastic:
        # Each pixel takes the ink of a point displaced by a smooth random field: the strokes bend.
        field = smooth_random_field(1, CANVAS, 8.0, rng)[0]
        field *= style.elastic / max(np.abs(field).max(), 1e-9)
        rows, cols = rows + field[1], cols + field[0]
    # A canvas pixel's centre (i + 0.5) is at fine index FINE * (i + 0.5) - 0.5.
    dist = ndimage.map_coordinates(fine, [FINE * (rows + 0.5) - 0.5, FINE * (cols + 0.5) - 0.5], order=1,
                                   mode="nearest")
    width = rng.uniform(*style.width)
    return np.clip(width / 2 - dist + 0.5, 0.0, 1.0)


def synthetic_set(per_class: int, seed: int, classes=CLASSES, fonts=FONTS,
                  style: StrokeStyle = StrokeStyle()) -> tuple[np.ndarray, np.ndarray]:
    """per_class distorted characters of every class, in the NIST convention, with labels."""
    if per_class < 1:
        raise ValueError(f"synthetic samples per class must be >= 1, got {per_class}")
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, char in enumerate(classes):
        for _ in range(per_class):
            ink = render(char, fonts[rng.integers(len(fonts))], rng, style)
            images.append(1.0 - normalize_glyph(ink))
            labels.append(label)
    return images_to_rows(np.stack(images)), np.array(labels, dtype=np.int64)


# The offline default dataset: enough characters per class for a network to learn the shapes, few
# enough to be drawn in seconds on a first start. Each split has its own seed (never the same sample).
PER_CLASS = {"train": 150, "valid": 25, "test": 25}
CACHE_VERSION = 1   # bump whenever render() or the fonts change what is drawn


def _cache_file(cache: Path, seed: int) -> Path:
    counts = "-".join(str(n) for n in PER_CLASS.values())
    return cache / f"synthetic-v{CACHE_VERSION}-seed{seed}-{counts}.npz"


def _valid(arrays: dict[str, np.ndarray]) -> bool:
    return all(arrays[f"{s}_X"].dtype == np.uint8 and arrays[f"{s}_X"].shape == (n * len(CLASSES), 1024)
               and arrays[f"{s}_y"].shape == (n * len(CLASSES),) for s, n in PER_CLASS.items())


def synthetic_splits(seed: int, cache: Path | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Train, valid and test splits of the synthetic set, rows as float32 (quantised to 8 bits, so that
    the cached copy and a fresh one are the same), drawn once per machine when `cache` is a folder."""
    names = tuple(f"{s}_{k}" for s in PER_CLASS for k in "Xy")
    arrays = read_arrays(_cache_file(cache, seed), names, _valid) if cache else None
    splits = {s: (arrays[f"{s}_X"], arrays[f"{s}_y"]) for s in PER_CLASS} if arrays else None
    if splits is None:
        splits = {}
        for k, (split, n) in enumerate(PER_CLASS.items()):
            X, y = synthetic_set(n, seed=1000 * k + seed, fonts=PEN_FONTS)
            splits[split] = ((X * 255).round().astype(np.uint8), y)
        if cache:
            write_arrays(_cache_file(cache, seed), {f"{s}_{k}": a for s, (X, y) in splits.items()
                                                     for k, a in (("X", X), ("y", y))})
    return {s: (X.astype(np.float32) / 255, y.astype(np.int64)) for s, (X, y) in splits.items()}
