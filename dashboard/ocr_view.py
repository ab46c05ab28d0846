"""Running the OCR reader for the OCR page, cached per photo, model and settings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from skimage.transform import resize

from dashboard.figures import DISPLAY_SIDE
from mlcore.ocr.reader import Character, read_page


@dataclass
class OcrView:
    """What the page shows: small enough to cache (no full-resolution arrays)."""
    text: str
    raw_text: str
    characters: list[Character]
    crops: np.ndarray
    photo: np.ndarray          # grayscale, at most DISPLAY_SIDE on its longest side
    photo_scale: float         # displayed pixels per original pixel
    skew: float
    char_height: float
    ink_threshold: float
    work_side: int


@st.cache_data(max_entries=6, show_spinner="Reading the page...")
def read_photo(data: bytes, model_path: str, _model, work_side: int, correct_words: bool, lexicon: bool) -> OcrView:
    """Read one photo (bytes). Raises ImageLoadError for anything that is not a usable image."""
    reading = read_page(data, _model.network, _model.classes, work_side=work_side, correct_words=correct_words,
                        lexicon=lexicon)
    # The working image is what the reader saw; shown at most DISPLAY_SIDE wide.
    gray = reading.ink.gray
    shrink = min(1.0, DISPLAY_SIDE / max(gray.shape))
    photo = resize(gray, (round(gray.shape[0] * shrink), round(gray.shape[1] * shrink)), anti_aliasing=True) \
        if shrink < 1 else gray
    return OcrView(reading.text, reading.raw_text, reading.characters, reading.crops, photo.astype(np.float32),
                   reading.scale * shrink, reading.skew, reading.char_height, reading.ink.threshold,
                   max(gray.shape))
