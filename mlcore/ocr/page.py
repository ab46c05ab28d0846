"""From a photo to an ink map: working resolution, lighting, the page, the ink.

- The photo is brought to a bounded working resolution (WORK_SIDE pixels on
  its longest side) so that a 12-megapixel photo costs what a small one does.
- Uneven light and shadows are removed by dividing by an estimate of the paper
  brightness: first a coarse one (an 80th percentile over a grid of cells, which
  ignores thin dark strokes), then, once the strokes' width is measured on what
  it shows as ink, one that follows the paper as closely as the strokes allow (the
  photo with dark features up to three strokes wide closed over), so that a
  hand's shadow, steep-edged and dark at its core, leaves no blot of false ink.
- The page is found as the large bright region of the coarse estimate when it
  stands out clearly from its surroundings behind a sharp edge (a desk, a table;
  a shadow's edge is soft); otherwise the whole photo is taken to be the page.
- Ruled and squared paper: rules are three or more parallel straight lines
  far longer than any stroke (a quarter of the photo's longest side at least),
  found by a grey opening with a long line and subtracted, so that the
  characters they cross stay whole and separate (rules along the photo's rows
  or columns, within about a degree; a page photographed more askew keeps them).
- Ink is what is clearly darker than the paper around it, thresholded with
  hysteresis so that faint parts of a stroke stay attached to its dark parts.
  Asked for a faint page's ink (pencil on grey paper, under the floor that keeps
  a blank sheet blank), the floor is half its strongest marks' contrast, never
  where an erased board's ghosts lie nor within the paper's own noise; whether
  what it finds is writing, the reader judges (mlcore.ocr.reader).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.transform import resize

WORK_SIDE = 1600          # longest side of the working image, in pixels
BACKGROUND_CELL = 24      # coarse grid cell for the paper-brightness estimate, in working pixels
PAGE_CONTRAST = 1.8       # paper must be this much brighter than its surroundings to be cut out
EDGE_WIDTH = 0.01         # a sheet's edge passes from paper to desk within this share of the photo's side
SHARP_FALL = 0.5          # ... by at least this share of the brightness step from paper to desk
SHEET_EDGE = 0.1          # a sheet's edge: log-brightness changing this much a pixel (a hand shadow's: about 0.01)
SHEET_LEAK = 0.05         # the sheet grown over shadows may reach this much more of the photo's border, no more
STROKE_SPAN = 3           # the paper is followed over dark features up to this many strokes wide
MIN_MARK_AREA = 20        # pixels; smaller marks are specks, not strokes to measure
STROKE_CLOSING = 0.025    # dark strokes narrower than this share of the side are closed over to see the edge
MIN_INK_CONTRAST = 0.18   # ink must be at least this much darker than the paper (relative); on a faint page:
FAINT_SHARE = 0.5         # half as dark as the page's strongest marks will do,
PEAK_PIXELS = 200         # ... their contrast the level this many pixels exceed (a short word has more),
FAINT_PEAK = 0.14         # ... if that is at least this (an erased board's ghosts and show-through reach 0.13)
NOISE_MARGIN = 5.0        # ... and this many standard deviations of the paper's noise,
CLIPPED = 0.05            # ... which is out of sight where this share of the page is clipped at WHITE
WHITE = 254 / 255
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
    return np.maximum(_enlarged(coarse, (h, w)), 1e-3)


def paper_at_stroke_scale(gray: np.ndarray, stroke: float) -> np.ndarray:
    """The paper's brightness followed as closely as strokes `stroke` pixels wide allow: `gray` with
    every dark feature up to STROKE_SPAN strokes wide closed over, smoothed. A blot wider than that
    keeps its core as paper, and reads as its outline. Worked out on means over blocks of half a
    stroke (a stroke still spans two of them), which also average out sensor noise."""
    stroke = min(stroke, min(gray.shape))   # no stroke is wider than the photo (bounds the work below)
    block = max(1, int(stroke / 2))
    size = max(3, round(STROKE_SPAN * stroke / block) | 1)
    paper = ndimage.gaussian_filter(ndimage.grey_closing(_block_means(gray, block), size=size), size / 4)
    full = _enlarged(paper, (paper.shape[0] * block, paper.shape[1] * block))
    return np.maximum(full[:gray.shape[0], :gray.shape[1]], 1e-3)


def _enlarged(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`image` enlarged to `shape` (rows, columns) by bilinear interpolation, float32. PIL's resize: 5-9x
    faster than skimage's here, with the same pixel centres (it differs only within half a coarse cell of
    the border, where PIL holds the edge value and skimage reflects, by under 0.002 on a page)."""
    enlarged = Image.fromarray(image.astype(np.float32)).resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(enlarged)


