"""Touching characters parted, and broken ones joined, by what reads best (recognition-driven segmentation).

Connected components cannot part letters written touching or overlapping: a word comes out as one
wide mark. For a mark much wider than a character, the candidate cuts are the columns where its own
ink is locally thinnest; every way of cutting it at some of them into character-wide pieces is scored
by the classifier (the sum of each piece's log-probability, less a toll per piece), and the best path
over the cuts wins. A mark is left whole unless a cut reads more probably than the whole. A piece's
probability is that of its best letter and its best digit together: the word rule chooses between them
later, so a "1" does not pay for looking like an I.

The classifier reads parts of characters too well (half an M is a fair 1), so with a verifier
(mlcore.ocr.verifier: is this piece one whole character?) each piece's score also weighs the
verifier's log-probability that it is one.

A dry pen or a fine one breaks a character into several marks side by side (an H as "I-I", a W as
"LAJ"), which overlap too little to be merged by the layout. Within a word, neighbouring marks no more
than MERGE_GAP character heights apart may be joined, scored the same way, when the verifier doubts
one of them is a whole character; without that doubt, two close whole characters ("14") would often
read better joined ("H"), saving a toll.

Two characters written overlapping can make a mark no wider than many a letter ("14" 0.9 character heights
wide, read H). So a mark of ordinary width is parted too when the verifier doubts it is one whole character,
on a page where the verifier is sure of most such marks (small or blurred writing makes it doubt whole
letters, and parting them would make "AND" "19ND").

A pair of touching letters may read better as one wider letter ("OV" as W) than as two. So a word's wide
marks may also be parted their next-best ways (the best parting of each other number of pieces, within
ALTERNATIVE_MARGIN of the best), or its close marks joined where merge_broken kept them apart (a fine pen's
U as "CI", too far apart or too surely whole for it) and the join reads at least as well, one change at a
time; and the caller chooses among the word's readings (the reader: the one that makes a dictionary word of
MIN_CHOSEN_WORD characters or more, when the most probable does not).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import reduce

import numpy as np
from scipy import ndimage

from mlcore.data.classes import is_letter
from mlcore.ocr.crops import crops_to_rows
from mlcore.ocr.layout import Box
from mlcore.ocr.postprocess import MIN_CHOSEN_WORD

SPLIT_WIDTH = 1.15          # marks wider than this many character heights may hold several characters
# A piece's width, in character heights. Letters are written wide (an M up to 1.8 of the line's median mark
# height): with 1.5, 16 of the 52 marks parted wrong on the test split's touching pages held a letter no piece
# could be. 2.1 read touching and overlapping letters on the validation split's pages 1.1 and 0.8 points
# better and no other condition differently; 1.9, 2.3 and 2.5 read touching 0.4, 0.2 and 0.6 worse than 2.1.
PIECE_WIDTH = (0.2, 2.1)
# How wide the marks of one broken character may be together, in character heights (joins as wide as pieces,
# 2.1, read blur 0.3 worse on the validation split's pages).
JOIN_WIDTH = 1.5
MIN_CUT_SPACING = 0.15      # candidate cuts at least this many character heights apart
MAX_TALL = 1.6              # a mark taller than this many character heights is no line of writing (a shadow)
MAX_WHOLE = 2.6             # a mark wider than this many character heights is never one character
MAX_PIECES_READ = 4000      # pieces a page may have read to part and join marks: a bound on a hostile photo's cost
# The log-probability each extra piece must earn (cutting a W into VV must pay). Chosen on the validation
# split's pages once pieces were read as letter or digit (_reading_probability): 0.5 read touching and
# overlapping letters 0.4-0.5 points better, but wide letters at 12 px 0.6 worse, under a fine pen 0.5 and on
# squared paper 0.3 (an M parted "2V"); 0.7 read best over all the conditions tried.
PIECE_TOLL = 0.7
VERIFIER_WEIGHT = 0.8       # the verifier's log-probability's weight beside the classifier's (chosen on valid)
# The verifier can be sure and wrong (an M written as wide as an "m" was "not one character" at p < 1e-6),
# so what it can cost a piece is bounded: with the floor, 5.5 at most (about eight pieces' tolls, yet
# the MLP in the averaged verifier keeps such letters well above the floor; a floor of 1e-2 did worse).
VERIFIER_FLOOR = 1e-3
MERGE_GAP = 0.15            # marks at most this many character heights apart may be pieces of one broken character
MAX_MERGED = 3              # pieces one broken character is read from, at most
# A word may be read with one of its wide marks parted another way than the most probable, if that way
# scores within this much log-probability of it (and the reader's dictionary then chooses: on a touching test
# page "OV" read as one W scored 0.25 above "OV", and "WER" is no word). 3.0 read the validation split's
# pages no better.
ALTERNATIVE_MARGIN = 2.0
MAX_ALTERNATIVES = 3        # ways of parting one mark offered, the most probable included
CUT_SNAP = 0.15             # a cut asked for at a column moves to the mark's thinnest ink this many heights either side
DOUBT = 0.5                 # the verifier doubts a mark is one whole character when its p(one) is below this
# Marks at least this many character heights wide (and no wider than SPLIT_WIDTH) are parted when the verifier
# doubts them (_doubted_marks): "14" written overlapping was a mark 0.78-0.91 heights wide, read H at p(one) 0.06-0.09.
# On the validation split's pages that read touching 0.9 and overlapping 1.0 points better, blur 0.3 worse (an M
# parted "1VI", which the reader's dictionary now mends: postprocess.Lexicon.choose) and faint pencil 0.1, the rest
# the same. Parting them only when the pieces read 0.5 or 1.0 better than whole gained 0.5 points less.
DOUBT_WIDTH = 0.7
# ... but only on pages where the median such mark is one character at p(one) >= this: at 12 px the verifier doubts
# whole letters (the page's median p(one) 0.45-0.7 on the validation split's pages, against 0.91-0.98 at 64 px),
# and parting them read those pages 2.2 points worse. (So a page whose only such marks are doubted, a label
# reading "14", is not parted: the verifier cannot be judged on it.)
TRUSTED_MEDIAN = 0.8
# A fine pen breaks a U into "CI" with a gap between, and the verifier may take both for whole characters: so a
# word may also be read with neighbours up to this many character heights apart joined, when the join scores
# at least as well as they do apart, and the reader's dictionary chooses ("QCIICK" is read "QUICK"). Joins
# that score worse are not offered: on a blurred test page "RI" joined read M (verifier 0.07), 1.5 below
# apart, and "BRING" became "BUNG"; the fine pen's U scored 0.4 and 1.6 above its pieces.
ALTERNATIVE_GAP = 0.35


def _own_ink(box: Box, labels: np.ndarray) -> np.ndarray:
    """The mark's own ink within its box (H, W) bool: not a neighbour's that reaches into it."""
    return np.isin(labels[box.top:box.bottom, box.left:box.right], box.labels)


def _thickness(own: np.ndarray) -> np.ndarray:
    """How much of a mark's own ink (H, W) each column holds (W,), smoothed over 3 columns."""
    return ndimage.uniform_filter1d(own.sum(axis=0).astype(float), 3)


