"""The OCR pipeline end to end: photo -> ink -> layout -> crops -> classes -> text."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from mlcore.ocr.counting import Reader, recount_words
from mlcore.ocr.crops import crops_to_rows
from mlcore.ocr.image_io import ImageLoadError, load_photo
from mlcore.ocr.layout import Box, Layout, layout
from mlcore.ocr.page import (
    MIN_DESKEW,
    MIN_INK_CONTRAST,
    WORK_SIDE,
    InkMap,
    deskew,
    ink_map,
    peak_contrast,
    threshold_ink,
)
from mlcore.ocr.postprocess import Lexicon, consistent_words, english_lexicon
from mlcore.ocr.segment import Chooser, split_touching
from mlcore.ocr.verifier import load_verifier
from mlcore.ocr.word_reading import WordFrames, fused, read_words, word_spans
from mlcore.ocr.words import load_word_cnn

TOP_K = 3
# A dense handwritten page holds several hundred characters. Thousands of marks mean noise or a
# texture, whose reading would hold a shared server's core for minutes and say nothing.
MAX_CHARACTERS = 1500
# Writing too faint for the ink floor (pencil on grey paper) is read again with a floor of half its strongest
# marks (page.ink_map's faint); that reading is kept only if it reads as writing does. Textures that faint
# passes (tests/bad_images.py's fibres and grain, 20% darker than the paper, seeds 3-5) read unsure, the median
# character's most probable class at 0.63-0.78, and as one or two shapes again and again ("1111 4", 44-66% one
# label); writing at medians of 0.89-1.00 (lowest: bench/ocr_conditions.py's 20 px pencil page 32 of the
# validation split, every letter, 0.894), its commonest character 3-27% of them. Judged by the class the word
# rule settles on instead, and with 0.9, that page and the test split's page 34 (numbers and postcodes: 0.87 so
# judged, 0.93 by shape) read nothing at all.
WRITING_CONFIDENCE = 0.85  # the median character's probability of its most probable class, at least
WRITING_SAME = 0.5         # the share of the characters one label may have, at most


@dataclass
class Character:
    box: tuple[int, int, int, int]        # top, left, bottom, right in the original photo's pixels
    corners: list[tuple[float, float]]    # the (x, y) corners of the (deskewed) box in the photo
    line: int
    word: int                             # index of the word within its line
    label: str
    confidence: float                     # probability of `label`, by the classifier alone
    top: list[tuple[str, float]]          # the TOP_K most probable classes by the classifier alone


@dataclass
class PageReading:
    text: str
    characters: list[Character]
    raw_text: str                          # the same, as the classifier alone reads it (no word recogniser or rule)
    skew: float
    char_height: float                     # in the original photo's pixels
    scale: float                           # working-image pixels per original-photo pixel
    crops: np.ndarray                      # (n, 32, 32) upright, as the network saw them
    ink: InkMap
    layout: Layout                         # in the deskewed working image
    deskewed_ink: np.ndarray               # the soft ink map the layout was found in

    def to_dict(self) -> dict:
        return {"text": self.text, "raw_text": self.raw_text, "skew_degrees": self.skew,
                "char_height": self.char_height, "characters": [asdict(c) for c in self.characters]}


def _compose(lines: list[list[str]], breaks: list[list[bool]]) -> str:
    return "\n".join("".join((" " if br else "") + ch for ch, br in zip(chars, brk))
                     for chars, brk in zip(lines, breaks))


def _straightened(ink: InkMap) -> tuple[Layout, np.ndarray, np.ndarray, float]:
    """The page's layout after deskewing: the layout, the straightened ink (H, W), the 3x3 map from its
    pixels back to the working image's, and the angle turned."""
    lay = layout(ink.mask)
    skew, ink_image, to_work = 0.0, ink.ink, np.eye(3)
    for _ in range(2):
        if abs(lay.skew) < MIN_DESKEW:
            break
        # Straighten the page so that characters reach the classifier upright;
        # the second look corrects what the first estimate left over.
        skew += lay.skew
        ink_image, to_work = deskew(ink.ink, skew)
        lay = layout(threshold_ink(ink_image, ink.threshold))
    return lay, ink_image, to_work, skew


