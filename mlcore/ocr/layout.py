"""From an ink mask to characters, lines and words.

Components of ink are characters or pieces of them. Sizes are judged against
the page's own median character height, so the rules hold for any pen, photo
resolution or handwriting size:
- noise and punctuation (periods, commas) are much smaller than a character;
- lines are found after estimating the page's skew (the angle at which the
  characters' centres pile up into the sharpest rows, refined by the median
  slope of the rows found), then grouping centres whose rotated heights are close;
- pieces of one character overlap horizontally within a line and are merged;
- word breaks are the gaps that stand out from the line's ordinary letter gaps.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

MIN_HEIGHT_FRACTION = 0.35   # smaller than this x median height (both ways): a dot or noise
MAX_HEIGHT_FACTOR = 4.0      # taller than this x median height: a rule, a fold, the page edge
SKEW_RANGE = 25.0            # degrees searched on each side
OVERLAP_TO_MERGE = 0.5       # horizontal overlap (of the narrower box) that makes two pieces one character
WORD_GAP_RATIO = 2.2         # word gaps are at least this many times the ordinary letter gap
FEW_GAPS_BREAK = 1.0         # with too few gaps for statistics: a break is at least a character height
MIN_WORD_GAP = 0.5           # a word gap is at least half a character height


@dataclass
class Box:
    top: int
    left: int
    bottom: int   # exclusive
    right: int    # exclusive
    labels: list[int] = field(default_factory=list)  # the ink components it is made of

    @property
    def height(self):
        return self.bottom - self.top

    @property
    def width(self):
        return self.right - self.left

    @property
    def center(self):
        return ((self.top + self.bottom) / 2, (self.left + self.right) / 2)

    def merge(self, other: "Box") -> "Box":
        return Box(min(self.top, other.top), min(self.left, other.left), max(self.bottom, other.bottom),
                   max(self.right, other.right), self.labels + other.labels)


@dataclass
class Layout:
    labels: np.ndarray               # component label image
    lines: list[list[Box]]           # characters, lines top to bottom, characters left to right
    word_breaks: list[list[bool]]    # per line, True before a character that starts a new word
    skew: float                      # degrees
    char_height: float               # median character height, working pixels
    dropped: list[Box]               # components rejected as noise or punctuation


def components(mask: np.ndarray) -> tuple[np.ndarray, list[Box]]:
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    boxes = [Box(s[0].start, s[1].start, s[0].stop, s[1].stop, [i + 1])
             for i, s in enumerate(ndimage.find_objects(labels)) if s is not None]
    return labels, boxes


def _median_height(boxes: list[Box]) -> float:
    # Judge "typical" on components that are not specks: the median of all would
    # be dragged down on a noisy photo.
    heights = np.array([b.height for b in boxes], dtype=float)
    if len(heights) == 0:
        return 0.0
    big = heights[heights >= 0.3 * np.percentile(heights, 90)]
    return float(np.median(big))


def estimate_skew(centers: np.ndarray, char_height: float, max_angle: float = SKEW_RANGE) -> float:
    """The rotation (degrees) that makes the centres pile up into the sharpest rows."""
    if len(centers) < 3:
        return 0.0
    bin_size = max(char_height / 3, 1.0)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-max_angle, max_angle + 1e-9, 0.5):
        t = np.deg2rad(angle)
        y = centers[:, 0] * np.cos(t) - centers[:, 1] * np.sin(t)
        counts = np.bincount(((y - y.min()) / bin_size).astype(int))
        score = float((counts.astype(float) ** 2).sum())
        # Prefer the smaller angle on (near-)ties, e.g. a single short line.
        if score > best_score * (1 + 1e-9) or (score >= best_score and abs(angle) < abs(best)):
            best, best_score = angle, score
    return best


def refine_skew(lines: list[list[Box]], skew: float) -> float:
    """The median slope of the lines' own centres (least squares per line of 3+ characters)."""
    angles = []
    for line in lines:
        if len(line) < 3:
            continue
        c = np.array([b.center for b in line])
        if np.ptp(c[:, 1]) == 0:
            continue
        slope = np.polyfit(c[:, 1], c[:, 0], 1)[0]
        angles.append(np.degrees(np.arctan(slope)))
    return float(np.median(angles)) if angles else skew


def _rotated_y(boxes: list[Box], skew: float) -> np.ndarray:
    t = np.deg2rad(skew)
    c = np.array([b.center for b in boxes])
    return c[:, 0] * np.cos(t) - c[:, 1] * np.sin(t)


