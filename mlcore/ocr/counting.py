"""A word's characters counted by the word recogniser: a mark it reads as several characters is parted into as many.

The segmenter (mlcore.ocr.segment) parts a mark only where its pieces read better than the whole, and two
characters written overlapping often read well as one wider one: "14" as H, "41" in "0412" as a 4, "LL" as
W. The word recogniser (mlcore.ocr.words) reads the word's image whole. Where it reads more characters than
the word has marks, each of its characters is placed in the mark under its centre; a mark holding two or
more is parted into as many (segment.part_mark: the most probable such parting, by the classifier and the
verifier, not where the recogniser put them), and the word is read again as the reader reads any word.
The new reading is kept only if the word recogniser is sure of it (log-probability above SURE) and finds it
far more probable than the reading it had (by GAIN): it reads letters worse than the classifier
does, so it only says how many there are, and only when it is sure; and never to give up a dictionary word
of three letters or more for a reading that is no word (_word_lost).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import reduce

import numpy as np

from mlcore.losses import ctc_log_likelihood
from mlcore.model_io import SavedModel
from mlcore.ocr import segment
from mlcore.ocr.crops import character_crop
from mlcore.ocr.layout import Box
from mlcore.ocr.postprocess import Lexicon
from mlcore.ocr.segment import MAX_TALL, part_mark
from mlcore.ocr.words import encode, frame_column, greedy_runs, log_probs, word_image

# Chosen on the validation split's pages (bench/ocr_conditions.py --split valid --pages 30, with _word_lost):
# a gain of 15 or 20 read no condition worse and overlapping letters 94.55 -> 96.01 / 95.92, touching 96.32
# -> 97.54 / 97.30; 10 read eight conditions 0.2 points worse (an N read "1V", BRING "AIRING"). 20 leaves a
# margin. A new reading the recogniser finds less than e^SURE probable (with that gain) changed valid pages only
# at "DOMCODE" read "DOSTCODE" (POSTCODE; with SURE -5 or -8: overlapping 95.77, touching 97.14), and on a clean
# test page (tests/test_ocr.py) an H read "46" (-6.6).
SURE = -5.0
GAIN = 20.0
# The shortest dictionary word a recount may not give up for no word: two-letter ones are too many to say
# anything ("OM" for "019", "IN" for "1TN" were recounted right). Words of three letters or of four changed
# the same validation pages.
KEPT_WORD = 3
# Word image columns a page may have read (a character is some 22): a dense page of 400 characters has about
# 9,000. A bound on what a hostile photo of thousands of marks costs.
MAX_COLUMNS_READ = 40_000

Reader = Callable[[list[Box]], str]   # a word's boxes -> its reading, as the reader reads a word


def _marks_holding(word: list[Box], columns: list[float]) -> np.ndarray:
    """How many of the page columns `columns` (a character's centre each) fall in each mark of `word`: in the
    mark whose columns hold it, or else the nearest."""
    lefts, rights = np.array([b.left for b in word]), np.array([b.right for b in word])
    counts = np.zeros(len(word), dtype=int)
    for x in columns:
        inside = np.flatnonzero((lefts <= x) & (x < rights))
        counts[inside[0] if len(inside) else int(np.abs((lefts + rights) / 2 - x).argmin())] += 1
    return counts


def _parted(word: list[Box], counts: np.ndarray, ink: np.ndarray, labels: np.ndarray, char_height: float,
            network, verifier, budget: int) -> tuple[list[Box] | None, int]:
    """`word` with each mark parted into its count of characters where it holds two or more (None: no mark
    could be); and how many pieces were read."""
    boxes, read, parted = [], 0, False
    for box, count in zip(word, counts):
        pieces = None
        if count > 1 and box.height <= MAX_TALL * char_height:
            pieces, n = part_mark(box, int(count), ink, labels, char_height, network, verifier, budget - read)
            read += n
        boxes += pieces or [box]
        parted = parted or pieces is not None
    return (boxes if parted else None), read


def _word_images(words: list[list[Box]], ink: np.ndarray, labels: np.ndarray,
                 char_height: float) -> list[tuple[np.ndarray, float, int]]:
    """The first words' images for the word recogniser, as many as MAX_COLUMNS_READ allows; with each, how many
    image columns an ink column became, and the page column of its ink's first column."""
    out, columns = [], 0
    for word in words:
        whole = reduce(Box.merge, word)
        soft, _ = character_crop(ink, labels, whole)
        image, x_scale = word_image(soft, char_height)
        columns += image.shape[1]
        if columns > MAX_COLUMNS_READ:
            break
        out.append((image, x_scale, max(whole.left - 2, 0)))   # character_crop's margin of 2
    return out


def _word_spans(breaks: list[list[bool]]) -> list[tuple[int, int, int]]:
    """(line, first, end) of every word: its marks are lines[line][first:end]."""
    spans = []
    for li, brk in enumerate(breaks):
        starts = [k for k, is_break in enumerate(brk) if k == 0 or is_break]
        spans += [(li, a, b) for a, b in zip(starts, starts[1:] + [len(brk)])]
    return spans


def recount_words(lines: list[list[Box]], breaks: list[list[bool]], ink: np.ndarray, labels: np.ndarray,
                  char_height: float, network, verifier, words: SavedModel,
                  read: Reader, lexicon: Lexicon | None = None) -> tuple[list[list[Box]], list[list[bool]]]:
    """Every line's marks, with those the word recogniser (`words`, load_word_cnn) reads as several characters
    parted where it is sure of the word's new reading (`read`) and finds it far more probable than the old
    (_more_probable), unless that gives up a word of `lexicon` (_word_lost); and the word breaks to match (a
    mark's pieces belong to its word)."""
    spans = _word_spans(breaks)
    images = _word_images([lines[li][a:b] for li, a, b in spans], ink, labels, char_height)
    logps = log_probs(words.network, [image for image, _, _ in images])
    new_lines: list[list[Box]] = [[] for _ in lines]
    new_breaks: list[list[bool]] = [[] for _ in lines]
    budget = segment.MAX_PIECES_READ    # its own, as the segmenter has: a page reads twice that at most
    for k, (li, a, b) in enumerate(spans):
        boxes = lines[li][a:b]
        if k < len(images):              # past MAX_COLUMNS_READ, words stay as they are
            runs = greedy_runs(logps[k])
            _, x_scale, left = images[k]
            centres = [left + frame_column((first + last) / 2, x_scale) for _, first, last in runs]
            parted, n = _parted(boxes, _marks_holding(boxes, centres), ink, labels, char_height, network, verifier,
                                budget) if len(runs) > len(boxes) else (None, 0)
            budget -= n
            if parted is not None:
                before, after = read(boxes), read(parted)
                if _more_probable(logps[k], before, after, words.classes[:-1]) and \
                        not _word_lost(before, after, lexicon):
                    boxes = parted
        new_lines[li] += boxes
        new_breaks[li] += [breaks[li][a]] + [False] * (len(boxes) - 1)
    return new_lines, new_breaks


def _more_probable(logp: np.ndarray, before: str, after: str, classes) -> bool:
    """Whether the word recogniser (its frames' log-probabilities `logp`) is sure of `after` (log-probability
    above SURE) and finds it more probable than `before` by GAIN."""
    if not set(before + after) <= set(classes):
        return False
    first, second = ctc_log_likelihood(np.repeat(logp[None], 2, axis=0), encode([before, after], classes))
    return bool(second > SURE and second - first > GAIN)


def _word_lost(before: str, after: str, lexicon: Lexicon | None) -> bool:
    """Whether `after` gives up a dictionary word of KEPT_WORD or more letters (`before`) for no word. The
    recogniser reads some writers' M as "N1" or "177", H as "46" and "PS" as "175" with as much certainty as it
    reads a real pair as one mark ("MAPS" as "MA175", "THE" as "T46E")."""
    return (lexicon is not None and len(before) >= KEPT_WORD and lexicon.holds(before)
            and not lexicon.holds(after))
