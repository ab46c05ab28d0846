"""Pieces of composed pages, cut as the segmenter cuts them, labelled by the characters truly written there.

The verifier (mlcore.ocr.verifier) is asked about the pieces mlcore.ocr.segment cuts from real marks: at
a mark's thinnest columns, over several marks where a character may be broken. Crops composed by hand
(pairs, halves, slivers) teach it what a wrong cut looks like, but not which of a mark's candidate cuts
are the right ones. So pages are composed of a split's own characters (mlcore.ocr.compose), overlapping,
touching, close and spaced as in SPACINGS, at CHAR_PX high, and read up to their layout; every piece the
segmenter could score on them (between two of a line's mark edges and candidate cuts, PIECE_WIDTH wide,
over marks no more than MERGE_GAP apart) is cut and labelled one character when its bounds are where a
true character's bounds fall (each snapped to the nearest edge or cut; where two characters touch or
overlap, their shared bound is the one nearest the middle of the overlap).
"""
from __future__ import annotations

import numpy as np

from mlcore.data.classes import is_letter
from mlcore.data.datasets import Split
from mlcore.data.glyphs import SIZE
from mlcore.ocr.compose import Style, compose_page, placed_glyphs
from mlcore.ocr.crops import crops_to_rows
from mlcore.ocr.layout import Box, layout
from mlcore.ocr.page import ink_map
from mlcore.ocr.segment import MERGE_GAP, PIECE_WIDTH, candidate_cuts

# A page's spacing between letters, as a share of the character height (compose.Style.letter_gap),
# taken in turn: overlapping by 1-3 px at 64 px, touching, close, and as people space them.
SPACINGS = ((-3 / 64, -1 / 64), (0.0, 0.0), (-0.02, 0.08), (0.2, 0.4))
CHAR_PX = (32, 90)           # how high a page's characters are written, in pixels
WORDS = (2, 5)               # words per line, from 2 up to (not including) 5
WORD_LENGTH = (2, 7)         # characters per word, from 2 up to (not including) 7
WORD_KINDS = (0.6, 0.25, 0.15)   # the shares of words of letters, of digits, of both
# A page yields about 90 pieces; the pages composed for n pieces are bounded (MIN_PAGES + n / PIECES_PER_PAGE),
# however few a page of these characters turns out to yield.
MIN_PAGES, PIECES_PER_PAGE = 10, 10


def random_text(classes: tuple[str, ...], present: np.ndarray, rng: np.random.Generator, lines: int = 3) -> str:
    """`lines` lines of random words of the classes `present` (indices into `classes`): of letters
    (WORD_KINDS' shares), of digits and of both, leaving out a kind the present classes lack."""
    letters = is_letter(present)
    pools = [(pool, share) for pool, share in zip((present[letters], present[~letters], present), WORD_KINDS)
             if len(pool)]
    shares = np.array([share for _, share in pools])
    text = []
    for _ in range(lines):
        kinds = rng.choice(len(pools), size=int(rng.integers(*WORDS)), p=shares / shares.sum())
        words = (rng.choice(pools[kind][0], size=int(rng.integers(*WORD_LENGTH))) for kind in kinds)
        text.append(" ".join("".join(classes[k] for k in word) for word in words))
    return "\n".join(text)


def _true_spans(row: list[tuple[float, float, bool]], bounds: np.ndarray) -> set[tuple[int, int]]:
    """Where each true character of a line (left, right, whether it starts a word), in working pixels,
    falls among the line's `bounds` (sorted edges and cuts): its left and right snapped to the nearest."""
    def snap(x: float) -> int:
        return int(bounds[np.abs(bounds - x).argmin()])

    def touch(k: int) -> bool:   # characters k and k + 1 are in one word and touch or overlap
        return k + 1 < len(row) and not row[k + 1][2] and row[k][1] >= row[k + 1][0] - 1

    spans = set()
    for k, (left, right, _) in enumerate(row):
        a = snap((row[k - 1][1] + left) / 2) if k and touch(k - 1) else snap(left)
        b = snap((right + row[k + 1][0]) / 2) if touch(k) else snap(right)
        spans.add((a, b))
    return spans