def _rotated_x(boxes: list[Box], skew: float) -> np.ndarray:
    t = np.deg2rad(skew)
    c = np.array([b.center for b in boxes])
    return c[:, 0] * np.sin(t) + c[:, 1] * np.cos(t)


def group_lines(boxes: list[Box], skew: float, char_height: float) -> list[list[Box]]:
    """Boxes grouped into lines (top to bottom), each sorted left to right."""
    if not boxes:
        return []
    y = _rotated_y(boxes, skew)
    order = np.argsort(y)
    lines, current = [], [order[0]]
    for prev, i in zip(order[:-1], order[1:]):
        # A new line starts where the centres jump by more than half a character.
        if y[i] - y[prev] > 0.5 * char_height:
            lines.append(current)
            current = []
        current.append(i)
    lines.append(current)
    x = _rotated_x(boxes, skew)
    return [[boxes[i] for i in sorted(line, key=lambda i: x[i])] for line in lines]


def merge_pieces(line: list[Box]) -> list[Box]:
    """Merge boxes that overlap horizontally (pieces of one character), left to right."""
    merged: list[Box] = []
    for box in line:
        if merged:
            last = merged[-1]
            overlap = min(last.right, box.right) - max(last.left, box.left)
            if overlap > OVERLAP_TO_MERGE * min(last.width, box.width):
                merged[-1] = last.merge(box)
                continue
        merged.append(box)
    return merged


def word_breaks(lines: list[list[Box]], char_height: float) -> list[list[bool]]:
    """Per line, whether each character starts a new word (the first never does).

    Gaps are measured in character heights. A gap is a word break when it is
    much wider than the writer's ordinary letter gap: the page's gaps are split
    in two groups (Otsu), the split is only believed when the two groups are
    far apart, and the threshold lies midway across the band between them.
    Evenly spaced writing gets no breaks.
    """
    gaps = [np.array([b.left - a.right for a, b in zip(line[:-1], line[1:])], dtype=float) / char_height
            for line in lines]
    all_gaps = np.concatenate(gaps) if gaps else np.zeros(0)
    threshold = _break_threshold(all_gaps)
    return [[False] + list(g > threshold) for g in gaps]


def _break_threshold(gaps: np.ndarray) -> float:
    """The gap (in character heights) above which a gap is a word break."""
    if len(gaps) < 4:
        # Too few gaps for statistics: a break is a gap of a character height that also stands out
        # from the narrowest (a widely spaced word on a whiteboard has evenly wide gaps).
        narrowest = max(float(np.min(gaps)), 0.0) if len(gaps) > 1 else 0.0
        return max(FEW_GAPS_BREAK, WORD_GAP_RATIO * narrowest)
    g = np.clip(gaps, 0.0, None)
    best_t, best_between = None, 0.0
    for t in np.unique(g)[:-1]:
        lo, hi = g[g <= t], g[g > t]
        between = len(lo) * len(hi) * (hi.mean() - lo.mean()) ** 2
        if between > best_between:
            best_between, best_t = between, t
    if best_t is None:
        return np.inf
    lo, hi = g[g <= best_t], g[g > best_t]
    # Two groups only if the wide gaps are WORD_GAP_RATIO times the ordinary ones
    # and at least MIN_WORD_GAP wide: evenly spaced writing gets no breaks.
    if hi.mean() < WORD_GAP_RATIO * max(lo.mean(), 0.05) or hi.min() < MIN_WORD_GAP:
        return np.inf
    return float((lo.max() + hi.min()) / 2)  # midway across the empty band between the groups


def layout(mask: np.ndarray) -> Layout:
    labels, boxes = components(mask)
    h = _median_height(boxes)
    keep, dropped = [], []
    for b in boxes:
        speck = b.height < MIN_HEIGHT_FRACTION * h and b.width < MIN_HEIGHT_FRACTION * h
        huge = b.height > MAX_HEIGHT_FACTOR * h or b.width > MAX_HEIGHT_FACTOR * 2 * h
        (dropped if speck or huge else keep).append(b)
    skew = estimate_skew(np.array([b.center for b in keep]), h) if keep else 0.0
    skew = refine_skew(group_lines(keep, skew, h), skew)
    lines = [merge_pieces(line) for line in group_lines(keep, skew, h)]
    return Layout(labels, lines, word_breaks(lines, h) if lines else [], skew, h, dropped)
