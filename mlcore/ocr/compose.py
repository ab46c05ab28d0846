"""Pages composed from single characters, with their true text: something to read where no photo is.

Each character of the text is a sample of its class taken from a split the reader's networks were not
trained on (a real test split when there is one), enlarged to a handwriting size that varies a little,
set on lines with uneven spacing and a slight wander of the baseline, in dark ink on unevenly lit paper
with sensor noise: what a photographed page gives the reader, with the answer known.
"""
from __future__ import annotations

import numpy as np
from skimage.transform import resize

from mlcore.data.glyphs import rows_to_images

SAMPLE_TEXTS = {
    "pangram": "THE QUICK BROWN FOX\nJUMPS OVER THE\nLAZY DOG 1234567890",
    "list": "TO DO\n1 TRAIN A NETWORK\n2 READ THIS PAGE\n3 SCORE IT",
    "alphabet": "ABCDEFG HIJKLMN\nOPQRSTU VWXYZ\n0123456789",
}
CHAR_PX = 64          # the height a character is drawn at, before its jitter
MAX_CHARS = 400       # a page's bound: what a caller may ask for is bounded before any pixel is made


def _glyph(X: np.ndarray, y: np.ndarray, label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One sample of the class as ink (1) on nothing (0), cropped to its ink, `size` pixels high."""
    pool = np.flatnonzero(y == label)
    ink = 1.0 - rows_to_images(X[rng.choice(pool)][None])[0]
    rows, cols = np.flatnonzero(ink.max(1) > 0.2), np.flatnonzero(ink.max(0) > 0.2)
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    width = max(int(round(size * ink.shape[1] / ink.shape[0])), 2)
    return np.clip(resize(ink, (size, width), order=1, anti_aliasing=False), 0.0, 1.0)


def _layout(text: str, X, y, classes, rng) -> tuple[list[tuple[int, int, np.ndarray]], int, int]:
    """Where each glyph goes: (top, left, glyph) and the page's height and width."""
    placed, line_h = [], int(CHAR_PX * 1.9)
    margin, right = CHAR_PX, 0
    for n, line in enumerate(text.split("\n")):
        x = margin + int(rng.integers(0, CHAR_PX // 2))
        baseline = margin + n * line_h + CHAR_PX
        for char in line:
            if char == " ":
                x += int(CHAR_PX * rng.uniform(0.8, 1.1))
                continue
            glyph = _glyph(X, y, classes.index(char), int(CHAR_PX * rng.uniform(0.85, 1.1)), rng)
            top = baseline - glyph.shape[0] + int(rng.integers(-CHAR_PX // 12, CHAR_PX // 12 + 1))
            placed.append((top, x, glyph))
            x += glyph.shape[1] + int(CHAR_PX * rng.uniform(0.2, 0.4))
        right = max(right, x)
    return placed, margin * 2 + len(text.split("\n")) * line_h, right + margin


def _paper(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Off-white paper lit from one side, brightness in [0, 1]."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height)
    return 0.86 + 0.06 * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)


def compose_page(text: str, X: np.ndarray, y: np.ndarray, classes, seed: int) -> np.ndarray:
    """An RGB uint8 photo-like page of `text` (capitals, digits, spaces and newlines), each character a
    sample of its class from rows X (NIST convention) with labels y indexing `classes`."""
    chars = set(text) - {" ", "\n"}
    if not text.strip() or len(text) > MAX_CHARS:
        raise ValueError(f"a composed page holds 1 to {MAX_CHARS} characters, got {len(text)}")
    absent = sorted(c for c in chars if c not in classes or not np.any(y == classes.index(c)))
    if absent:
        raise ValueError(f"no sample of {', '.join(absent)} to compose the page with")
    rng = np.random.default_rng(seed)
    placed, height, width = _layout(text, X, y, tuple(classes), rng)
    ink = np.zeros((height, width), dtype=np.float32)
    for top, left, glyph in placed:
        region = ink[top:top + glyph.shape[0], left:left + glyph.shape[1]]
        np.maximum(region, glyph, out=region)
    gray = _paper(height, width, rng) * (1.0 - 0.8 * ink) + rng.normal(0.0, 0.015, ink.shape).astype(np.float32)
    tint = np.array([1.0, 0.99, 0.96], dtype=np.float32)   # a warm cast, as under indoor light
    return (np.clip(gray[..., None] * tint, 0.0, 1.0) * 255).round().astype(np.uint8)
