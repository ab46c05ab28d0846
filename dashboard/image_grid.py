"""Small captioned images laid out by the browser: they wrap to the screen's width, so a phone gets
fewer a row at a readable size instead of a shrunken picture of the whole grid."""
from __future__ import annotations

import base64
import html
import io

import numpy as np
import streamlit as st
from PIL import Image

CAPTION_PX = 12


def _png_uri(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def grid_html(images: np.ndarray, captions: list[str], colours: list[str] | None = None, width: int = 48) -> str:
    """HTML for grayscale images (N, H, W) in [0, 1], each `width` CSS pixels wide (its pixels kept
    square and sharp) under its caption; the captions are escaped."""
    h, w = images.shape[1:]
    height = round(width * h / w)
    cells = [f'<figure style="margin:0;width:{width}px;text-align:center">'
             f'<figcaption style="font-size:{CAPTION_PX}px;line-height:1.3;white-space:nowrap;'
             f'color:{colours[i] if colours else "#333"}">{html.escape(caption)}</figcaption>'
             f'<img src="{_png_uri(image)}" width="{width}" height="{height}" alt="{html.escape(caption)}" '
             'style="image-rendering:pixelated;border:1px solid #ddd"></figure>'
             for i, (image, caption) in enumerate(zip(images, captions))]
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px 12px">{"".join(cells)}</div>'


def image_grid(images: np.ndarray, captions: list[str], colours: list[str] | None = None, width: int = 48) -> None:
    st.html(grid_html(images, captions, colours, width))
