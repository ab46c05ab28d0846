"""The OCR pipeline end to end: photo -> ink -> layout -> crops -> classes -> text."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mlcore.ocr.crops import crops_to_rows
from mlcore.ocr.image_io import ImageLoadError, load_photo
from mlcore.ocr.layout import Layout, layout
from mlcore.ocr.page import MIN_DESKEW, WORK_SIDE, InkMap, deskew, ink_map, threshold_ink
from mlcore.ocr.postprocess import consistent_words, english_lexicon

TOP_K = 3
# A dense handwritten page holds several hundred characters. Thousands of marks mean noise or a
# texture, whose reading would hold a shared server's core for minutes and say nothing.
MAX_CHARACTERS = 1500


@dataclass
class Character:
    box: tuple[int, int, int, int]        # top, left, bottom, right in the original photo's pixels
    corners: list[tuple[float, float]]    # the (x, y) corners of the (deskewed) box in the photo
    line: int
    word: int                             # index of the word within its line
    label: str
    confidence: float                     # probability of `label`
    top: list[tuple[str, float]]          # the TOP_K most probable classes, before word correction


@dataclass
class PageReading:
    text: str
    characters: list[Character]
    raw_text: str                          # the same, without word-level correction
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


def read_page(image: np.ndarray | str | Path | bytes, network, classes, work_side: int = WORK_SIDE,
              correct_words: bool = True, lexicon: bool = True) -> PageReading:
    """Read a photographed page of handwritten capitals and digits.

    correct_words reads each word's letters and digits together; lexicon (with it)
    lets a word that reads almost like an English word become that word.
    """
    gray, loaded_scale = (image, 1.0) if isinstance(image, np.ndarray) else load_photo(image, work_side)
    ink = ink_map(gray, work_side)
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
    boxes = [b for line in lay.lines for b in line]
    if len(boxes) > MAX_CHARACTERS:
        raise ImageLoadError(f"this photo holds {len(boxes)} separate marks, more than the {MAX_CHARACTERS} "
                             "characters a handwritten page has: is it a photo of a written page?")
    rows, crops = crops_to_rows(ink_image, lay.labels, boxes)
    probs = network.predict_proba(rows) if len(rows) else np.zeros((0, len(classes)))

    # The characters of every word, and each character's line and word number.
    words, line_of, word_of = [], [], []
    for li, brk in enumerate(lay.word_breaks):
        w = -1
        for k, is_break in enumerate(brk):
            if k == 0 or is_break:
                w += 1
                words.append([])
            words[-1].append(len(line_of))
            line_of.append(li)
            word_of.append(w)
    raw = probs.argmax(axis=1) if len(probs) else np.zeros(0, int)
    pred = consistent_words(probs, words) if correct_words and len(probs) else raw
    if correct_words and lexicon and len(probs):
        pred = english_lexicon(classes).correct(probs, words, pred)

    scale = ink.scale * loaded_scale  # working pixels per pixel of the original photo
    to_photo = np.diag([1 / scale, 1 / scale, 1.0]) @ to_work
    chars = []
    for i, b in enumerate(boxes):
        order = np.argsort(-probs[i])[:TOP_K]
        corners = to_photo @ np.array([[b.left, b.right, b.right, b.left], [b.top, b.top, b.bottom, b.bottom],
                                       [1, 1, 1, 1]], dtype=float)
        xs, ys = corners[0], corners[1]
        chars.append(Character(
            box=(int(ys.min()), int(xs.min()), int(np.ceil(ys.max())), int(np.ceil(xs.max()))),
            corners=[(round(float(x), 1), round(float(y), 1)) for x, y in zip(xs, ys)],
            line=line_of[i], word=word_of[i], label=classes[pred[i]], confidence=float(probs[i, pred[i]]),
            top=[(classes[j], float(probs[i, j])) for j in order]))

    def text_of(labels):
        it = iter(labels)
        return _compose([[classes[next(it)] for _ in line] for line in lay.lines], lay.word_breaks)

    return PageReading(text_of(pred), chars, text_of(raw), skew, lay.char_height / scale, scale, crops, ink, lay,
                       ink_image)
