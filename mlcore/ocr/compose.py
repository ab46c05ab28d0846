"""Pages composed from single characters, with their true text: something to read where no photo is.

Each character of the text is a sample of its class taken from a split the reader's networks were not
trained on (a real test split when there is one), enlarged to a handwriting size that varies a little,
set on lines with uneven spacing and a slight wander of the baseline, in dark ink on unevenly lit paper
with sensor noise: what a photographed page gives the reader, with the answer known.
"""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Style:
    """How a composed page is written. Sizes are fractions of the character height (`char_px`), drawn
    uniformly from each (low, high); a negative letter gap makes neighbours overlap."""
    char_px: int = CHAR_PX
    size: tuple[float, float] = (0.85, 1.1)       # each character's height
    letter_gap: tuple[float, float] = (0.2, 0.4)
    word_gap: tuple[float, float] = (0.8, 1.1)
    line_height: float = 1.9

    def __post_init__(self):
        # Bounded so that a page's size follows from its text (MAX_CHARS) before any pixel is made.
        if not 4 <= self.char_px <= 400:
            raise ValueError(f"a composed page's characters are 4 to 400 pixels high, not {self.char_px}")
        ordered = all(lo <= hi for lo, hi in (self.size, self.letter_gap, self.word_gap))
        if not (ordered and 1.2 <= self.line_height <= 4 and 0.2 <= self.size[0] and self.size[1] <= 1.1
                and -0.5 < self.letter_gap[0] and self.letter_gap[1] <= 3 and 0 < self.word_gap[0]
                and self.word_gap[1] <= 6):
            raise ValueError(f"not a page's style: {self}")


def _layout(text: str, X, y, classes, rng, style: Style) -> tuple[list[tuple[int, int, np.ndarray]], int, int]:
    """Where each glyph goes: (top, left, glyph) and the page's height and width."""
    px = style.char_px
    placed, line_h = [], int(px * style.line_height)
    margin, right = px, 0
    for n, line in enumerate(text.split("\n")):
        x = margin + int(rng.integers(0, px // 2))
        baseline = margin + n * line_h + px
        for char in line:
            if char == " ":
                x += int(px * rng.uniform(*style.word_gap))
                continue
            glyph = _glyph(X, y, classes.index(char), max(2, int(px * rng.uniform(*style.size))), rng)
            top = baseline - glyph.shape[0] + int(rng.integers(-px // 12, px // 12 + 1))
            placed.append((top, x, glyph))
            x += glyph.shape[1] + int(px * rng.uniform(*style.letter_gap))
        right = max(right, x)
    return placed, margin * 2 + len(text.split("\n")) * line_h, right + margin


def _paper(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Off-white paper lit from one side, brightness in [0, 1]."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height)
    return 0.86 + 0.06 * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)


def compose_page(text: str, X: np.ndarray, y: np.ndarray, classes, seed: int, style: Style = Style()) -> np.ndarray:
    """An RGB uint8 photo-like page of `text` (capitals, digits, spaces and newlines), each character a
    sample of its class from rows X (NIST convention) with labels y indexing `classes`, written in `style`."""
    chars = set(text) - {" ", "\n"}
    if not text.strip() or len(text) > MAX_CHARS:
        raise ValueError(f"a composed page holds 1 to {MAX_CHARS} characters, got {len(text)}")
    absent = sorted(c for c in chars if c not in classes or not np.any(y == classes.index(c)))
    if absent:
        raise ValueError(f"no sample of {', '.join(absent)} to compose the page with")
    rng = np.random.default_rng(seed)
    placed, height, width = _layout(text, X, y, tuple(classes), rng, style)
    ink = np.zeros((height, width), dtype=np.float32)
    for top, left, glyph in placed:
        region = ink[top:top + glyph.shape[0], left:left + glyph.shape[1]]
        np.maximum(region, glyph, out=region)
    gray = _paper(height, width, rng) * (1.0 - 0.8 * ink) + rng.normal(0.0, 0.015, ink.shape).astype(np.float32)
    tint = np.array([1.0, 0.99, 0.96], dtype=np.float32)   # a warm cast, as under indoor light
    return (np.clip(gray[..., None] * tint, 0.0, 1.0) * 255).round().astype(np.uint8)
