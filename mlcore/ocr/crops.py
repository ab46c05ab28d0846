"""Character crops in the classifier's input convention.

Each character is cut from the soft ink map using only its own components
(so a neighbour's stroke reaching into the box is left out), then brought to
the convention of the training data by `normalize_glyph`. Pen width differs
wildly between a fine pen on a big page and a marker on a small one; after
scaling, strokes that would be much thinner or thicker than the training
characters' are redrawn at the training width along their skeleton.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

from mlcore.data.glyphs import EXTENT, SIZE, images_to_rows, normalize_glyph, stroke_width

TARGET_STROKE = 3.5          # stroke width of the training characters at 32x32, pixels
STROKE_RANGE = (3.0, 4.5)    # widths left as they are


def normalize_stroke(ink: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """The soft ink of one character with its stroke width brought into STROKE_RANGE at 32x32."""
    rows, cols = np.flatnonzero(binary.any(axis=1)), np.flatnonzero(binary.any(axis=0))
    if len(rows) == 0:
        return ink
    # The scale normalize_glyph will apply: its longest ink side to EXTENT pixels.
    scale = EXTENT / max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    width = stroke_width(binary) * scale
    if STROKE_RANGE[0] <= width <= STROKE_RANGE[1]:
        return ink
    # Redraw: the skeleton, widened to the target width in this crop's pixels.
    radius = TARGET_STROKE / scale / 2
    dist = ndimage.distance_transform_edt(~skeletonize(binary))
    return np.clip(radius + 0.5 - dist, 0.0, 1.0).astype(np.float32)


def character_crop(ink: np.ndarray, labels: np.ndarray, box, pad: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Soft ink and binary mask of one character, only its own components, with a margin."""
    top, left = max(box.top - pad, 0), max(box.left - pad, 0)
    bottom, right = min(box.bottom + pad, ink.shape[0]), min(box.right + pad, ink.shape[1])
    own = np.isin(labels[top:bottom, left:right], box.labels)
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
        images[i] = 1.0 - normalize_glyph(normalize_stroke(soft, own))
    return images_to_rows(images), images