def _word_indices(word_breaks: list[list[bool]]) -> tuple[list[list[int]], list[int], list[int]]:
    """The character indices of every word, and each character's line and word number (within its line)."""
    words, line_of, word_of = [], [], []
    for li, brk in enumerate(word_breaks):
        w = -1
        for k, is_break in enumerate(brk):
            if k == 0 or is_break:
                w += 1
                words.append([])
            words[-1].append(len(line_of))
            line_of.append(li)
            word_of.append(w)
    return words, line_of, word_of


def _dictionary_choice(network, ink_image: np.ndarray, labels: np.ndarray, lexicon: Lexicon) -> Chooser:
    """segment.split_touching's `choose`: each box of a word's readings read once, however many readings
    hold it, and the reading the dictionary prefers (Lexicon.choose): touching "OVER" is read "OVER", not
    "WER"."""
    def choose(readings: list[list[Box]]) -> int:
        boxes = list({id(box): box for reading in readings for box in reading}.values())
        rows, _ = crops_to_rows(ink_image, labels, boxes)
        read = dict(zip([id(box) for box in boxes], network.predict_proba(rows)))
        return lexicon.choose([np.array([read[id(box)] for box in reading]) for reading in readings])
    return choose


def _labels(probs: np.ndarray, words, classes, correct_words: bool, lexicon: bool) -> np.ndarray:
    """Each character's class index (N,) from its class probabilities `probs` (N, classes) and the word rules."""
    if not len(probs):
        return np.zeros(0, int)
    pred = consistent_words(probs, words) if correct_words else probs.argmax(axis=1)
    if correct_words and lexicon:
        english = english_lexicon(classes)
        pred = english.reread_nonwords(probs, words, english.correct(probs, words, pred))
    return pred


def _word_reader(network, ink_image: np.ndarray, labels: np.ndarray, classes, correct_words: bool,
                 lexicon: bool) -> Reader:
    """How the page reads one word from its boxes, with each of some readings of it by the word recogniser
    (counting.recount_words' `read`): each box classified once, then read as the page reads its words
    (_read_with, _labels), so that a recount's reading is the page's."""
    def read(boxes: list[Box], frames: list[WordFrames]) -> list[str]:
        rows, _ = crops_to_rows(ink_image, labels, boxes)
        probs, word = network.predict_proba(rows), [list(range(len(boxes)))]
        return ["".join(classes[k] for k in _labels(_read_with(probs, classes, word, [f], boxes), word, classes,
                                                    correct_words, lexicon)) for f in frames]
    return read


def _read_with(probs: np.ndarray, classes, words: list[list[int]], frames: list[WordFrames | None],
               boxes: list[Box]) -> np.ndarray:
    """The page's class probabilities (characters, `classes`), each word's marks read by the classifier (`probs`)
    and the word recogniser (`frames`, one per word; empty when it was not run) together."""
    out = probs.copy()
    for word, read in zip(words, frames or [None] * len(words), strict=True):
        out[word] = fused(probs[word], classes, read, [boxes[i] for i in word])
    return out


def _character(box, to_photo: np.ndarray, p: np.ndarray, label: int, classes, line: int, word: int) -> Character:
    """One reading in the photo's pixels: `box` mapped by the 3x3 `to_photo`, `p` its class probabilities."""
    corners = to_photo @ np.array([[box.left, box.right, box.right, box.left],
                                   [box.top, box.top, box.bottom, box.bottom], [1, 1, 1, 1]], dtype=float)
    xs, ys = corners[0], corners[1]
    return Character(box=(int(ys.min()), int(xs.min()), int(np.ceil(ys.max())), int(np.ceil(xs.max()))),
                     corners=[(round(float(x), 1), round(float(y), 1)) for x, y in zip(xs, ys)],
                     line=line, word=word, label=classes[label], confidence=float(p[label]),
                     top=[(classes[j], float(p[j])) for j in np.argsort(-p)[:TOP_K]])