def _candidate_cuts(own: np.ndarray, char_height: float) -> np.ndarray:
    """Column offsets inside a mark (its own ink `own`, (H, W) bool) where its ink is locally thinnest."""
    profile = _thickness(own)
    w, edge = own.shape[1], PIECE_WIDTH[0] * char_height
    minima = [c for c in range(1, w - 1) if profile[c] <= profile[c - 1] and profile[c] <= profile[c + 1]
              and edge <= c <= w - edge]
    chosen: list[int] = []
    for c in sorted(minima, key=lambda c: profile[c]):   # thinnest first, keeping them apart
        if all(abs(c - k) >= MIN_CUT_SPACING * char_height for k in chosen):
            chosen.append(c)
    return np.array(sorted(chosen), dtype=int)


def _piece(box: Box, own: np.ndarray, a: int, b: int) -> Box | None:
    """Columns [a, b) of the mark, its rows tightened to the ink they hold (None without ink)."""
    rows = np.flatnonzero(own[:, a:b].any(axis=1))
    if not len(rows):
        return None
    return replace(box, top=box.top + int(rows[0]), bottom=box.top + int(rows[-1]) + 1,
                   left=box.left + a, right=box.left + b)


Path = list[tuple[int, int]]   # pieces (i, j), each between bounds[i] and bounds[j], left to right
Chooser = Callable[[list[list[Box]]], int]   # which of a word's readings to keep (split_touching)


