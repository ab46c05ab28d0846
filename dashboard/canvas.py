"""The drawing canvas, from streamlit-drawable-canvas, loaded so that the Draw page works without it.

Version 0.13 (Streamlit components v2, so Streamlit >= 1.53): it draws in the page
itself rather than in an iframe, and both `streamlit run` in Chromium (strokes
drawn with the mouse arrive as pixels) and AppTest (no pixels, no error) work with it.
Registering its frontend needs a running Streamlit: a bare `import` raises.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

try:
    from streamlit_drawable_canvas import st_canvas
    CANVAS_ERROR = None
except Exception as exc:  # not installed, or a version whose frontend cannot be registered here
    st_canvas, CANVAS_ERROR = None, exc

SIZE = 280   # canvas pixels: ten times the input, room for a comfortable stroke
TOOLBAR_ROOM = 24   # pixels: the canvas's toolbar floats this far above it, over whatever comes before


def drawing(stroke_width: int, key: str = "draw_canvas") -> np.ndarray | None:
    """A square canvas; returns its pixels (H, W, 4) uint8, or None until something is drawn.
    Without the component, says so and returns None."""
    if st_canvas is None:
        st.warning(f"The drawing canvas is not available ({CANVAS_ERROR}). Install `streamlit-drawable-canvas` "
                   "(see requirements.txt), or upload a picture of a character instead.")
        return None
    st.space(TOOLBAR_ROOM)
    result = st_canvas(stroke_width=stroke_width, stroke_color="#000000", background_color="#FFFFFF",
                       width=SIZE, height=SIZE, drawing_mode="freedraw", return_image_data=True, key=key)
    return result.image_data