def read_page(image: np.ndarray | str | Path | bytes, network, classes, work_side: int = WORK_SIDE,
              correct_words: bool = True, lexicon: bool = True, verify_cuts: bool = True) -> PageReading:
    """Read a photographed page of handwritten capitals and digits.

    correct_words reads each word's letters and digits together; lexicon (with it) lets a word that reads
    almost like an English word become that word, and a word whose touching letters may be parted several
    ways be read the way that makes a dictionary word (_dictionary_choice). verify_cuts weighs where
    touching characters are parted by the shipped verifier (mlcore.ocr.verifier) as well as the classifier,
    and joins the marks of characters broken apart (only where the verifier doubts a mark is whole); it also
    has the word recogniser (mlcore.ocr.words) read each word whole, to count its characters
    (mlcore.ocr.counting) and to read each mark with the classifier (mlcore.ocr.word_reading.fused).
    A page whose strongest marks are under twice the ink floor is read a second time with the floor of
    faint writing, and that reading kept if it reads as writing (_faint_reading) and is surer (_surer).
    """
    gray, loaded_scale = (image, 1.0) if isinstance(image, np.ndarray) else load_photo(image, work_side)
    ink = ink_map(gray, work_side)
    options = dict(loaded_scale=loaded_scale, correct_words=correct_words, lexicon=lexicon, verify_cuts=verify_cuts)
    reading = read_ink(ink, network, classes, **options)
    if peak_contrast(ink) >= 2 * MIN_INK_CONTRAST:
        return reading
    faint = _faint_reading(ink_map(gray, work_side, faint=True), network, classes, options)
    return faint if faint is not None and _surer(faint, reading) else reading


def _sureness(character: Character) -> float:
    """How sure the network is of a character's shape: its most probable class's probability. Not that of the
    class the word rule and the dictionary settle on: a 0 read in "0N" and made the O of "ON" is as surely
    writing, though the O's own probability was 0.12."""
    return character.top[0][1]


def _surer(faint: PageReading, first: PageReading) -> bool:
    """Whether the faint reading is sure of more of the page (its characters' _sureness summed), and
    either as sure of each character on average, or, when the first reading is no writing itself (a speck
    or two read as a "1", surely: the mean alone would keep it over a page), what it adds reads as writing
    (_added). Faint clutter beside writing the first reading read (show-through from a sheet's back, a
    stray tick, fibres) rides past the test of the whole reading on that writing, and the sum rewards it;
    only the mean keeps it out, and so only the mean judges beside a first reading of writing."""
    sure, first_sure = ([_sureness(c) for c in r.characters] for r in (faint, first))
    if sum(sure) <= sum(first_sure):
        return False
    if not first_sure or np.mean(sure) >= np.mean(first_sure):
        return True
    if _is_writing(first.characters):
        return False
    added = _added(faint.characters, first.characters)
    return bool(added) and _reads_as_writing(added)


def _added(characters: list[Character], before: list[Character]) -> list[Character]:
    """The characters whose box centre lies in no box of `before` (boxes in the same photo's pixels)."""
    top, left, bottom, right = np.array([c.box for c in before], dtype=float).reshape(-1, 4).T
    boxes = np.array([c.box for c in characters], dtype=float).reshape(-1, 4)
    y, x = ((boxes[:, 0] + boxes[:, 2]) / 2)[:, None], ((boxes[:, 1] + boxes[:, 3]) / 2)[:, None]
    inside = (top <= y) & (y <= bottom) & (left <= x) & (x <= right)     # (characters, before)
    return [c for c, found in zip(characters, inside.any(axis=1)) if not found]


