"""The input convention every classifier here is trained on, and the one
function that brings any character image to it.

Convention (that of the homework's NIST files): 32x32, dark ink (0) on white
(1), values in [0, 1], flattened column-major into rows of 1024. Measured on
the NIST letters: the longest side of a character's ink box has a median of
25 px (10th-90th percentile 20-30) and strokes are about 3.5 px wide.

Every character that enters a network here - NIST letters, MNIST digits, OCR
crops, drawings - goes through `normalize_glyph`: cropped to its ink, its
longest side scaled to that median 25 px, centred. Removing size and position
variation up front is worth several points of accuracy to a fully connected
network, which has no translation invariance of its own.
"""
from __future__ import annotations

import numpy as np
from skimage.morphology import skeletonize
from skimage.transform import resize

SIZE = 32
EXTENT = 25          # longest side of the ink box, in pixels
INK_THRESHOLD = 0.3  # ink level that counts as part of the character's box

INPUT_CONVENTION = {
    "size": SIZE,
    "layout": "column-major rows of size*size (x.reshape(size, size).T is upright)",
    "ink": "dark ink (0) on white (1)",
    "range": [0.0, 1.0],
    "extent": EXTENT,
    "normalized": "cropped to the ink, longest side scaled to extent, centred",
}


def ink_box(ink: np.ndarray) -> tuple[slice, slice] | None:
    """The rows and columns of a character's ink box (ink above INK_THRESHOLD; 1 = ink), None when blank."""
    inked = ink > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if not len(rows):
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def normalize_glyph(ink: np.ndarray, extent: int = EXTENT, size: int = SIZE) -> np.ndarray:
    """One character (2-D, 1 = ink, 0 = background) cropped to its ink, its
    longest side scaled to `extent` keeping the aspect ratio, centred in size x size.

    Returns ink intensities (1 = ink); a blank input gives a blank output.
    """
    ink = np.clip(np.asarray(ink, dtype=np.float32), 0.0, 1.0)
    box = ink_box(ink)
    out = np.zeros((size, size), dtype=np.float32)
    if box is None:
        return out
    crop = ink[box]
    h, w = crop.shape
    side = max(h, w)
    square = np.zeros((side, side), dtype=np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = crop
    small = resize(square, (extent, extent), order=1, anti_aliasing=side > extent, preserve_range=True)
    top = (size - extent) // 2
    out[top:top + extent, top:top + extent] = np.clip(small, 0.0, 1.0)
    return out


def normalize_glyphs(ink: np.ndarray, extent: int = EXTENT, size: int = SIZE) -> np.ndarray:
    """normalize_glyph over a stack (N, H, W)."""
    out = np.empty((len(ink), size, size), dtype=np.float32)
    for i, im in enumerate(ink):
        out[i] = normalize_glyph(im, extent, size)
    return out


def normalize_rows(rows: np.ndarray) -> np.ndarray:
    """Rows in the NIST convention (dark on white) with each character normalised."""
    return images_to_rows(1.0 - normalize_glyphs(1.0 - rows_to_images(rows)))


def images_to_rows(images: np.ndarray) -> np.ndarray:
    """Upright images (N, S, S) to column-major rows (N, S*S), float32."""
    images = np.asarray(images, dtype=np.float32)
    return np.ascontiguousarray(images.transpose(0, 2, 1)).reshape(len(images), images.shape[1] * images.shape[2])


def rows_to_images(rows: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Column-major rows (N, S*S) to upright images (N, S, S)."""
    rows = np.asarray(rows)
    return rows.reshape(len(rows), size, size).transpose(0, 2, 1)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width of a binary character: its area over its skeleton's length."""
    skeleton = skeletonize(ink)
    return float(ink.sum() / max(skeleton.sum(), 1))


def ink_measures(rows: np.ndarray) -> tuple[float, float]:
    """Median stroke width and median longest side of the ink box (ink < 0.5 in the NIST convention) of
    rows (N, 1024): how a source's characters compare with the convention (EXTENT, about 3.5 px strokes)."""
    widths, extents = [], []
    for image in rows_to_images(rows):
        ink = image < 0.5
        widths.append(stroke_width(ink))
        ys, xs = np.nonzero(ink)
        extents.append(max(np.ptp(ys), np.ptp(xs)) + 1 if len(ys) else 0)
    return float(np.median(widths)), float(np.median(extents))