def _best_paths(bounds: np.ndarray, score: dict[tuple[int, int], float]) -> dict[int, tuple[float, Path]]:
    """For each number of pieces, the path of that many pieces (i, j) between bounds[i] and bounds[j], from
    the first bound to the last, with the greatest total score, and that score (a shortest-path recursion
    over the bounds and the pieces so far; no way across: empty)."""
    n = len(bounds)
    incoming: dict[int, list[tuple[int, float]]] = {}
    for (i, j), s in sorted(score.items()):
        incoming.setdefault(j, []).append((i, s))
    best: list[dict[int, tuple[float, int]]] = [{0: (0.0, -1)}] + [{} for _ in range(n - 1)]   # pieces -> (score, from)
    for j in range(1, n):
        for i, s in incoming.get(j, ()):
            for count, (total, _) in best[i].items():
                if count + 1 not in best[j] or total + s > best[j][count + 1][0]:
                    best[j][count + 1] = (total + s, i)
    paths = {}
    for count, (total, _) in best[-1].items():
        path, j = [], n - 1
        for k in range(count, 0, -1):
            i = best[j][k][1]
            path.append((i, j))
            j = i
        paths[count] = (total, path[::-1])
    return paths


def _ranked_paths(bounds: np.ndarray, score: dict[tuple[int, int], float]) -> list[tuple[float, Path]]:
    """The best path of each number of pieces (_best_paths) with its score, the greatest score first (of
    two alike, the one of fewer pieces)."""
    ranked = sorted(_best_paths(bounds, score).items(), key=lambda item: (-item[1][0], item[0]))
    return [path for _, path in ranked]


def _best_path(bounds: np.ndarray, score: dict[tuple[int, int], float]) -> Path:
    """The pieces of the path with the greatest total score, whatever their number (empty: no way across)."""
    ranked = _ranked_paths(bounds, score)
    return ranked[0][1] if ranked else []


def _reading_probability(probs: np.ndarray) -> np.ndarray:
    """How probable each piece's reading is, from its class probabilities (N, classes): its most probable
    letter's probability plus its most probable digit's. The word rule (mlcore.ocr.postprocess) later reads
    every character as one of those two, as its word is letters or digits. Scored by its best class alone, a
    stroke read 1 or I got about log 0.5, as low as a fragment, though its word settles which it is (on pages
    composed of real characters, "14" written overlapping was read H, and "019" "OM")."""
    letter = is_letter(np.arange(probs.shape[1]))
    return probs[:, letter].max(axis=1, initial=0.0) + probs[:, ~letter].max(axis=1, initial=0.0)


def _piece_scores(rows: np.ndarray, network, verifier) -> tuple[np.ndarray, np.ndarray | None]:
    """Each piece's score (N,) from its crop rows (N, 1024): its reading's log-probability
    (_reading_probability), plus the verifier's that it is one character (weighted, floored), less the
    toll; and that verifier probability (N,) (None without a verifier)."""
    reading = _reading_probability(network.predict_proba(rows))
    score = np.log(np.clip(reading, 1e-12, 1.0)) - PIECE_TOLL
    if verifier is None:
        return score, None
    one = verifier.predict_proba(rows)[:, 1]
    return score + VERIFIER_WEIGHT * np.log(np.maximum(one, VERIFIER_FLOOR)), one


def _mark_readings(box: Box, ink: np.ndarray, labels: np.ndarray, char_height: float, network, verifier,
                   budget: int) -> tuple[list[tuple[float, list[Box]]], int]:
    """The best way of reading a mark as each number of characters it can be read as, with its score, the
    greatest first (_ranked_paths over the mark's candidate cuts); and how many pieces were read. None read
    (and no way) when it would take more than `budget` pieces."""
    own = _own_ink(box, labels)
    bounds = np.concatenate([[0], _candidate_cuts(own, char_height), [box.width]])
    low, high, whole = (f * char_height for f in (*PIECE_WIDTH, MAX_WHOLE))
    spans = [(i, j) for i in range(len(bounds)) for j in range(i + 1, len(bounds))
             if low <= bounds[j] - bounds[i] <= high or ((i, j) == (0, len(bounds) - 1) and box.width <= whole)]
    pieces = {span: _piece(box, own, bounds[span[0]], bounds[span[1]]) for span in spans}
    pieces = {span: p for span, p in pieces.items() if p is not None}
    if not pieces or len(pieces) > budget:
        return [], 0
    rows, _ = crops_to_rows(ink, labels, list(pieces.values()))
    score = dict(zip(pieces, _piece_scores(rows, network, verifier)[0].tolist(), strict=True))
    return [(total, [pieces[span] for span in path]) for total, path in _ranked_paths(bounds, score)], len(pieces)


