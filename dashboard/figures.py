"""Plotly figures for the pages. Pure functions: data in, figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

LINE_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22"]
LOW_CONFIDENCE_COLOUR = "#d62728"
DISPLAY_SIDE = 1400  # photos are shown downsampled: the browser needs no 12-megapixel image


def _gray_figure(gray: np.ndarray, height: int) -> go.Figure:
    img = (np.clip(gray, 0, 1) * 255).astype(np.uint8)
    fig = go.Figure(go.Image(z=np.dstack([img] * 3), hoverinfo="skip"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), dragmode="zoom")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def page_with_boxes(photo: np.ndarray, scale: float, characters, low_confidence: float,
                    height: int = 650) -> go.Figure:
    """The photo (shown at `scale` of the original) with every character's box, coloured by
    line and labelled with its prediction; characters below `low_confidence` in red, dashed.
    """
    fig = _gray_figure(photo, height)
    for c in characters:
        low = c.confidence < low_confidence
        colour = LOW_CONFIDENCE_COLOUR if low else LINE_COLOURS[c.line % len(LINE_COLOURS)]
        xs = [x * scale for x, _ in c.corners] + [c.corners[0][0] * scale]
        ys = [y * scale for _, y in c.corners] + [c.corners[0][1] * scale]
        top3 = ", ".join(f"{label} {p:.0%}" for label, p in c.top)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", line=dict(color=colour, width=2, dash="dash" if low else "solid"),
            hovertemplate=f"<b>{c.label}</b> ({c.confidence:.0%})<br>line {c.line + 1}, word {c.word + 1}"
                          f"<br>top 3: {top3}<extra></extra>", showlegend=False))
        fig.add_annotation(x=min(xs), y=min(ys), text=f"<b>{c.label}</b>", showarrow=False, yshift=10, xanchor="left",
                           font=dict(color="white", size=13), bgcolor=colour, borderpad=1)
    return fig


def crop_mosaic(crops: np.ndarray, labels: list[str], confidences: list[float], low_confidence: float,
                per_row: int = 16) -> go.Figure:
    """The 32x32 inputs the network saw, in reading order, each captioned with its prediction."""
    n = len(crops)
    rows = max(1, int(np.ceil(n / per_row)))
    tile = 34
    mosaic = np.ones((rows * (tile + 14), per_row * tile))
    for i, crop in enumerate(crops):
        r, c = divmod(i, per_row)
        mosaic[r * (tile + 14) + 14: r * (tile + 14) + 14 + 32, c * tile: c * tile + 32] = crop
    img = (mosaic * 255).astype(np.uint8)
    fig = go.Figure(go.Image(z=np.dstack([img] * 3), hoverinfo="skip"))
    for i, (label, p) in enumerate(zip(labels, confidences)):
        r, c = divmod(i, per_row)
        fig.add_annotation(x=c * tile + 16, y=r * (tile + 14) + 6, text=f"{label} {p:.0%}", showarrow=False,
                           font=dict(size=10, color=LOW_CONFIDENCE_COLOUR if p < low_confidence else "#333"))
    fig.update_layout(height=max(120, rows * 70), margin=dict(l=0, r=0, t=0, b=0))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig
