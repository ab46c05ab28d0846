"""Character crops in the classifier's input convention.

Each character is cut from the soft ink map using only its own components
(so a neighbour's stroke reaching into the box is left out), then brought to
the convention of the training data by `normalize_glyph`. Strokes keep the
width they were written with: the networks, trained on pens from a tablet's
to NIST's scanned markers, read a fine pen and a marker alike, and redrawing
strokes along their skeleton (as this module once did) cost 7 points of
character accuracy on composed test pages (bench/ocr_conditions.py).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from mlcore.data.glyphs import SIZE, images_to_rows, normalize_glyph


def character_crop(ink: np.ndarray, labels: np.ndarray, box, pad: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Soft ink and binary mask of one character, only its own components, with a margin."""
    top, left = max(box.top - pad, 0), max(box.left - pad, 0)
    bottom, right = min(box.bottom + pad, ink.shape[0]), min(box.right + pad, ink.shape[1])
    own = np.isin(labels[top:bottom, left:right], box.labels)
    # Only within the box: a piece of a mark parted by mlcore.ocr.segment leaves its neighbour's ink out
    # (for a whole mark, whose components lie inside its box, this changes nothing).
    inside = np.zeros_like(own)
    inside[box.top - top:box.bottom - top, box.left - left:box.right - left] = True
    own &= inside
    # Grow the mask by a pixel so the anti-aliased rim of each stroke is kept.
    near = ndimage.binary_dilation(own, iterations=1)
    soft = np.where(near, ink[top:bottom, left:right], 0.0)
    peak = np.percentile(soft[own], 90) if own.any() else 1.0
    return np.clip(soft / max(peak, 1e-6), 0.0, 1.0).astype(np.float32), own


def crops_to_rows(ink: np.ndarray, labels: np.ndarray, boxes) -> tuple[np.ndarray, np.ndarray]:
    """Rows for the classifier (NIST convention) and the upright 32x32 images, for each box."""
    images = np.empty((len(boxes), SIZE, SIZE), dtype=np.float32)
    for i, box in enumerate(boxes):
        soft, own = character_crop(ink, labels, box)
        images[i] = 1.0 - normalize_glyph(soft)
    return images_to_rows(images), images