def _block_means(image: np.ndarray, block: int | tuple[int, int]) -> np.ndarray:
    """Means over blocks of `block` pixels (rows, columns; one int for squares), the last row and column
    of blocks padded with the edge."""
    rows, cols = (block, block) if isinstance(block, int) else block
    h, w = image.shape
    padded = np.pad(image, [(0, -h % rows), (0, -w % cols)], mode="edge")
    return padded.reshape(padded.shape[0] // rows, rows, padded.shape[1] // cols, cols).mean(axis=(1, 3))


def typical_stroke_width(mask: np.ndarray) -> float:
    """The stroke width of the wider pens on the page: the 90th percentile over the marks of `mask` of
    their width, twice their area over their outline (a long stroke's outline is twice its length).
    A high percentile rather than the median: the wider span darkens the paper less between a fine
    pen's dense, light strokes (chosen on the validation split's composed pages: fine pen 94.8 -> 96.0%,
    no other condition changed). Per mark, so that a blot or a noisy shadow counts as one mark (a
    skeleton over the whole page, as glyphs.stroke_width takes for one character, is led astray by a
    shadow's noise), and marks of under MIN_MARK_AREA pixels, specks, not at all. The outline is
    4-connected: a diagonal stroke reads up to 1.4 times wider, which only widens the span a little."""
    labels, n = ndimage.label(mask)
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    outline = np.bincount(labels[mask & ~ndimage.binary_erosion(mask)], minlength=n + 1)[1:]
    marks = area >= MIN_MARK_AREA
    return float(np.percentile(2 * area[marks] / outline[marks], 90)) if marks.any() else 1.0


def find_page(background: np.ndarray, gray: np.ndarray | None = None) -> np.ndarray:
    """The sheet as a mask: the largest bright region (its holes filled), if it is clearly brighter than
    the rest and, given the photo `gray` (same shape), sharp-edged as a sheet's edge is, not soft as a
    shadow's; otherwise the whole photo."""
    everything = np.ones(background.shape, dtype=bool)
    if np.ptp(background) < 0.05:
        return everything
    bright = background > _otsu(background)
    labels, n = ndimage.label(bright)
    if n == 0:
        return everything
    page = labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    page = _fill_holes(page)
    inside, outside = np.median(background[page]), np.median(background[~page]) if (~page).any() else 0
    if page.mean() > 0.97 or page.mean() < 0.1 or inside < PAGE_CONTRAST * outside:
        return everything  # no clear page edge: a shadow or a light table, not a desk
    if gray is not None and not _sharp_edged(gray, page, inside - outside):
        return everything  # a hand's or a phone's shadow: the writing in it is still on the page
    return page


def clear_of_edge(sheet: np.ndarray) -> np.ndarray:
    """The sheet less a margin of 1% of the photo's side along its edge, where the shadow of the sheet's
    edge looks like ink (and along the photo's border where the sheet reaches it); a whole photo as is."""
    if sheet.all():
        return sheet
    # Eroding k times by a cross keeps what is more than k steps (taxicab) from anything off the page.
    steps = ndimage.distance_transform_cdt(np.pad(sheet, 1), metric="taxicab")[1:-1, 1:-1]
    return steps > max(2, round(0.01 * max(sheet.shape)))


def _sheet_where_photographed(sheet: np.ndarray, paper: np.ndarray, work: np.ndarray) -> np.ndarray:
    """`sheet` (from the coarse estimate, up to three cells off) cut to where `paper` (the paper's brightness
    followed closely) is nearer the sheet's brightness than the desk's, then grown back over its shadows
    up to its own edge (_within_sharp_edges)."""
    if sheet.all():
        return sheet
    level = 0.5 * (np.median(paper[sheet]) + np.median(paper[~sheet]))
    return _within_sharp_edges(_fill_holes(sheet & (paper > level)), work)


def _within_sharp_edges(sheet: np.ndarray, work: np.ndarray) -> np.ndarray:
    """`sheet` and all that is reached from it without crossing a sharp edge of the photo `work` (one where
    the log-brightness changes by SHEET_EDGE or more a pixel). A hand's shadow across a card on a desk
    darkens part of the sheet to the desk's brightness, and brightness alone cuts it off with its writing;
    but the shadow's edge is soft, and the sheet's own edge as sharp in the shadow as out of it (a ratio
    of brightnesses). Strokes are sharp too: they are holes, filled. If the growth reaches SHEET_LEAK more
    of the photo's border than `sheet` does (it went through a gap in the sheet's edge and over the desk)
    or covers nearly all the photo, `sheet` is kept as it is."""
    log = np.log(np.maximum(ndimage.gaussian_filter(work, 1.0), 1e-3))
    step = np.hypot(ndimage.sobel(log, 0), ndimage.sobel(log, 1)) / 8.0   # sobel's weights sum to 8
    free = ~ndimage.binary_dilation(step > SHEET_EDGE)
    labels, n = ndimage.label(free)
    reached = np.bincount(labels[sheet & free], minlength=n + 1)
    reached[0] = 0
    if not reached.any():
        return sheet
    grown = _fill_holes(ndimage.binary_dilation(labels == int(np.argmax(reached)), iterations=2)) | sheet
    if grown.mean() > 0.97 or _border(grown).mean() > _border(sheet).mean() + SHEET_LEAK:
        return sheet
    return grown


def _border(image: np.ndarray) -> np.ndarray:
    """The pixels along the image's four sides (corners twice)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _sharp_edged(gray: np.ndarray, region: np.ndarray, step: float) -> bool:
    """Whether the brightness falls by most of `step` within EDGE_WIDTH of `region`'s edge (a sheet on
    a desk), not over dozens of pixels (a shadow's edge). Judged on block means of a quarter of
    EDGE_WIDTH, the photo's thin dark strokes closed over, at the edge's steepest point within three
    cells of where the coarse paper estimate put it."""
    side = max(gray.shape)
    block = max(1, round(EDGE_WIDTH * side / 4))
    paper = ndimage.grey_closing(_block_means(gray, block), size=max(3, round(STROKE_CLOSING * side / block)))
    fall = ndimage.maximum_filter(paper, size=4) - ndimage.minimum_filter(paper, size=4)
    # The coarse estimate's percentile (2 cells each way) and smoothing (1 more) may move the edge 3 cells.
    steepest = ndimage.maximum_filter(fall, size=(6 * BACKGROUND_CELL) // block + 1)
    inside = _block_means(region.astype(np.float32), block) > 0.5
    edge = inside & ~ndimage.binary_erosion(inside, border_value=1)
    return bool(edge.any()) and float(np.median(steepest[edge])) > SHARP_FALL * step


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """`mask` with every region outside it that does not reach the border added (what
    ndimage.binary_fill_holes does, with the same 4-connectivity, in one labelling pass)."""
    outside, n = ndimage.label(~mask)
    enclosed = np.ones(n + 1, dtype=bool)
    enclosed[_border(outside)] = False
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
    means = _block_means(moved, (1, RULE_BLOCK))
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


def ink_map(gray: np.ndarray, side: int = WORK_SIDE, rules: bool = True, faint: bool = False) -> InkMap:
    """The ink of a photo at the working resolution; `rules`: subtract ruled paper's lines (a page,
    not one character filling the picture, whose long strokes could pass for rules); `faint`: with the
    floor of a faint page (_ink_threshold), where the writing may be as faint as the paper is flat.

    Found against the paper followed at the scale of the strokes (a shadow's steep edge and dark core,
    a sheet's edge on a desk), their width measured on what a coarse paper estimate shows as ink."""
    if gray.ndim != 2 or not np.issubdtype(gray.dtype, np.floating):
        raise ValueError("a photo is read as a gray image, a 2-D float array from 0 (black) to 1 (white), "
                         f"or as a file; got an array of shape {gray.shape} and type {gray.dtype}")
    work, scale = to_working_resolution(gray, side)
    lo, hi = np.percentile(work, [0.5, 99.5])
    if (hi - lo < MIN_INK_CONTRAST / 2 and not faint) or hi < 0.05:
        # One flat colour (a blank page, a covered lens): nothing to read.
        nothing = np.zeros(work.shape, dtype=bool)
        return InkMap(work, np.zeros_like(work), nothing, ~nothing, scale, 1.0)
    coarse = paper_brightness(work)
    sheet = find_page(coarse, work)
    first_page = clear_of_edge(sheet)
    rough = _soft_ink(work, coarse, first_page)
    noise = _paper_noise(work, coarse, first_page) if faint else None
    stroke = typical_stroke_width(rough > _ink_threshold(rough[first_page], noise))
    # The closing's maximum is raised by sensor and JPEG noise; where it is brighter than the coarse
    # percentile, the coarse estimate is the better one (where it is darker, a shadow's core).
    paper = np.minimum(paper_at_stroke_scale(work, stroke), coarse)
    page = clear_of_edge(_sheet_where_photographed(sheet, paper, work))
    ink = _soft_ink(work, paper, page)
    if rules:
        ink = remove_rules(ink, page)
    high = _ink_threshold(ink[page], _paper_noise(work, paper, page) if faint else None)
    return InkMap(work, ink, threshold_ink(ink, high), page, scale, high)


def _soft_ink(work: np.ndarray, paper: np.ndarray, page: np.ndarray) -> np.ndarray:
    """How much darker than `paper` each pixel of `work` on `page` is, in [0, 1]."""
    ink = np.clip(1.0 - work / paper, 0.0, 1.0)
    ink[~page] = 0.0
    return ink


def _ink_threshold(values: np.ndarray, noise: float | None = None) -> float:
    """Otsu's threshold between ink and paper noise, floored at MIN_INK_CONTRAST, which keeps a blank page
    blank. Given the paper's `noise` (a faint page), the floor is FAINT_SHARE of the strongest marks'
    contrast instead (peak_contrast), and there is no ink at all unless that contrast is FAINT_PEAK or more
    and NOISE_MARGIN standard deviations of the noise."""
    if values.size == 0 or values.min() == values.max() or (noise is not None and not np.isfinite(noise)):
        return 1.0
    counts, centres = _histogram(values)
    floor = MIN_INK_CONTRAST
    if noise is not None:
        peak = _peak(counts, centres)
        if peak < max(FAINT_PEAK, NOISE_MARGIN * noise):
            return 1.0
        floor = min(MIN_INK_CONTRAST, FAINT_SHARE * peak)
    return max(float(threshold_otsu(hist=(counts, centres))), floor)


def peak_contrast(ink: InkMap) -> float:
    """The contrast of the strongest marks on the page: the level PEAK_PIXELS of its pixels exceed."""
    values = ink.ink[ink.page]
    return 0.0 if values.size == 0 or values.min() == values.max() else _peak(*_histogram(values))


def _peak(counts: np.ndarray, centres: np.ndarray) -> float:
    from_top = np.cumsum(counts[::-1])   # pixels in each bin or above it, from the top bin down
    return float(centres[::-1][min(int(np.searchsorted(from_top, PEAK_PIXELS)), len(centres) - 1)])


def _paper_noise(work: np.ndarray, paper: np.ndarray, page: np.ndarray) -> float:
    """How far `work` strays from the `paper` estimate on the page, relative to it, in standard deviations
    of sensor noise and paper texture alike: from the paper's brighter side (what is brighter than its
    median), which ink never reaches; infinite where that side is out of sight (an overexposed page, CLIPPED
    of it at white). On every fourth row and column."""
    on_page = page[::4, ::4]
    sample, under = work[::4, ::4][on_page], paper[::4, ::4][on_page]
    if sample.size == 0 or np.mean(sample >= WHITE) > CLIPPED:
        return float("inf")
    median, lighter = np.percentile(1.0 - sample / under, [50, 10])
    return float(median - lighter) / 1.2816   # a normal distribution's 10th percentile is 1.28 sd below its median


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of `values` (not all equal)."""
    return float(threshold_otsu(hist=_histogram(values)))


def _histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin centres of `values` (not all equal) over skimage's 256 bins across their range,
    counted by bincount (skimage's np.histogram is 5x slower on a page)."""
    lo, hi = float(values.min()), float(values.max())
    bins = np.minimum(((values - lo) * (256 / (hi - lo))).astype(np.intp), 255)
    centres = lo + (np.arange(256) + 0.5) * ((hi - lo) / 256)
    return np.bincount(bins.ravel(), minlength=256), centres


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
    """Hysteresis: the 4-connected regions of ink above high / 2 that reach above `high` (what skimage's
    apply_hysteresis_threshold returns; the regions kept are found by indexing, where its ndimage.sum
    costs about 15 ms a page)."""
    labels, n = ndimage.label(ink > high / 2)
    keep = np.zeros(n + 1, dtype=bool)
    keep[labels[ink > high]] = True
    keep[0] = False
    return keep[labels]
