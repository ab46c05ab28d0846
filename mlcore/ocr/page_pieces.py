"""Pieces of composed pages, cut as the segmenter cuts them, labelled by the characters truly written there.

The verifier (mlcore.ocr.verifier) is asked about the pieces mlcore.ocr.segment cuts from real marks: at
a mark's thinnest columns, over several marks where a character may be broken. Crops composed by hand
(pairs, halves, slivers) teach it what a wrong cut looks like, but not which of a mark's candidate cuts
are the right ones. So pages are composed of a split's own characters (mlcore.ocr.compose), overlapping,
touching, close and spaced as in SPACINGS, at CHAR_PX high, and read up to their layout. Every piece between
two of a line's mark edges and candidate cuts, PIECE_WIDTH wide, over marks no more than MERGE_GAP apart, is
cut: those the segmenter scores (a wide mark's parts, a mark whole, close marks joined) and more that it
does not (cuts inside narrow marks, pieces from one mark's edge to a cut in the next), wrong cuts of the
same kinds. A whole mark wider than PIECE_WIDTH, which the segmenter also scores whole (up to
segment.MAX_WHOLE), is not among them. A piece is labelled one character when its bounds are where a true
character's bounds fall (each snapped to the nearest edge or cut; where two characters touch or overlap,
their shared bound is the one nearest the middle of the overlap).
"""
from __future__ import annotations

from dataclasses import dataclass

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
# taken in turn: overlapping (compose truncates the gap to whole pixels: 1-2 px at 64 px), touching, close,
# and as people space them.
SPACINGS = ((-3 / 64, -1 / 64), (0.0, 0.0), (-0.02, 0.08), (0.2, 0.4))
CHAR_PX = (32, 90)           # how high a page's characters are written, in pixels
WORDS = (2, 5)               # words per line, from 2 up to (not including) 5
WORD_LENGTH = (2, 7)         # characters per word, from 2 up to (not including) 7
WORD_KINDS = (0.6, 0.25, 0.15)   # the shares of words of letters, of digits, of both
# A page yields about 37 pieces of one character, enough for about 90 crops at the verifier's share of them;
# the pages composed for n crops are bounded (MIN_PAGES + n / PIECES_PER_PAGE), however few a page yields.
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


@dataclass(frozen=True)
class CutPage:
    """A composed page's pieces, not yet cropped."""
    ink: np.ndarray          # soft ink at the working resolution (H, W)
    labels: np.ndarray       # the layout's component labels (H, W)
    pieces: list[Box]        # every piece the segmenter could score, line by line
    one: np.ndarray          # (len(pieces),) bool: the piece is one true character


def cut_page(text: str, split: Split, classes, seed: int, style: Style) -> CutPage:
    """Every piece on `text` composed of `split`'s characters that the segmenter could score, and whether
    each is one true character; none if the layout misses a line."""
    placed = placed_glyphs(text, split.X, split.y, classes, seed, style)
    ink = ink_map(compose_page(text, split.X, split.y, classes, seed, style).mean(axis=2, dtype=np.float32) / 255)
    lay = layout(ink.mask)
    if len(lay.lines) != len(placed):
        return CutPage(ink.ink, lay.labels, [], np.zeros(0, bool))
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
    return CutPage(ink.ink, lay.labels, boxes, np.array(one, dtype=bool))


@dataclass(frozen=True)
class _Recipe:
    """How one page was composed (cut_page's arguments but the split's), and its pieces of each kind."""
    text: str
    seed: int
    style: Style
    count: dict[bool, int]


def _recipes(split: Split, classes, wanted: dict[bool, int], rng: np.random.Generator) -> list[_Recipe]:
    """Pages composed until they hold `wanted` pieces of each kind, MIN_PAGES + n / PIECES_PER_PAGE at most."""
    recipes: list[_Recipe] = []
    present = np.unique(split.y)
    for page in range(MIN_PAGES + sum(wanted.values()) // PIECES_PER_PAGE):
        if all(sum(r.count[k] for r in recipes) >= wanted[k] for k in wanted):
            break
        style = Style(char_px=int(rng.integers(*CHAR_PX)), letter_gap=SPACINGS[page % len(SPACINGS)])
        text = random_text(tuple(classes), present, rng)
        seed = int(rng.integers(2**31))
        one = cut_page(text, split, classes, seed, style).one
        recipes.append(_Recipe(text, seed, style, {k: int(np.sum(one == k)) for k in wanted}))
    return recipes


def _chosen_rows(recipes: list[_Recipe], chosen: dict[bool, np.ndarray], split: Split,
                 classes) -> dict[bool, np.ndarray]:
    """The crop rows of the `chosen` pieces of each kind (indices among that kind's pieces of all the pages,
    in order), in the order chosen. Only they are cropped: a page yields about 550 pieces, 37 of them one
    character, and cropping them all would hold several times the rows asked for."""
    rows = {k: np.empty((len(c), SIZE * SIZE), dtype=np.float32) for k, c in chosen.items()}
    first = dict.fromkeys(chosen, 0)
    for recipe in recipes:
        picks = {k: np.flatnonzero((c >= first[k]) & (c < first[k] + recipe.count[k])) for k, c in chosen.items()}
        if any(len(where) for where in picks.values()):
            page = cut_page(recipe.text, split, classes, recipe.seed, recipe.style)
            for k, where in picks.items():
                kind = [box for box, one in zip(page.pieces, page.one) if one == k]
                rows[k][where] = crops_to_rows(page.ink, page.labels, [kind[i - first[k]] for i in chosen[k][where]])[0]
        first = {k: first[k] + recipe.count[k] for k in chosen}
    return rows


def piece_crops(split: Split, classes, n: int, rng: np.random.Generator, one_share: float) -> Split:
    """`n` pieces of pages composed of `split`'s characters (cut_page), `one_share` of them one character,
    labelled 1 for one character. The caller bounds `n` (the rows returned are all this allocates). Raises
    ValueError if the pages composed hold too few of either kind."""
    if n < 0 or not 0.0 <= one_share <= 1.0:
        raise ValueError(f"piece_crops needs n >= 0 and one_share in [0, 1], got {n} and {one_share}")
    wanted = {True: round(one_share * n), False: n - round(one_share * n)}
    recipes = _recipes(split, classes, wanted, rng)
    found = {k: sum(r.count[k] for r in recipes) for k in wanted}
    if any(found[k] < wanted[k] for k in wanted):
        raise ValueError(f"the pages composed of these characters held too few pieces of each kind for {n} crops")
    chosen = {k: rng.permutation(found[k])[:wanted[k]] for k in (True, False)}
    rows = _chosen_rows(recipes, chosen, split, classes)
    X = np.concatenate([rows[True], rows[False]])
    y = np.repeat(np.array([1, 0], dtype=np.int64), [wanted[True], wanted[False]])
    order = rng.permutation(n)
    return Split(X[order], y[order])
