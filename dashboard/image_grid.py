"""Small captioned images laid out by the browser: they wrap to the screen's width, so a phone gets
fewer a row at a readable size instead of a shrunken picture of the whole grid."""
from __future__ import annotations

import html

import numpy as np
import streamlit as st

from dashboard.figures import png_data_uri

CAPTION_PX = 12


def grid_html(images: np.ndarray, captions: list[str], colours: list[str] | None = None, width: int = 48,
              below: bool = False) -> str:
    """HTML for grayscale images (N, H, W) in [0, 1], each `width` CSS pixels wide (its pixels kept
    square and sharp) with its caption above it (or `below`); the captions are escaped."""
    h, w = images.shape[1:]
    height = round(width * h / w)
    cells = []
    for i, (image, caption) in enumerate(zip(images, captions)):
        text = (f'<figcaption style="font-size:{CAPTION_PX}px;line-height:1.3;white-space:nowrap;'
                f'min-height:1.3em;color:{colours[i] if colours else "#333"}">{html.escape(caption)}</figcaption>')
        img = (f'<img src="{png_data_uri(image)}" width="{width}" height="{height}" alt="{html.escape(caption)}" '
               'style="image-rendering:pixelated;border:1px solid #ddd;display:block">')
        cells.append(f'<figure style="margin:0;width:{width}px;text-align:center">'
                     f'{img + text if below else text + img}</figure>')
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px 12px">{"".join(cells)}</div>'


def image_grid(images: np.ndarray, captions: list[str], colours: list[str] | None = None, width: int = 48) -> None:
    st.html(grid_html(images, captions, colours, width))


def image_rows(rows: list[tuple[str, np.ndarray, list[str]]], width: int = 48) -> None:
    """Rows of equally many images, each titled above and each image captioned below (originals,
    reconstructions with their PSNR, differences): the same size and count in every row, so that on
    any screen they wrap alike and stay in columns."""
    st.html("".join(f'<div style="font-size:{CAPTION_PX}px;font-weight:600;margin:10px 0 2px">'
                    f'{html.escape(title)}</div>' + grid_html(images, captions, width=width, below=True)
                    for title, images, captions in rows))
