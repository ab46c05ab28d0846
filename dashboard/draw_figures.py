"""Plotly figures for the Draw page. Pure functions: data in, figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

TOP_K = 5


def top_classes_figure(probs: np.ndarray, classes, k: int = TOP_K, height: int = 260) -> go.Figure:
    """The k most probable classes as horizontal bars, the most probable on top."""
    order = np.argsort(-probs)[:k]
    labels = [classes[i] for i in order]
    fig = go.Figure(go.Bar(x=probs[order], y=labels, orientation="h", marker_color="#1f77b4",
                           text=[f"{probs[i]:.1%}" for i in order], textposition="outside",
                           hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(range=[0, 1.15], tickformat=".0%", title="probability"))
    fig.update_yaxes(autorange="reversed", type="category", tickfont=dict(size=16))
    return fig


def units_figure(values: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """A dense layer's unit activations on a grid (unit 1 top left, row by row), a power of two wide
    so that the usual layer sizes fill it: 64 -> 8x8, 128 -> 16x8, 512 -> 32x16."""
    values = np.ravel(values)
    cols = 2 ** int(np.ceil(np.log2(len(values)) / 2))
    grid = np.full(cols * int(np.ceil(len(values) / cols)), np.nan)
    grid[:len(values)] = values
    grid = grid.reshape(-1, cols)
    units = np.arange(grid.size).reshape(grid.shape) + 1
    fig = go.Figure(go.Heatmap(z=grid, customdata=units, colorscale="Viridis", zmin=min(0.0, float(values.min())),
                               hovertemplate="unit %{customdata}: %{z:.3f}<extra></extra>",
                               colorbar=dict(thickness=10)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), title=title)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def feature_map_images(maps: np.ndarray, side: int = 64) -> list[np.ndarray]:
    """Convolutional feature maps (H, W, C) as C grayscale images about `side` pixels square, each
    pixel a crisp block, scaled to the layer's strongest response, strong responses dark (like ink)."""
    maps = np.moveaxis(np.asarray(maps, dtype=float), -1, 0)
    strongest = max(float(maps.max()), 1e-12)
    block = np.ones((max(1, side // maps.shape[1]),) * 2)
    return [np.kron(1.0 - m / strongest, block) for m in maps]