def split_mark(box: Box, ink: np.ndarray, labels: np.ndarray, char_height: float, network, verifier=None,
               budget: int = MAX_PIECES_READ) -> tuple[list[tuple[float, list[Box]]], int]:
    """The ways of reading a wide mark as characters, left to right, each with its score, the most
    probable first: the best parting (the mark itself when it reads best whole, or when parting it would
    read more than `budget` pieces), then the best of each other number of pieces that scores within
    ALTERNATIVE_MARGIN of it (MAX_ALTERNATIVES ways at most); and how many pieces were read. `verifier` (a
    network, or None to go without) says how likely each piece is one whole character."""
    ranked, read = _mark_readings(box, ink, labels, char_height, network, verifier, budget)
    ways = [way for way in ranked[:MAX_ALTERNATIVES] if way[0] >= ranked[0][0] - ALTERNATIVE_MARGIN]
    return ways or [(0.0, [box])], read


def part_mark(box: Box, count: int, ink: np.ndarray, labels: np.ndarray, char_height: float, network,
              verifier=None, budget: int = MAX_PIECES_READ) -> tuple[list[Box] | None, int]:
    """The most probable way of reading a mark as exactly `count` characters, as split_mark scores them (None:
    its cuts allow no such way, or reading it would take more than `budget` pieces); and how many pieces
    were read."""
    ranked, read = _mark_readings(box, ink, labels, char_height, network, verifier, budget)
    return next((boxes for _, boxes in ranked if len(boxes) == count), None), read


def cut_at(box: Box, columns: list[float], labels: np.ndarray, char_height: float) -> list[Box] | None:
    """The mark cut at the page columns `columns`, each moved to where the mark's ink is thinnest within CUT_SNAP
    character heights of it: its pieces, left to right (None: a cut would meet the one before it or fall
    beyond the mark, or a piece holds no ink). A piece may be narrower than the segmenter's own (PIECE_WIDTH):
    the recogniser saw a character there, and a 1 is narrow."""
    own = _own_ink(box, labels)
    profile = _thickness(own)
    reach = max(1, int(round(CUT_SNAP * char_height)))
    bounds = [0]
    for x in sorted(columns):
        at = int(round(x)) - box.left
        low, high = max(bounds[-1] + 1, at - reach), min(box.width, at + reach + 1)
        if low >= high:
            return None
        bounds.append(low + int(profile[low:high].argmin()))
    bounds.append(box.width)
    pieces = [_piece(box, own, a, b) for a, b in zip(bounds, bounds[1:])]
    return None if any(p is None for p in pieces) else pieces


def _close_runs(boxes: list[Box], char_height: float) -> list[tuple[int, int]]:
    """Runs [i, j) of two or more neighbouring marks, each no wider than SPLIT_WIDTH character heights and
    no more than MERGE_GAP from the next: the only places where a character may have been broken into
    several marks (a wider mark is never part of a join, so it is not read here)."""
    runs, start = [], None
    for k, box in enumerate(boxes):
        joinable = box.width <= SPLIT_WIDTH * char_height
        close = start is not None and box.left - boxes[k - 1].right <= MERGE_GAP * char_height
        if start is not None and not (joinable and close):
            runs += [(start, k)] if k - start > 1 else []
            start = None
        if joinable and start is None:
            start = k
    return runs + ([(start, len(boxes))] if start is not None and len(boxes) - start > 1 else [])