def _reads_as_writing(characters: list[Character]) -> bool:
    """Read as surely as writing (_sureness, WRITING_CONFIDENCE), not one shape again and again (WRITING_SAME;
    one character alone is no repetition). No characters are no writing."""
    if not characters:
        return False
    # Repetition is counted in the labels the word rule settled on: a texture's strokes read 1 and I by turns
    # are one shape, which their most probable classes would split in two. (A token read as letters that make
    # no word may still mix them, Lexicon.reread_nonwords; the textures tried are refused by sureness first.)
    _, same = np.unique([c.label for c in characters], return_counts=True)
    return bool(np.median([_sureness(c) for c in characters]) >= WRITING_CONFIDENCE
                and same.max() <= max(1.0, WRITING_SAME * same.sum()))


def _is_writing(characters: list[Character]) -> bool:
    """Two characters or more that read as writing (_reads_as_writing): a reading of a page, not a speck."""
    return len(characters) >= 2 and _reads_as_writing(characters)


def _faint_reading(ink: InkMap, network, classes, options: dict) -> PageReading | None:
    """The reading of a faint page's ink, if it is writing (_is_writing)."""
    if not ink.mask.any():
        return None
    try:
        reading = read_ink(ink, network, classes, **options)
    except ImageLoadError:   # thousands of marks: a texture
        return None
    return reading if _is_writing(reading.characters) else None


def read_ink(ink: InkMap, network, classes, loaded_scale: float = 1.0, correct_words: bool = True,
             lexicon: bool = True, verify_cuts: bool = True) -> PageReading:
    """read_page from the ink map on: `loaded_scale` is the loaded photo's pixels per original pixel."""
    lay, ink_image, to_work, skew = _straightened(ink)
    marks = sum(len(line) for line in lay.lines)
    if marks > MAX_CHARACTERS:
        raise ImageLoadError(f"this photo holds {marks} separate marks, more than the {MAX_CHARACTERS} "
                             "characters a handwritten page has: is it a photo of a written page?")
    english = english_lexicon(classes) if correct_words and lexicon else None
    choose = _dictionary_choice(network, ink_image, lay.labels, english) if english is not None else None
    verifier = load_verifier() if verify_cuts else None
    lines, breaks = split_touching(lay.lines, lay.word_breaks, ink_image, lay.labels, lay.char_height, network,
                                   verifier, choose)
    frames: list[WordFrames | None] = []
    if verify_cuts:
        frames = read_words([lines[li][a:b] for li, a, b in word_spans(breaks)], ink_image, lay.labels,
                            lay.char_height, load_word_cnn())
        read = _word_reader(network, ink_image, lay.labels, classes, correct_words, lexicon)
        lines, breaks, frames = recount_words(lines, breaks, frames, ink_image, lay.labels, lay.char_height,
                                              network, verifier, read, english)
    lay = replace(lay, lines=lines, word_breaks=breaks)
    boxes = [b for line in lay.lines for b in line]
    rows, crops = crops_to_rows(ink_image, lay.labels, boxes)
    probs = network.predict_proba(rows) if len(rows) else np.zeros((0, len(classes)))
    words, line_of, word_of = _word_indices(lay.word_breaks)
    pred = _labels(_read_with(probs, classes, words, frames, boxes), words, classes, correct_words, lexicon)
    raw = probs.argmax(axis=1)     # the classifier alone, as each Character's probabilities are
    scale = ink.scale * loaded_scale  # working pixels per pixel of the original photo
    to_photo = np.diag([1 / scale, 1 / scale, 1.0]) @ to_work
    chars = [_character(b, to_photo, probs[i], pred[i], classes, line_of[i], word_of[i]) for i, b in enumerate(boxes)]

    def text_of(labels):
        it = iter(labels)
        return _compose([[classes[next(it)] for _ in line] for line in lay.lines], lay.word_breaks)

    return PageReading(text_of(pred), chars, text_of(raw), skew, lay.char_height / scale, scale, crops, ink, lay,
                       ink_image)
