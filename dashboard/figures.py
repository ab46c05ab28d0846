"""Plotly figures for the pages. Pure functions: data in, figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

LINE_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22"]
LOW_CONFIDENCE_COLOUR = "#d62728"
DISPLAY_SIDE = 1400  # photos are shown downsampled: the browser needs no 12-megapixel image
LABEL_ROOM = 18      # pixels above a page's photo for the labels of its first line


def _gray_figure(gray: np.ndarray, height: int, top: int = 0) -> go.Figure:
    img = (np.clip(gray, 0, 1) * 255).astype(np.uint8)
    fig = go.Figure(go.Image(z=np.dstack([img] * 3), hoverinfo="skip"))
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
    fig = _gray_figure(photo, height, top=LABEL_ROOM)
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
            fig.add_annotation(x=min(xs), y=min(ys), text=f"<b>{c.label}</b>", showarrow=False, xanchor="left",
                               yanchor="bottom", yshift=1, font=dict(color="white", size=12), bgcolor=colour,
                               borderpad=0)
    return fig


def _tile_figure(cells, n_rows: int, n_cols: int, size: tuple[int, int], captions_below: bool = False,
                 row_titles: list[str] | None = None, height_per_row: int = 70) -> go.Figure:
    """One image holding a grid of small grayscale images, each cell (row, col, image, caption, colour)
    captioned above it (or below), with optional titles left of the rows."""
    h, w = size
    band, margin = 14, (70 if row_titles else 0)
    cell_w, cell_h = w + 2, h + band
    mosaic = np.ones((n_rows * cell_h, margin + n_cols * cell_w))
    img_top = 0 if captions_below else band
    for r, c, img, _, _ in cells:
        top, left = r * cell_h + img_top, margin + c * cell_w
        mosaic[top:top + h, left:left + w] = img
    z = (np.clip(mosaic, 0, 1) * 255).astype(np.uint8)
    fig = go.Figure(go.Image(z=np.dstack([z] * 3), hoverinfo="skip"))
    for r, c, _, caption, colour in cells:
        y = r * cell_h + (h + band / 2 if captions_below else band / 2 - 1)
        fig.add_annotation(x=margin + c * cell_w + w / 2, y=y, text=caption, showarrow=False,
                           font=dict(size=10, color=colour or "#333"))
    for r, title in enumerate(row_titles or []):
        fig.add_annotation(x=margin - 4, y=r * cell_h + img_top + h / 2, text=title, showarrow=False,
                           xanchor="right", font=dict(size=11, color="#333"))
    fig.update_layout(height=max(120, n_rows * height_per_row), margin=dict(l=0, r=0, t=0, b=0))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def image_mosaic(images: np.ndarray, captions: list[str], colours: list[str] | None = None,
                 per_row: int = 16, height_per_row: int = 70) -> go.Figure:
    """Small grayscale images (N, H, W) in a grid, each with a caption above it."""
    size = images.shape[1:] if len(images) else (32, 32)
    cells = [(*divmod(i, per_row), img, captions[i], colours[i] if colours else None)
             for i, img in enumerate(images)]
    n_rows = max(1, int(np.ceil(len(images) / per_row)))
    return _tile_figure(cells, n_rows, per_row, size, height_per_row=height_per_row)


def image_rows(rows: list[tuple[str, np.ndarray, list[str]]], height_per_row: int = 100) -> go.Figure:
    """Rows of equally many images, each row titled on the left and each image captioned below:
    e.g. originals, reconstructions (with their PSNR) and differences."""
    cells = [(r, c, img, captions[c], None) for r, (_, images, captions) in enumerate(rows)
             for c, img in enumerate(images)]
    n_cols = max(len(images) for _, images, _ in rows)
    return _tile_figure(cells, len(rows), n_cols, rows[0][1].shape[1:], captions_below=True,
                        row_titles=[title for title, _, _ in rows], height_per_row=height_per_row)


def crop_mosaic(crops: np.ndarray, labels: list[str], confidences: list[float], low_confidence: float) -> go.Figure:
    """The 32x32 inputs the network saw, in reading order, each captioned with its prediction."""
    return image_mosaic(crops, [f"{label} {p:.0%}" for label, p in zip(labels, confidences)],
                        [LOW_CONFIDENCE_COLOUR if p < low_confidence else "#333" for p in confidences])


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
                fig.add_trace(go.Scatter(x=h["epoch"], y=values, mode="lines+markers", name=f"{name} {label}",
                                         line=dict(color=colour, dash=dash), marker=dict(size=4),
                                         legendgroup=name, showlegend=col == 1), row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    if with_accuracy:
        fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def weight_images(W: np.ndarray, kind: str) -> tuple[np.ndarray, int]:
    """First-layer weights as images: each hidden unit's 1024 weights as 32x32 (MLP), or each
    convolution kernel (CNN). Each image is scaled to its own range."""
    if kind == "dense":
        imgs = W.T.reshape(-1, 32, 32).transpose(0, 2, 1)  # column-major rows, as the inputs
    else:
        k = int(round(np.sqrt(W.shape[0])))
        imgs = W.T.reshape(-1, k, k)
    lo = imgs.min(axis=(1, 2), keepdims=True)
    span = np.maximum(np.ptp(imgs, axis=(1, 2), keepdims=True), 1e-12)
    return (imgs - lo) / span, imgs.shape[0]


def weight_grid(W: np.ndarray, kind: str, per_row: int = 16) -> go.Figure:
    imgs, n = weight_images(W, kind)
    if kind != "dense":  # 3x3 kernels are too small to see: enlarge them
        imgs = np.kron(imgs, np.ones((8, 8)))
    return image_mosaic(imgs[:128], [str(i + 1) for i in range(min(n, 128))], per_row=per_row)


def confusion_heatmap(cm: np.ndarray, classes, height: int = 560) -> go.Figure:
    """Rows: true class, columns: predicted, as each row's share (counts on hover)."""
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(z=share, x=list(classes), y=list(classes), colorscale="Blues", zmin=0, zmax=1,
                               customdata=cm, hovertemplate="true %{y}, predicted %{x}: %{customdata} "
                                                             "(%{z:.0%})<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="predicted",
                      yaxis_title="true")
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    return fig


def code_map(points: np.ndarray, labels: np.ndarray, classes, highlight=(), height: int = 520) -> go.Figure:
    """2-D points (the codes' first two principal components): the `highlight`ed classes in colour,
    one legend entry each, and every other class in light grey behind them."""
    import plotly.express as px

    palette = px.colors.qualitative.Bold + px.colors.qualitative.Dark24
    fig = go.Figure()
    rest = ~np.isin(labels, list(highlight))
    if rest.any():
        fig.add_trace(go.Scattergl(x=points[rest, 0], y=points[rest, 1], mode="markers", name="other classes",
                                   marker=dict(size=4, color="#cccccc"), customdata=np.asarray(classes)[labels[rest]],
                                   hovertemplate="%{customdata}<extra></extra>"))
    for k, i in enumerate(highlight):
        mask = labels == i
        fig.add_trace(go.Scattergl(x=points[mask, 0], y=points[mask, 1], mode="markers", name=classes[i],
                                   marker=dict(size=7, color=palette[k % len(palette)], line=dict(width=0.5,
                                                                                                   color="white")),
                                   hovertemplate=f"<b>{classes[i]}</b><extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="component 1",
                      yaxis_title="component 2", legend=dict(itemsizing="constant"))
    return fig
