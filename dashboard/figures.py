"""Plotly figures for the pages. Pure functions: data in, figure out."""
from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

LINE_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22"]
LOW_CONFIDENCE_COLOUR = "#d62728"
DISPLAY_SIDE = 1400  # photos are shown downsampled: the browser needs no 12-megapixel image
LABEL_ROOM = 18      # pixels above a page's photo for the labels of its first line


def png_data_uri(gray: np.ndarray) -> str:
    """A grayscale image (0 black .. 1 white) as a PNG data URI: a few kB where the pixels as numbers
    (go.Image's z) are a megabyte of JSON to send and for the browser to draw."""
    png = io.BytesIO()
    Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8)).save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def _gray_figure(gray: np.ndarray, height: int, top: int = 0) -> go.Figure:
    fig = go.Figure(go.Image(source=png_data_uri(gray), hoverinfo="skip"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=top, b=0), dragmode="zoom")
    # The photo's own extent: left to autorange, the axes would also make room for every label.
    fig.update_xaxes(visible=False, range=[-0.5, gray.shape[1] - 0.5])
    # Top-aligned: on a screen narrower than `height` assumed, the unused band is at the bottom.
    fig.update_yaxes(visible=False, scaleanchor="x", constraintoward="top", range=[gray.shape[0] - 0.5, -0.5])
    return fig


def page_with_boxes(photo: np.ndarray, scale: float, characters, low_confidence: float,
                    height: int = 650, labelled: bool = True) -> go.Figure:
    """The photo (shown at `scale` of the original) with every character's box, coloured by
    line and, if `labelled`, its prediction just above the box (never on its ink); characters
    below `low_confidence` in red, dashed.
    """
    fig, labels = _gray_figure(photo, height, top=LABEL_ROOM), []
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
        if labelled:
            labels.append(dict(x=min(xs), y=min(ys), text=f"<b>{c.label}</b>", showarrow=False, xanchor="left",
                               yanchor="bottom", yshift=1, font=dict(color="white", size=12), bgcolor=colour,
                               borderpad=0))
    # All at once: fig.add_annotation re-validates every earlier annotation, quadratic in their number.
    fig.update_layout(annotations=labels)
    return fig


RUN_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2"]


def learning_curves(histories: dict[str, dict[str, list]], height: int = 330,
                    loss_name: str = "mean cross-entropy") -> go.Figure:
    """Loss and accuracy per epoch, train (dashed) and valid (solid), one colour per run.
    Runs without accuracy (an autoencoder's) get the loss alone."""
    from plotly.subplots import make_subplots

    with_accuracy = any(v is not None for h in histories.values() for v in h.get("valid_acc") or [])
    fig = make_subplots(rows=1, cols=2 if with_accuracy else 1,
                        subplot_titles=(f"Loss ({loss_name})", "Accuracy")[:2 if with_accuracy else 1])
    for k, (name, h) in enumerate(histories.items()):
        colour = RUN_COLOURS[k % len(RUN_COLOURS)]
        for col, (train_key, valid_key) in enumerate((("train_loss", "valid_loss"), ("train_acc", "valid_acc")), 1):
            for key, dash, label in ((train_key, "dash", "train"), (valid_key, "solid", "valid")):
                values = h.get(key) or []
                if not any(v is not None for v in values):
                    continue
                fig.add_trace(go.Scatter(x=h["epoch"], y=values, mode="lines+markers", name=f"{name} {label}".strip(),
                                         line=dict(color=colour, dash=dash), marker=dict(size=4),
                                         legendgroup=name, showlegend=col == 1), row=1, col=col)
    longest = max((len(h["epoch"]) for h in histories.values()), default=1)
    # Whole epochs only (plotly would tick 1.2, 1.4 on a short run), at most about ten of them.
    fig.update_xaxes(title_text="epoch", tick0=1, dtick=max(1, int(np.ceil(longest / 10))))
    if with_accuracy:
        fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


MAX_UNITS = 128   # first-layer units drawn: a 1024-unit layer would be a wall of noise


def _weight_images(W: np.ndarray, kind: str) -> np.ndarray:
    """First-layer weights (n_in, n_units) as images (n_units, H, W), as they are: each hidden unit's
    1024 weights as 32x32 (MLP), or each convolution kernel (CNN)."""
    if kind == "dense":
        imgs = W.T.reshape(-1, 32, 32).transpose(0, 2, 1)  # column-major rows, as the inputs
    else:
        k = int(round(np.sqrt(W.shape[0])))
        imgs = W.T.reshape(-1, k, k)
    return imgs[:MAX_UNITS]


def weight_grids(before: np.ndarray, after: np.ndarray, kind: str) -> list[np.ndarray]:
    """The first layer before training, after, and the change, as images in [0, 1]. Before and
    after share each unit's grey scale (its range over both), so that a kernel that moved looks
    different; the change is on one scale for every unit, mid-grey where nothing changed, lighter
    where a weight grew."""
    b, a = _weight_images(before, kind), _weight_images(after, kind)
    lo = np.minimum(b.min(axis=(1, 2), keepdims=True), a.min(axis=(1, 2), keepdims=True))
    span = np.maximum(np.maximum(b.max(axis=(1, 2), keepdims=True), a.max(axis=(1, 2), keepdims=True)) - lo, 1e-12)
    change = a - b
    # The change scaled to its 99th percentile, not its maximum: one outlier would grey out the rest.
    reach = max(float(np.percentile(np.abs(change), 99)), 1e-12)
    return [(b - lo) / span, (a - lo) / span, np.clip(0.5 + change / (2 * reach), 0.0, 1.0)]


def confusion_heatmap(cm: np.ndarray, classes, height: int = 560) -> go.Figure:
    """Rows: true class, columns: predicted, as each row's share (counts on hover)."""
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(z=share, x=list(classes), y=list(classes), colorscale="Blues", zmin=0, zmax=1,
                               customdata=cm, hovertemplate="true %{y}, predicted %{x}: %{customdata} "
                                                             "(%{z:.0%})<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="predicted",
                      yaxis_title="true")
    # Every class named, not every other one; cells not held square, so that on a phone the 36 rows
    # keep the height their labels need while the columns narrow.
    fig.update_traces(colorbar=dict(thickness=10, tickformat=".0%"))
    fig.update_xaxes(dtick=1, tickfont=dict(size=11), tickangle=0)
    fig.update_yaxes(autorange="reversed", dtick=1, tickfont=dict(size=11))
    return fig

