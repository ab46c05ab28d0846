"""Running the OCR reader for the OCR page, cached per photo, model and settings."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image
from skimage.transform import resize

from dashboard.data import dataset
from dashboard.figures import DISPLAY_SIDE, LABEL_ROOM, LOW_CONFIDENCE_COLOUR, page_with_boxes
from dashboard.image_grid import image_grid
from mlcore.data.classes import CLASSES
from mlcore.data.datasets import available_datasets, default_name
from mlcore.data.paths import data_dir, pages_dir
from mlcore.ocr.compose import SAMPLE_TEXTS, compose_page
from mlcore.ocr.image_io import PHOTO_TYPES
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


# Plotly figures have a fixed height, chosen for the photo filling the main column of a 1400 px wide
# screen with the sidebar open; a portrait page stops at MAX_HEIGHT rather than outgrowing the screen.
PAGE_WIDTH, MAX_HEIGHT = 940, 900


def show_page(view: OcrView, low_confidence: float, labelled: bool) -> None:
    """The photo with its boxes, as wide as the page. On a narrower screen the photo shrinks to the width
    and would leave a band below it: CSS trims the figure to the photo's height at the column's width
    (the container is a CSS size container, so 100cqw is that width)."""
    aspect = view.photo.shape[0] / view.photo.shape[1]
    st.html(f"<style>.st-key-ocr_photo {{container-type: inline-size}} .st-key-ocr_photo "
            f"[data-testid='stElementContainer'] {{max-height: calc(100cqw * {aspect:.5f} + {LABEL_ROOM}px); "
            "overflow: hidden}</style>")
    figure = page_with_boxes(view.photo, view.photo_scale, view.characters, low_confidence,
                             height=min(MAX_HEIGHT, round(PAGE_WIDTH * aspect)) + LABEL_ROOM, labelled=labelled)
    with st.container(key="ocr_photo"):
        st.plotly_chart(figure, width="stretch")


@dataclass(frozen=True)
class SamplePage:
    name: str
    data: bytes
    truth: str


def _photo_samples(folder: Path) -> list[SamplePage]:
    """The photographed sample pages in the data directory, with their text where it is recorded."""
    truths_file = folder / "ground_truth.json"
    truths = json.loads(truths_file.read_text()) if truths_file.is_file() else {}
    photos = sorted(p for p in folder.glob("*") if p.suffix.lower().lstrip(".") in PHOTO_TYPES)
    return [SamplePage(f"photo: {p.name}", p.read_bytes(), str(truths.get(p.name, ""))) for p in photos]


@st.cache_data(max_entries=2, show_spinner="Composing sample pages...")
def _composed_samples(name: str, root: str) -> list[SamplePage]:
    test = dataset(name).test   # characters no shipped network was trained on
    pages = []
    for seed, (title, text) in enumerate(SAMPLE_TEXTS.items()):
        buf = io.BytesIO()
        Image.fromarray(compose_page(text, test.X, test.y, CLASSES, seed)).save(buf, format="PNG")
        pages.append(SamplePage(f"composed of {name} test characters: {title}", buf.getvalue(), text))
    return pages


def sample_pages() -> list[SamplePage]:
    """Photos of pages when the data directory has them, then pages composed of test-split characters
    (real ones when there are any, else synthetic): Read a page always has something to read."""
    root = data_dir()
    name = default_name(available_datasets(root))
    return _photo_samples(pages_dir(root)) + _composed_samples(name, str(root))


def show_crops(view: OcrView, low_confidence: float) -> None:
    """The 32x32 inputs the network saw, in reading order, each captioned with its reading (in red
    when unsure)."""
    chars = view.characters
    image_grid(view.crops, [f"{c.label} {c.confidence:.0%}" for c in chars],
               [LOW_CONFIDENCE_COLOUR if c.confidence < low_confidence else "#333" for c in chars], width=44)
