"""Pages whose text is known exactly: drawn with a stroke font."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from mlcore.data.synthetic import StrokeStyle, render

PLAIN = StrokeStyle(slant=0, rotation=0, aspect=0, elastic=0, width=(5, 5))
THICK_PEN = StrokeStyle(slant=0, rotation=0, aspect=0, elastic=0, width=(4.5, 4.5))
CANVAS = 280   # the Draw page's canvas
CANVAS_FILL = 0.7   # a pen-drawn character's longest side, as a share of the canvas


def drawn_character(char: str, seed: int = 0) -> np.ndarray:
    """`char` drawn with a thick pen on the Draw page's 280x280 canvas: ink 1, paper 0 (strokes about 18 px)."""
    ink = np.kron(render(char, "futural", np.random.default_rng(seed), THICK_PEN), np.ones((4, 4)))
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    canvas[12:12 + ink.shape[0], 12:12 + ink.shape[1]] = ink
    return canvas


def as_canvas_pixels(ink: np.ndarray) -> np.ndarray:
    """What streamlit-drawable-canvas returns for black strokes on its white background: RGBA uint8, opaque."""
    rgb = np.round(255 * (1 - ink)).astype(np.uint8)
    return np.dstack([rgb, rgb, rgb, np.full_like(rgb, 255)])


def pen_drawing(strokes: list[list[list[float]]], pen: int) -> np.ndarray:
    """Pen trajectories (a Chars74K sample) as the canvas returns a mouse drawing: round pen `pen` pixels
    wide, black on opaque white, the character's longest side CANVAS_FILL of the canvas."""
    pts = np.concatenate([np.asarray(s, dtype=float) for s in strokes])
    lo, span = pts.min(axis=0), max(float(np.ptp(pts, axis=0).max()), 1.0)
    scale = CANVAS * CANVAS_FILL / span
    offset = (CANVAS - np.ptp(pts, axis=0) * scale) / 2
    image = Image.new("RGBA", (CANVAS, CANVAS), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        xy = [tuple(p) for p in (np.asarray(stroke, dtype=float) - lo) * scale + offset]
        if len(xy) > 1:
            draw.line(xy, fill=(0, 0, 0, 255), width=pen, joint="curve")
        for x, y in (xy[0], xy[-1]):   # round caps, as the canvas's pen has
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=(0, 0, 0, 255))
    return np.asarray(image)


PAPER = 0.92   # written_page's paper; its ink is 0.85 darker


def written_page(text: str, letter_gap=10, word_gap=60, line_gap=40, seed=0) -> np.ndarray:
    """A white page with `text` drawn in a stroke font: a page whose truth is known exactly."""
    rng = np.random.default_rng(seed)
    lines = text.split("\n")
    page = np.full((len(lines) * (64 + line_gap) + 2 * line_gap, 1400), PAPER, np.float32)
    y = line_gap
    for line in lines:
        x = 40
        for word in line.split(" "):
            for ch in word:
                ink = render(ch, "futural", rng, PLAIN)
                cols = np.flatnonzero(ink.max(0) > 0.5)
                ink = ink[:, cols[0]:cols[-1] + 1]
                page[y:y + 64, x:x + ink.shape[1]] -= 0.85 * ink
                x += ink.shape[1] + letter_gap
            x += word_gap - letter_gap
        y += 64 + line_gap
    return np.clip(page, 0, 1)
