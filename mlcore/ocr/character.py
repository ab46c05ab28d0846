"""One character on its own - drawn on a canvas or photographed - to the network's input.

It takes the OCR's own path, so that a drawing reaches the network exactly as a
character cut from a page does: ink map, thresholded components, then
`crops_to_rows` (the character's own ink, `normalize_glyph`). Only two steps
differ: no ruled lines are looked for (one large character's long strokes could
pass for them), and every piece of ink belongs to the one character, except specks.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np

from mlcore.ocr.crops import crops_to_rows
from mlcore.ocr.image_io import MIN_SIDE
from mlcore.ocr.layout import Box, components
from mlcore.ocr.page import ink_map

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)   # ITU-R 601, as Pillow's "L"
SPECK_FRACTION = 0.1   # ink smaller than this x the largest piece is noise (dust, a stray tap), not a stroke


@dataclass
class CharacterInput:
    row: np.ndarray     # (1, 1024) in the NIST convention: what the network is given
    image: np.ndarray   # (32, 32) upright, dark ink (0) on white (1): the same, to look at


def drawing_to_gray(image: np.ndarray) -> np.ndarray:
    """A drawing or photo - (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA, integers or floats in
    [0, 1] - as dark ink on light paper, float32 in [0, 1]. Raises ValueError for anything else.

    A canvas with a transparent background holds its strokes in the alpha channel, whatever
    their colour; light strokes on a dark background are turned into ink on paper.
    """
    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or a.size == 0:
        raise ValueError(f"expected a gray, RGB or RGBA image, got an array of shape {a.shape}")
    if min(a.shape[:2]) < MIN_SIDE:
        raise ValueError(f"a {a.shape[1]}x{a.shape[0]} image is too small to hold a character")
    if np.issubdtype(a.dtype, np.integer):
        a = a / np.iinfo(a.dtype).max
    a = np.clip(np.nan_to_num(a.astype(np.float32)), 0.0, 1.0)
    if a.ndim == 3 and a.shape[2] == 4 and a[..., 3].min() < 1.0:
        return 1.0 - a[..., 3]
    gray = a if a.ndim == 2 else a[..., :3] @ LUMA
    # The border is background even when the strokes cover much of the picture.
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 1.0 - gray if np.median(border) < 0.5 else gray


def _strokes(boxes: list[Box]) -> list[Box]:
    longest = np.array([max(b.height, b.width) for b in boxes])
    return [b for b, side in zip(boxes, longest) if side >= SPECK_FRACTION * longest.max()]


def character_input(gray: np.ndarray) -> CharacterInput | None:
    """The network's input for one character (dark ink on light paper, as drawing_to_gray gives);
    None when there is no ink."""
    ink = ink_map(gray, rules=False)
    labels, boxes = components(ink.mask)
    if not boxes:
        return None
    box = reduce(Box.merge, _strokes(boxes))
    rows, images = crops_to_rows(ink.ink, labels, [box])
    return CharacterInput(rows, images[0])


def drawing_to_input(image: np.ndarray) -> CharacterInput | None:
    """drawing_to_gray then character_input: a canvas's pixels to what the network sees."""
    return character_input(drawing_to_gray(image))
