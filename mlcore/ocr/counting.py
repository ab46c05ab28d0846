"""A word's characters counted by the word recogniser: a mark it reads as several characters is parted into as many.

The segmenter (mlcore.ocr.segment) parts a mark only where its pieces read better than the whole, and two
characters written overlapping often read well as one wider one: "14" as H, "41" in "0412" as a 4, "LL" as
W. The word recogniser (mlcore.ocr.words) reads the word's image whole. Where it reads more characters than
the word has marks, each of its characters is placed in the mark under its centre; a mark holding two or
more is parted into as many, two ways: the most probable such parting by the classifier and the verifier
(segment.part_mark), and cuts where the recogniser's characters meet (segment.cut_at). Each way is read as
the reader reads any word (with the recogniser's own reading of each mark, word_reading.fused), once at the
recogniser's usual weight and once leaning on it (RECOUNT_WEIGHT), and the reading the recogniser finds most
probable is kept (a dictionary word first), but only if it is sure of it (log-probability above SURE) and finds
it far more probable than the reading the word had (by GAIN): it reads letters worse than the classifier does,
so it mostly says how many there are, and only when it is sure; and never to give up a dictionary word of three
letters or more for a reading that is no word (_word_lost). SURE was chosen before each mark was read with the
recogniser too; GAIN was checked again after that, and after each way was read leaning on it (below).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from mlcore.losses import ctc_log_likelihood
from mlcore.ocr import segment
from mlcore.ocr.layout import Box
from mlcore.ocr.postprocess import Lexicon
from mlcore.ocr.segment import MAX_TALL, cut_at, part_mark
from mlcore.ocr.word_reading import WordFrames, marks_holding, word_spans
from mlcore.ocr.words import encode, greedy_runs

# Chosen on the validation split's pages (bench/ocr_conditions.py --split valid --pages 30, with _word_lost):
# a gain of 15 or 20 read no condition worse and overlapping letters 94.55 -> 96.01 / 95.92, touching 96.32
# -> 97.54 / 97.30; 10 read eight conditions 0.2 points worse (an N read "1V", BRING "AIRING"). 20 leaves a
# margin. A new reading the recogniser finds less than e^SURE probable (with that gain) changed valid pages only
# at "DOMCODE" read "DOSTCODE" (POSTCODE; with SURE -5 or -8: overlapping 95.77, touching 97.14), and on a clean
# test page (tests/test_ocr.py) an H read "46" (-6.6).
SURE = -5.0
# Read with the recogniser's reading of each mark too (word_reading.WORD_WEIGHT, then 0.25), a gain of 15 or 10
# read the validation split's pages as 20 does (mean of 20 conditions 98.53 / 98.51 against 98.53). With each way
# read leaning on the recogniser too (RECOUNT_WEIGHT), 15 / 10 read touching 98.11 / 97.95 and overlapping 96.67 /
# 96.35 against 98.03 and 96.67 (the same 30 pages a condition). With the recogniser trained on bent characters
# (WORD_WEIGHT 0.5), 15 read touching 98.35 and overlapping 97.23 against 98.35 and 97.15: one character in 30
# pages, not worth recounting more words for (a lower gain lets in the recogniser's sure wrong counts).
GAIN = 20.0
# The shortest dictionary word a recount may not give up for no word: two-letter ones are too many to say
# anything ("OM" for "019", "IN" for "1TN" were recounted right). Words of three letters or of four changed
# the same validation pages.
KEPT_WORD = 3
# Each way of parting is read twice: with the recogniser's usual weight beside the classifier, and leaning on it.
# Cut where the recogniser saw characters meet, a piece holds slivers of its neighbours that the classifier alone
# misreads ("019" parted and read "C79" or "11H" where the recogniser read "019"). On the validation split's pages
# (--split valid --pages 30) a weight of 1 / 3 / 10 / 30 read touching 97.45 (the usual weight alone) -> 97.45 /
# 98.03 / 97.95 / 97.95, overlapping 96.25 -> 96.33 / 96.67 / 96.59 / 96.51; with 3 no other of the 20 conditions
# moved. With the recogniser trained on bent characters (WORD_WEIGHT 0.5), 1.5 / 6 read touching 97.77 / 98.27 and
# overlapping 96.75 / 97.07 against 98.35 and 97.15 at 3.
RECOUNT_WEIGHT = 3.0

# A word's boxes and readings of it by the recogniser -> the word as the page reads it with each.
Reader = Callable[[list[Box], list[WordFrames]], list[str]]


def _partings(word: list[Box], held: np.ndarray, centres: np.ndarray, ink: np.ndarray, labels: np.ndarray,
              char_height: float, network, verifier, budget: int) -> tuple[list[list[Box]], int]:
    """`word` with each mark that holds two or more of the recogniser's characters (`held`: the mark of each,
    `centres`: its page column) parted into that many, two ways: as the classifier and the verifier read it
    best (part_mark), and at the recogniser's own places (cut_at, between its characters' centres; where
    that fails, as part_mark parts it). Each way that differs from `word` and from the other; and how many
    pieces were read."""
    ways: list[list[Box]] = [[], []]
    read = 0
    for i, box in enumerate(word):
        mine = centres[held == i]
        best = guided = None
        if len(mine) > 1 and box.height <= MAX_TALL * char_height:
            best, n = part_mark(box, len(mine), ink, labels, char_height, network, verifier, budget - read)
            read += n
            guided = cut_at(box, ((mine[1:] + mine[:-1]) / 2).tolist(), labels, char_height)
        ways[0] += best or [box]
        ways[1] += guided or best or [box]
    return [way for k, way in enumerate(ways) if way != word and way not in ways[:k]], read


def recount_words(lines: list[list[Box]], breaks: list[list[bool]], frames: list[WordFrames | None], ink: np.ndarray,
                  labels: np.ndarray, char_height: float, network, verifier, read: Reader,
                  lexicon: Lexicon | None = None) -> tuple[list[list[Box]], list[list[bool]], list[WordFrames | None]]:
    """Every line's marks, with those the word recogniser (its reading of each word, `frames`, one per word)
    reads as several characters parted (_partings; the way whose reading by `read` it finds most probable, a
    dictionary word first) where it is sure of that reading and finds it far more probable than the word's
    (_recounted); the word breaks to match (a mark's pieces belong to its word); and each word's `frames`, with
    the weight beside the classifier its reading was kept at."""
    new_lines: list[list[Box]] = [[] for _ in lines]
    new_breaks: list[list[bool]] = [[] for _ in lines]
    new_frames = list(frames)
    budget = segment.MAX_PIECES_READ    # its own, as the segmenter has: a page reads twice that at most
    for w, ((li, a, b), word) in enumerate(zip(word_spans(breaks), frames, strict=True)):
        boxes = lines[li][a:b]
        runs = greedy_runs(word.logp) if word is not None else []     # unread words stay as they are
        if len(runs) > len(boxes):
            centres = word.columns([(first + last) / 2 for _, first, last in runs])
            ways, n = _partings(boxes, marks_holding(boxes, centres), centres, ink, labels, char_height, network,
                                verifier, budget)
            cost = len(boxes) + sum(map(len, ways))      # _recounted reads the word and each way
            budget -= n
            if ways and cost <= budget:
                budget -= cost
                boxes, new_frames[w] = _recounted(boxes, ways, word, read, lexicon)
        new_lines[li] += boxes
        new_breaks[li] += [breaks[li][a]] + [False] * (len(boxes) - 1)
    return new_lines, new_breaks, new_frames


def _recounted(boxes: list[Box], ways: list[list[Box]], word: WordFrames, read: Reader,
               lexicon: Lexicon | None) -> tuple[list[Box], WordFrames]:
    """Of the ways of parting a word's marks `boxes`, each read with the recogniser at the word's weight and at
    RECOUNT_WEIGHT, the one whose reading the recogniser finds likeliest (_likeliest) with the weight it was read
    at, unless a dictionary word is lost (_word_lost); else `boxes` and `word` as they were."""
    leaning = replace(word, weight=RECOUNT_WEIGHT)
    options = [(way, frames) for way in ways for frames in (word, leaning)]
    texts = [text for way in ways for text in read(way, [word, leaning])]
    before = read(boxes, [word])[0]
    best = _likeliest(before, texts, word, lexicon)
    if best is None or _word_lost(before, texts[best], lexicon):
        return boxes, word
    return options[best]


def _likeliest(before: str, texts: list[str], word: WordFrames, lexicon: Lexicon | None) -> int | None:
    """The index of the reading of `texts` the recogniser (`word`) finds most probable of those it finds far more
    probable than `before` (_more_probable), dictionary words (_is_word) first: a writer's WALTZ the recogniser
    reads "WAL72" would otherwise be "WAL72", read leaning on it, though "WALTZ" is as sure. None if there is
    none. A reading with a character outside the recogniser's classes is passed over."""
    readable = [k for k, text in enumerate(texts) if set(text) <= set(word.classes)]
    if not readable or not set(before) <= set(word.classes):
        return None
    scores = _log_likelihoods(word.logp, [before] + [texts[k] for k in readable], word.classes).tolist()
    sure = {k: score for k, score in zip(readable, scores[1:]) if _more_probable(scores[0], score)}
    pool = {k: score for k, score in sure.items() if _is_word(texts[k], lexicon)} or sure
    return max(pool, key=pool.__getitem__) if pool else None


def _log_likelihoods(logp: np.ndarray, texts: list[str], classes) -> np.ndarray:
    """How probable the recogniser (its frames' log-probabilities `logp`, over `classes` and the blank) finds
    each of `texts` (N,), whose characters are all of `classes`."""
    return ctc_log_likelihood(np.repeat(logp[None], len(texts), axis=0), encode(texts, classes))


def _more_probable(before: float, after: float) -> bool:
    """Whether the recogniser is sure of a new reading (its log-probability `after` above SURE) and finds it
    more probable than the reading it had (`before`) by GAIN."""
    return after > SURE and after - before > GAIN


def _word_lost(before: str, after: str, lexicon: Lexicon | None) -> bool:
    """Whether `after` gives up a dictionary word (`before`, _is_word) for no word. The recogniser reads some
    writers' M as "N1" or "177", H as "46" and "PS" as "175" with as much certainty as it reads a real pair as
    one mark ("MAPS" as "MA175", "THE" as "T46E")."""
    return _is_word(before, lexicon) and not _is_word(after, lexicon)


def _is_word(text: str, lexicon: Lexicon | None) -> bool:
    """Whether `text` is a dictionary word of KEPT_WORD letters or more."""
    return lexicon is not None and len(text) >= KEPT_WORD and lexicon.holds(text)