def merge_broken(boxes: list[Box], ink: np.ndarray, labels: np.ndarray, char_height: float, network,
                 verifier, budget: int = MAX_PIECES_READ) -> tuple[list[Box], int]:
    """One word's marks, left to right, with the pieces of broken characters joined; and how many pieces
    were read. Within each run of close marks, neighbours may be joined (_joined) when the verifier doubts
    one of them is a whole character; every way of joining is scored as split_mark scores its pieces,
    and the best path wins. So two close marks that are each a whole character ("1" and "4" written
    close) are not read as one ("H") unless the verifier doubts one of them. Without a verifier
    (None) nothing is joined."""
    out, read, done = [], 0, 0
    for i0, j0 in _close_runs(boxes, char_height) if verifier is not None else []:
        run = boxes[i0:j0]
        if read + len(run) > budget:
            continue
        rows, _ = crops_to_rows(ink, labels, run)
        scores, one = _piece_scores(rows, network, verifier)
        read += len(run)
        joins = _joined(run, lambda i, j, one=one: one[i:j].min() < DOUBT, char_height)
        if not joins or read + len(joins) > budget:
            continue
        rows, _ = crops_to_rows(ink, labels, list(joins.values()))
        score = {(i, i + 1): s for i, s in enumerate(scores.tolist())}
        score.update(zip(joins, _piece_scores(rows, network, verifier)[0].tolist(), strict=True))
        read += len(joins)
        path = _best_path(np.arange(len(run) + 1), score)
        out += boxes[done:i0] + [joins.get(span, run[span[0]]) for span in path]
        done = j0
    return out + boxes[done:], read


def _joined(marks: list[Box], joinable: Callable[[int, int], bool], char_height: float) -> dict[tuple[int, int], Box]:
    """The neighbours marks[i:j], 2 to MAX_MERGED of them, that `joinable(i, j)` allows, joined, where together
    they are no wider than JOIN_WIDTH. A join wider than SPLIT_WIDTH is offered to split_mark in turn, as any
    wide mark is (an M broken into an H and a sliver, an N into "HT": with joins no wider than SPLIT_WIDTH,
    broken strokes on the validation split's pages read 0.7 points worse)."""
    spans = [(i, j) for i in range(len(marks)) for j in range(i + 2, min(len(marks), i + MAX_MERGED) + 1)
             if joinable(i, j)]
    joined = {span: reduce(Box.merge, marks[span[0]:span[1]]) for span in spans}
    return {span: box for span, box in joined.items() if box.width <= JOIN_WIDTH * char_height}


def _word_readings(ways: list[list[tuple[float, list[Box]]]],
                   joins: list[tuple[int, int, Box]]) -> list[list[Box]]:
    """A word's readings, the most probable first, from each of its marks' ways of being read (best first,
    with scores) and the joins of its marks (_join_alternatives): every mark read its best way, then each
    other way of one mark, or one join (after the first, however well it scores), the rest read their best."""
    best = [options[0] for options in ways]
    readings = [(0.0, [boxes for _, boxes in best])]      # each with its score less the best reading's
    for m, options in enumerate(ways):
        for score, boxes in options[1:]:
            readings.append((score - best[m][0], [b for _, b in best[:m]] + [boxes] + [b for _, b in best[m + 1:]]))
    for i, j, box in joins:             # never before the marks apart: only the dictionary may join them
        readings.append((0.0, [b for _, b in best[:i]] + [[box]] + [b for _, b in best[j:]]))
    readings.sort(key=lambda r: -r[0])                     # stable: the best reading first on a tie
    return [[box for boxes in parts for box in boxes] for _, parts in readings]


def _join_alternatives(word: list[Box], ink: np.ndarray, labels: np.ndarray, char_height: float, network,
                       verifier, spare: int, budget: int) -> tuple[list[tuple[int, int, Box]], int]:
    """The joins (_joined) of a word's marks word[i:j], each no wider than SPLIT_WIDTH and at most
    ALTERNATIVE_GAP from the next, that leave the word at least as long as the dictionary chooses (`spare`:
    how many characters it may lose, j - i - 1 at most) and score at least as well as the marks apart, the
    best gain first: (i, j, joined box) each; and how many pieces were read (none when more than `budget`
    would be)."""
    narrow = [b.width <= SPLIT_WIDTH * char_height for b in word]
    close = [b.left - a.right <= ALTERNATIVE_GAP * char_height for a, b in zip(word, word[1:])]
    joined = _joined(word, lambda i, j: j - i - 1 <= spare and all(narrow[i:j]) and all(close[i:j - 1]),
                     char_height)
    marks = sorted({k for i, j in joined for k in range(i, j)})
    boxes = [word[k] for k in marks] + list(joined.values())
    if not joined or len(boxes) > budget:
        return [], 0
    rows, _ = crops_to_rows(ink, labels, boxes)
    scores = _piece_scores(rows, network, verifier)[0].tolist()
    apart = dict(zip(marks, scores))
    gains = [(score - sum(apart[k] for k in range(i, j)), i, j, box)
             for ((i, j), box), score in zip(joined.items(), scores[len(marks):])]
    return [(i, j, box) for gain, i, j, box in sorted(gains, key=lambda g: -g[0]) if gain >= 0.0], len(boxes)