def _bounds(line: list[Box], labels: np.ndarray, char_height: float) -> np.ndarray:
    """Every mark's edges and candidate cuts (segment.candidate_cuts) along a line, in working pixels."""
    edges = set()
    for box in line:
        own = np.isin(labels[box.top:box.bottom, box.left:box.right], box.labels)
        edges |= {box.left, box.right, *(box.left + candidate_cuts(own, char_height)).tolist()}
    return np.array(sorted(edges))


def _piece(line: list[Box], labels: np.ndarray, a: int, b: int, char_height: float) -> Box | None:
    """Columns [a, b) of the line's marks there, rows tightened to their ink; None without ink, or where
    the marks are further apart than the segmenter would join (MERGE_GAP)."""
    inside = [box for box in line if box.left < b and box.right > a]
    gaps = [right.left - left.right for left, right in zip(inside, inside[1:])]
    if not inside or (gaps and max(gaps) > MERGE_GAP * char_height):
        return None
    top, bottom = min(box.top for box in inside), max(box.bottom for box in inside)
    own = [k for box in inside for k in box.labels]
    rows = np.flatnonzero(np.isin(labels[top:bottom, a:b], own).any(axis=1))
    return Box(top + int(rows[0]), a, top + int(rows[-1]) + 1, b, own) if len(rows) else None


def page_pieces(text: str, split: Split, classes, seed: int, style: Style) -> tuple[np.ndarray, np.ndarray]:
    """The crop rows (N, 1024) of every piece the segmenter could score on `text` composed of `split`'s
    characters, and whether each is one true character (N,) bool; none if the layout misses a line."""
    placed = placed_glyphs(text, split.X, split.y, classes, seed, style)
    ink = ink_map(compose_page(text, split.X, split.y, classes, seed, style).mean(axis=2, dtype=np.float32) / 255)
    lay = layout(ink.mask)
    if len(lay.lines) != len(placed):
        return np.zeros((0, 1024), np.float32), np.zeros(0, bool)
    low, high = (f * lay.char_height for f in PIECE_WIDTH)
    boxes, one = [], []
    for line, row in zip(lay.lines, placed):
        bounds = _bounds(line, lay.labels, lay.char_height)
        truth = _true_spans([(left * ink.scale, right * ink.scale, start) for left, right, start in row], bounds)
        for i, a in enumerate(bounds.tolist()):
            for b in bounds[i + 1:][(bounds[i + 1:] - a >= low) & (bounds[i + 1:] - a <= high)].tolist():
                piece = _piece(line, lay.labels, a, b, lay.char_height)
                if piece is not None:
                    boxes.append(piece)
                    one.append((a, b) in truth)
    rows, _ = crops_to_rows(ink.ink, lay.labels, boxes)
    return rows, np.array(one, dtype=bool)


def piece_crops(split: Split, classes, n: int, rng: np.random.Generator, one_share: float) -> Split:
    """`n` pieces of pages composed of `split`'s characters (page_pieces), `one_share` of them one character,
    labelled 1 for one character. Raises ValueError if the pages composed hold too few of either."""
    wanted = {True: round(one_share * n), False: n - round(one_share * n)}
    found = {k: [np.zeros((0, SIZE * SIZE), dtype=np.float32)] for k in wanted}
    present = np.unique(split.y)
    for page in range(MIN_PAGES + n // PIECES_PER_PAGE):
        if all(sum(map(len, found[k])) >= wanted[k] for k in found):
            break
        style = Style(char_px=int(rng.integers(*CHAR_PX)), letter_gap=SPACINGS[page % len(SPACINGS)])
        text = random_text(tuple(classes), present, rng)
        rows, one = page_pieces(text, split, classes, int(rng.integers(2**31)), style)
        for k in found:
            found[k].append(rows[one == k])
    pools = {k: np.concatenate(found[k]) for k in found}
    if any(len(pools[k]) < wanted[k] for k in found):
        raise ValueError(f"the pages composed of these characters held too few pieces of each kind for {n} crops")
    X = np.concatenate([pools[k][rng.permutation(len(pools[k]))[:wanted[k]]] for k in (True, False)])
    y = np.repeat(np.array([1, 0], dtype=np.int64), [wanted[True], wanted[False]])
    order = rng.permutation(n)
    return Split(X[order], y[order])
