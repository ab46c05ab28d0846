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

import numpy as np

from mlcore.data.augment import smooth_random_field
from mlcore.data.classes import CLASSES
from mlcore.data.glyphs import images_to_rows, normalize_glyph

# Fonts whose capitals and digits look like print handwriting (single or
# double stroke, upright or italic); the decorative ones are left out.
FONTS = ("futural", "rowmans", "timesr", "timesi")
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


def _segment_distance(points: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """Distance from each point (P, 2) to the nearest segment of segs (S, 2, 2)."""
    a, b = segs[:, 0], segs[:, 1]
    ab = b - a
    t = ((points[:, None, :] - a[None]) * ab[None]).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9)[None]
    t = np.clip(t, 0.0, 1.0)
    nearest = a[None] + t[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(-1)).min(axis=1)


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
    grid = np.stack(np.meshgrid(np.arange(CANVAS) + 0.5, np.arange(CANVAS) + 0.5, indexing="xy"), -1).reshape(-1, 2)
    if style.elastic:
        field = smooth_random_field(1, CANVAS, 8.0, rng)[0]
        field *= style.elastic / max(np.abs(field).max(), 1e-9)
        grid = grid + field.reshape(2, -1).T
    width = rng.uniform(*style.width)
    dist = _segment_distance(grid, pts.reshape(-1, 2, 2))
    return np.clip(width / 2 - dist + 0.5, 0.0, 1.0).reshape(CANVAS, CANVAS)


def synthetic_set(per_class: int, seed: int, classes=CLASSES, fonts=FONTS,
                  style: StrokeStyle = StrokeStyle()) -> tuple[np.ndarray, np.ndarray]:
    """per_class distorted characters of every class, in the NIST convention, with labels."""
    if per_class < 1:
        raise ValueError(f"synthetic samples per class must be >= 1, got {per_class}")
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, char in enumerate(classes):
        for i in range(per_class):
            ink = render(char, fonts[rng.integers(len(fonts))], rng, style)
            images.append(1.0 - normalize_glyph(ink))
            labels.append(label)
    return images_to_rows(np.stack(images)), np.array(labels, dtype=np.int64)