def _doubted_marks(lines: list[list[Box]], ink: np.ndarray, labels: np.ndarray, char_height: float, verifier,
                   budget: int) -> tuple[set[int], int]:
    """The ids of a page's marks DOUBT_WIDTH to SPLIT_WIDTH character heights wide that the verifier doubts are
    one whole character (p(one) < DOUBT), if the median such mark is one at p(one) >= TRUSTED_MEDIAN (none
    otherwise, or when more than `budget` would be read); and how many marks were read."""
    band = [box for line in lines for box in line if box.height <= MAX_TALL * char_height
            and DOUBT_WIDTH * char_height <= box.width <= SPLIT_WIDTH * char_height]
    if verifier is None or not band or len(band) > budget:
        return set(), 0
    rows, _ = crops_to_rows(ink, labels, band)
    one = verifier.predict_proba(rows)[:, 1]
    if np.median(one) < TRUSTED_MEDIAN:
        return set(), len(band)
    return {id(box) for box, p in zip(band, one) if p < DOUBT}, len(band)


def _parted_word(word: list[Box], ink: np.ndarray, labels: np.ndarray, char_height: float, network, verifier,
                 choose: Chooser | None, budget: int, doubted: set[int]) -> tuple[list[Box], int]:
    """One word's marks with its wide marks, and those whose ids are `doubted`, parted (split_mark), as `choose`
    picks among its readings (_word_readings, with the joins of its close marks when there is a verifier; None:
    each mark's most probable parting, nothing joined), and how many pieces were read: those parted and joined,
    and each box of the readings `choose` was given once, if they are within `budget`."""
    ways, read = [], 0
    for box in word:
        options = [(0.0, [box])]
        if (box.width > SPLIT_WIDTH * char_height or id(box) in doubted) and box.height <= MAX_TALL * char_height:
            options, parted = split_mark(box, ink, labels, char_height, network, verifier, budget - read)
            read += parted
        ways.append(options)
    joins: list[tuple[int, int, Box]] = []
    if choose is not None and verifier is not None:
        spare = sum(len(options[0][1]) for options in ways) - MIN_CHOSEN_WORD
        joins, joined = _join_alternatives(word, ink, labels, char_height, network, verifier, spare, budget - read)
        read += joined
    if choose is None or (all(len(options) == 1 for options in ways) and not joins):
        return [box for options in ways for box in options[0][1]], read
    readings = _word_readings(ways, joins)
    offered = len({id(box) for reading in readings for box in reading})
    if offered > budget - read:
        return readings[0], read
    return readings[choose(readings)], read + offered


def split_touching(lines: list[list[Box]], breaks: list[list[bool]], ink: np.ndarray, labels: np.ndarray,
                   char_height: float, network, verifier=None,
                   choose: Chooser | None = None) -> tuple[list[list[Box]], list[list[bool]]]:
    """Every line's marks with broken characters joined (merge_broken, within words, with a verifier only)
    and wide marks parted (split_mark), and marks of ordinary width the verifier doubts (_doubted_marks), and
    the word breaks to match (a mark's pieces belong to its word).
    Where a word's wide marks may be parted more than one way, or its close marks joined (with a verifier),
    `choose` is given its readings (_word_readings, the most probable first) and says which to keep (None: the
    most probable); the boxes of its readings count against the page's MAX_PIECES_READ, as every piece read
    does."""
    doubted, read = _doubted_marks(lines, ink, labels, char_height, verifier, MAX_PIECES_READ)
    new_lines, new_breaks, budget = [], [], MAX_PIECES_READ - read
    for line, brk in zip(lines, breaks):
        boxes, flags = [], []
        starts = [k for k, is_break in enumerate(brk) if k == 0 or is_break] + [len(line)]
        for a, b in zip(starts[:-1], starts[1:]):
            word, joined = merge_broken(line[a:b], ink, labels, char_height, network, verifier, budget)
            chars, parted = _parted_word(word, ink, labels, char_height, network, verifier, choose, budget - joined,
                                         doubted)
            budget -= joined + parted
            boxes += chars
            flags += [brk[a]] + [False] * (len(chars) - 1)
        new_lines.append(boxes)
        new_breaks.append(flags)
    return new_lines, new_breaks
