"""A scatter of labelled points drawn as inline SVG, for the Autoencoder page's code map.

Why not Plotly: the first Plotly chart on a page makes a new tab load and compile plotly.js (~3.5 MB),
which held that page's widgets about 1.5 s; a few thousand dots need no chart library. The SVG scales
to the screen's width; its legend and axis names are HTML beside it, so their text keeps its size on
a phone. The SVG goes in as an image (`st.html` strips inline `<svg>`), so its dots have no hover:
the classes that matter are the coloured ones, named in the legend.
"""
from __future__ import annotations

import base64
import html

import numpy as np
from plotly.colors import qualitative

PALETTE = qualitative.Bold + qualitative.Dark24
REST_COLOUR = "#cccccc"
WIDTH, HEIGHT, MARGIN = 600, 400, 8   # the SVG's own units; the browser scales it to the page


def _scaled(points: np.ndarray) -> np.ndarray:
    """(N, 2) points mapped into the drawing area, both axes with one scale (distances kept), y up."""
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 1e-12)
    scale = min((WIDTH - 2 * MARGIN) / span[0], (HEIGHT - 2 * MARGIN) / span[1])
    centre = (low + high) / 2
    x = WIDTH / 2 + (points[:, 0] - centre[0]) * scale
    y = HEIGHT / 2 - (points[:, 1] - centre[1]) * scale
    return np.column_stack([x, y])


def _group(xy: np.ndarray, colour: str, radius: float, outline: bool) -> str:
    stroke = ' stroke="white" stroke-width="0.6"' if outline else ""
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}"/>' for x, y in xy)
    return f'<g fill="{colour}"{stroke}>{dots}</g>'


def _legend(entries: list[tuple[str, str]]) -> str:
    chips = "".join(f'<span style="white-space:nowrap"><span style="display:inline-block;width:10px;height:10px;'
                    f'border-radius:50%;background:{colour};margin-right:4px"></span>{html.escape(name)}</span>'
                    for name, colour in entries)
    return f'<div style="display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;margin-bottom:4px">{chips}</div>'


def code_map_svg(points: np.ndarray, labels: np.ndarray, classes: list[str], highlight=()) -> str:
    """HTML for 2-D `points` (N, 2) of class indices `labels` (N,): the `highlight`ed classes in colour,
    one legend entry each, drawn over every other class in light grey."""
    xy = _scaled(np.asarray(points, dtype=np.float64))
    rest = ~np.isin(labels, list(highlight))
    colours = [PALETTE[k % len(PALETTE)] for k in range(len(highlight))]
    groups = [_group(xy[rest], REST_COLOUR, 1.6, False)]
    groups += [_group(xy[labels == c], colour, 3.2, True) for c, colour in zip(highlight, colours)]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}">'
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>{"".join(groups)}</svg>')
    names = [classes[c] for c in highlight]
    image = (f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode("ascii")}" '
             f'alt="{html.escape("Codes of " + ", ".join(names) + " among the other classes")}" '
             f'style="width:100%;max-width:{WIDTH * 3 // 2}px;border:1px solid #e6e6e6;display:block">')
    legend = _legend(list(zip(names, colours)) + ([("other classes", REST_COLOUR)] if rest.any() else []))
    axes = '<div style="font-size:12px;color:#555">across: component 1 · up: component 2</div>'
    return legend + image + axes
