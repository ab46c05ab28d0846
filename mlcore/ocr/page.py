"""From a photo to an ink map: working resolution, lighting, the page, the ink.

- The photo is brought to a bounded working resolution (WORK_SIDE pixels on
  its longest side) so that a 12-megapixel photo costs what a small one does.
- Uneven light and shadows are removed by dividing by an estimate of the paper
  brightness (an 80th percentile over a coarse grid, which ignores thin dark strokes).
- The page is found as the large bright region of that estimate when it stands
  out clearly from its surroundings (a desk, a table); otherwise the whole
  photo is taken to be the page.
- Ruled and squared paper: rules are three or more parallel straight lines
  far longer than any stroke (a quarter of the photo's longest side at least),
  found by a grey opening with a long line and subtracted, so that the
  characters they cross stay whole and separate (rules along the photo's rows
  or columns, within about a degree; a page photographed more askew keeps them).
- Ink is what is clearly darker than the paper around it, thresholded with
  hysteresis so that faint parts of a stroke stay attached to its dark parts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.filters import apply_hysteresis_threshold, threshold_otsu
from skimage.transform import resize

WORK_SIDE = 1600          # longest side of the working image, in pixels
BACKGROUND_CELL = 24      # coarse grid cell for the paper-brightness estimate, in working pixels
PAGE_CONTRAST = 1.8       # paper must be this much brighter than its surroundings to be cut out
MIN_INK_CONTRAST = 0.18   # ink must be at least this much darker than the paper (relative)
RULE_LENGTH = 0.25        # a rule runs straight for at least this share of the photo's longest side
RULE_BLOCK = 8            # pixels of a rule averaged (along it) before its weakest point is taken
RULE_THICKNESS = 0.01     # a rule is at most this share of the photo's side across it; a band is a page's edge
RULE_SLACK = 3            # pixels a rule may wander across its run (a photo a fraction of a degree askew)
MIN_RULES = 3             # ruled paper has at least this many parallel rules; fewer are strokes or underlines


@dataclass
class InkMap:
    gray: np.ndarray        # working-resolution grayscale photo, 1 = white
    ink: np.ndarray         # soft ink strength in [0, 1] (0 = paper), lighting removed
    mask: np.ndarray        # thresholded ink (bool)
    page: np.ndarray        # where the page is (bool)
    scale: float            # working pixels per original pixel
    threshold: float        # the high hysteresis threshold used


def to_working_resolution(gray: np.ndarray, side: int = WORK_SIDE) -> tuple[np.ndarray, float]:
    scale = min(1.0, side / max(gray.shape))
    if scale == 1.0:
        return gray.astype(np.float32), 1.0
    shape = (max(1, round(gray.shape[0] * scale)), max(1, round(gray.shape[1] * scale)))
    return resize(gray, shape, order=1, anti_aliasing=True, preserve_range=True).astype(np.float32), scale


def paper_brightness(gray: np.ndarray, cell: int = BACKGROUND_CELL) -> np.ndarray:
    """A smooth estimate of the paper's brightness everywhere (ink removed)."""
    h, w = gray.shape
    gh, gw = max(1, h // cell), max(1, w // cell)
    coarse = resize(gray, (gh, gw), order=1, anti_aliasing=False, preserve_range=True)
    # A high percentile of each neighbourhood is paper even where strokes are dense.
    coarse = ndimage.percentile_filter(coarse, 80, size=5, mode="nearest")
    coarse = ndimage.uniform_filter(coarse, 3, mode="nearest")
    return np.maximum(resize(coarse, (h, w), order=1, preserve_range=True), 1e-3).astype(np.float32)


def find_page(background: np.ndarray) -> np.ndarray:
    """The page as a mask: the largest bright region, if it is clearly brighter than the rest."""
    everything = np.ones(background.shape, dtype=bool)
    if np.ptp(background) < 0.05:
        return everything
    bright = background > threshold_otsu(background)
    labels, n = ndimage.label(bright)
    if n == 0:
        return everything
    page = labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    page = _fill_holes(page)
    inside, outside = np.median(background[page]), np.median(background[~page]) if (~page).any() else 0
    if page.mean() > 0.97 or page.mean() < 0.1 or inside < PAGE_CONTRAST * outside:
        return everything  # no clear page edge: a shadow or a light table, not a desk
    # Stay clear of the page's own edge, where the shadow of its border looks like ink.
    # Eroding k times by a cross keeps what is more than k steps (taxicab) from anything off the page.
    off_page = np.pad(page, 1)
    steps = ndimage.distance_transform_cdt(off_page, metric="taxicab")[1:-1, 1:-1]
    return steps > max(2, round(0.01 * max(background.shape)))


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """`mask` with every region outside it that does not reach the border added (what
    ndimage.binary_fill_holes does, with the same 4-connectivity, in one labelling pass)."""
    outside, n = ndimage.label(~mask)
    enclosed = np.ones(n + 1, dtype=bool)
    enclosed[np.concatenate([outside[0], outside[-1], outside[:, 0], outside[:, -1]])] = False
    enclosed[0] = False
    return mask | enclosed[outside]


def remove_rules(ink: np.ndarray, page: np.ndarray) -> np.ndarray:
    """The soft ink without ruled lines: whatever runs straight along a row (or a column) for
    RULE_LENGTH of the photo's longest side (so that a character's stroke on a photo of one line
    is never one), at its weakest level along that run, is subtracted.

    A stroke crossing a rule is darker than the rule and keeps the difference. Bands thicker than
    RULE_THICKNESS, and anything within twice that of the edge of a page found on a desk (not the
    photo's own border, where rules simply end), are left whole (the layout
    drops them by their size): taking the straight part out of the shadowed edge of a page on a desk
    would leave its ends behind as marks the size of characters.
    """
    rules = np.zeros_like(ink)
    for along in (0, 1):
        np.maximum(rules, _thin_straight_runs(ink, along), out=rules)
    if not page.all():   # a sheet on a desk: its edge's shadow is no rule (a whole photo has no such edge)
        margin = 2 * max(3, int(RULE_THICKNESS * max(ink.shape)))
        rules[ndimage.minimum_filter(page.astype(np.uint8), size=2 * margin + 1, mode="constant") == 0] = 0.0
    return np.clip(ink - rules, 0.0, 1.0)


def _thin_straight_runs(ink: np.ndarray, along: int) -> np.ndarray:
    """The ink of thin straight runs along `along` (0: columns, 1: rows), at their weakest level,
    when there are at least MIN_RULES of them (one long straight stroke is writing, not ruling).

    Worked out on means over blocks of RULE_BLOCK pixels along the run (which also average out
    sensor noise), each taking the darkest mean within RULE_SLACK across the run: a rule
    on a photo up to about a degree askew still runs straight through that band.
    """
    moved = np.moveaxis(ink, along, -1)
    n = moved.shape[-1]
    padded = np.pad(moved, [(0, 0), (0, -n % RULE_BLOCK)], mode="edge")
    means = padded.reshape(padded.shape[0], -1, RULE_BLOCK).mean(axis=-1)
    # A rule moves well under a pixel across one block, so widening the block means is as good
    # as widening the pixels, on an image RULE_BLOCK times smaller.
    blocks = ndimage.maximum_filter1d(means, 2 * RULE_SLACK + 1, axis=0)
    straight = _opening(blocks, max(3, int(RULE_LENGTH * max(ink.shape)) // RULE_BLOCK), axis=1)
    thick = _opening(straight, max(3, int(RULE_THICKNESS * moved.shape[0])) + 2 * RULE_SLACK, axis=0)
    thin = straight - thick
    # Parallel rules counted where they are at least as dark as hysteresis's lowest floor.
    _, count = ndimage.label(thin.max(axis=1) > MIN_INK_CONTRAST / 2)
    if count < MIN_RULES:
        return np.zeros_like(ink)
    runs = np.repeat(thin, RULE_BLOCK, axis=1)[:, :n]
    return np.moveaxis(runs, -1, along)


def _opening(image: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Grey opening with a line of `length` pixels along `axis` (what fits inside a run that long)."""
    return ndimage.maximum_filter1d(ndimage.minimum_filter1d(image, length, axis=axis), length, axis=axis)


def ink_map(gray: np.ndarray, side: int = WORK_SIDE, rules: bool = True) -> InkMap:
    """The ink of a photo at the working resolution; `rules`: subtract ruled paper's lines (a page,
    not one character filling the picture, whose long strokes could pass for rules)."""
    work, scale = to_working_resolution(gray, side)
    lo, hi = np.percentile(work, [0.5, 99.5])
    if hi - lo < MIN_INK_CONTRAST / 2 or hi < 0.05:
        # One flat colour (a blank page, a covered lens): nothing to read.
        nothing = np.zeros(work.shape, dtype=bool)
        return InkMap(work, np.zeros_like(work), nothing, ~nothing, scale, 1.0)
    background = paper_brightness(work)
    page = find_page(background)
    ink = np.clip(1.0 - work / background, 0.0, 1.0)
    ink[~page] = 0.0
    if rules:
        ink = remove_rules(ink, page)
    values = ink[page]
    # Otsu separates ink from paper noise; the floor keeps a blank page blank.
    high = max(threshold_otsu(values) if np.ptp(values) > 0 else 1.0, MIN_INK_CONTRAST)
    return InkMap(work, ink, threshold_ink(ink, high), page, scale, float(high))


MIN_DESKEW = 1.0   # degrees; smaller skews are left alone (rotating blurs the strokes slightly)


def deskew(ink: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The ink map rotated by `angle` degrees (counter-clockwise), on a canvas that holds it all.

    Returns the rotated map and the 3x3 matrix taking its (x, y) pixel
    coordinates back to the input's.
    """
    h, w = ink.shape
    t = np.deg2rad(angle)
    c, s = np.cos(t), np.sin(t)
    new_w = int(np.ceil(abs(w * c) + abs(h * s)))
    new_h = int(np.ceil(abs(w * s) + abs(h * c)))
    # Output (x, y) -> input (x, y): move to the output centre, rotate back, move to the input centre.
    to_input = (np.array([[1, 0, (w - 1) / 2], [0, 1, (h - 1) / 2], [0, 0, 1]])
                @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
                @ np.array([[1, 0, -(new_w - 1) / 2], [0, 1, -(new_h - 1) / 2], [0, 0, 1]]))
    # scipy works in (row, column): the same map with both axes swapped.
    swap = [1, 0]
    rotated = ndimage.affine_transform(ink, to_input[:2, :2][np.ix_(swap, swap)], offset=to_input[swap, 2],
                                       output_shape=(new_h, new_w), order=1, cval=0.0)
    return rotated.astype(np.float32), to_input


def threshold_ink(ink: np.ndarray, high: float) -> np.ndarray:
    return apply_hysteresis_threshold(ink, high / 2, high)
