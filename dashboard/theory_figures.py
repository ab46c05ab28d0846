"""Plotly figures for the Theory page. Pure functions: data in, figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import RUN_COLOURS
from mlcore.theory import SIGMOID_PEAK_GRADIENT, ActivationCurve, SmallGradCheck, SoftmaxShift, StackCheck

ACTIVATION_COLOURS = {"sigmoid": "#1f77b4", "tanh": "#d62728", "relu": "#2ca02c"}
MARGIN = dict(l=10, r=10, t=40, b=10)


def _colour(name: str) -> str:
    return ACTIVATION_COLOURS.get(name, "#333")


def activation_figure(curves: list[ActivationCurve], crossover: tuple[float, float], height: int = 420) -> go.Figure:
    """The homework's figures 1-3 for every activation at once: f and f' against x; f' against f;
    f'/f against f. The sigmoid's peak gradient 0.25 is a dotted line, and the tanh values
    beyond which tanh' falls below it are marked."""
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07,
                        subplot_titles=("f(x) (solid) and f'(x) (dashed)", "f' as a function of f",
                                        "f'/f as a function of f"))
    for c in curves:
        colour = _colour(c.name)
        fig.add_trace(go.Scatter(x=c.x, y=c.value, name=c.name, legendgroup=c.name, line=dict(color=colour)),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=c.x, y=c.derivative, name=f"{c.name}'", legendgroup=c.name, showlegend=False,
                                 line=dict(color=colour, dash="dash")), row=1, col=1)
        # Against f, the curve is traced once per value: ReLU's flat half is a single point.
        order = np.argsort(c.value, kind="stable")
        fig.add_trace(go.Scatter(x=c.value[order], y=c.derivative[order], legendgroup=c.name, showlegend=False,
                                 line=dict(color=colour)), row=1, col=2)
        fig.add_trace(go.Scatter(x=c.value[order], y=c.ratio[order], legendgroup=c.name, showlegend=False,
                                 line=dict(color=colour)), row=1, col=3)
    fig.add_hline(y=SIGMOID_PEAK_GRADIENT, line=dict(color="#888", dash="dot"), row=1, col=2,
                  annotation_text="sigmoid's peak 0.25", annotation_position="top right")
    if any(c.name == "tanh" for c in curves):
        _, t = crossover
        for side in (-t, t):
            fig.add_vline(x=side, line=dict(color=_colour("tanh"), dash="dot", width=1), row=1, col=2)
        fig.add_annotation(x=t, y=0.05, text=f"|tanh| = {t:.3f}", showarrow=False, xanchor="left", xshift=4,
                           font=dict(color=_colour("tanh")), row=1, col=2)
    fig.update_xaxes(title_text="x", row=1, col=1)
    # f' against f: the action is in [-1, 1]; ReLU only continues its flat line beyond.
    for col in (2, 3):
        fig.update_xaxes(title_text="f(x)", range=[-1.05, 1.6], row=1, col=col)
    fig.update_yaxes(range=[-1.1, 2.0], row=1, col=1)
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=2)
    fig.update_yaxes(range=[-3, 3], row=1, col=3)  # tanh's ratio diverges at 0, ReLU's near 0
    fig.update_layout(height=height, margin=MARGIN, legend=dict(orientation="h", y=-0.18))
    return fig


def tanh_identity_figure(x: np.ndarray, tanh: np.ndarray, via_sigmoid: np.ndarray, sigmoid: np.ndarray,
                         height: int = 320) -> go.Figure:
    """tanh(x) as a line, 2 sigma(2x) - 1 as markers on it, and sigma(x) for comparison."""
    step = max(1, len(x) // 40)
    fig = go.Figure([
        go.Scatter(x=x, y=sigmoid, name="σ(x)", line=dict(color=_colour("sigmoid"), dash="dot")),
        go.Scatter(x=x, y=tanh, name="tanh(x)", line=dict(color=_colour("tanh"))),
        go.Scatter(x=x[::step], y=via_sigmoid[::step], name="2σ(2x) − 1", mode="markers",
                   marker=dict(color="#333", size=6, symbol="circle-open")),
    ])
    fig.update_layout(height=height, margin=MARGIN, xaxis_title="x", legend=dict(orientation="h", y=-0.25))
    return fig


def softmax_figure(s: SoftmaxShift, height: int = 320) -> go.Figure:
    """Naive and max-shifted softmax of x + c side by side, softmax(x) as the reference;
    a class whose naive probability is NaN is marked so."""
    labels = [f"x{i + 1}" for i in range(len(s.logits))]
    fig = go.Figure([
        go.Bar(x=labels, y=s.unshifted, name="softmax(x)", marker_color="#bbb"),
        go.Bar(x=labels, y=np.nan_to_num(s.naive, nan=0.0), name="naive softmax(x + c)",
               marker_color=RUN_COLOURS[1], text=[("NaN" if np.isnan(p) else f"{p:.3f}") for p in s.naive],
               textposition="outside"),
        go.Bar(x=labels, y=s.stable, name="max-shifted softmax(x + c)", marker_color=RUN_COLOURS[0],
               text=[f"{p:.3f}" for p in s.stable], textposition="outside"),
    ])
    fig.update_layout(barmode="group", height=height, margin=MARGIN, yaxis=dict(range=[0, 1.15], title="probability"),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def stack_figure(check: StackCheck, between: str, height: int = 340) -> go.Figure:
    """Every output of the stacked layers against the single collapsed map: on the diagonal
    without activations, off it with them."""
    single = check.single.ravel()
    lo, hi = float(single.min()), float(single.max())
    fig = go.Figure([
        go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="#bbb", dash="dot"), name="y = x"),
        go.Scatter(x=single, y=check.nonlinear.ravel(), mode="markers", name=f"with {between} between",
                   marker=dict(color=_colour(between), size=4, opacity=0.5)),
        go.Scatter(x=single, y=check.stacked.ravel(), mode="markers", name="no activation",
                   marker=dict(color="#333", size=4)),
    ])
    fig.update_layout(height=height, margin=MARGIN, xaxis_title="single map x W + b",
                      yaxis_title="stacked layers", legend=dict(orientation="h", y=-0.25))
    return fig


def gradient_norm_figure(norms: np.ndarray, activation: str, init: str, height: int = 340) -> go.Figure:
    """||dL/dW|| per layer on a log scale; layers whose gradient is exactly zero are labelled."""
    labels = [f"{i + 1}" for i in range(len(norms) - 1)] + ["output"]
    zero = norms == 0
    fig = go.Figure(go.Bar(x=labels, y=np.where(zero, np.nan, norms), marker_color=_colour(activation),
                           hovertemplate="layer %{x}: %{y:.3g}<extra></extra>"))
    if zero.any():
        floor = float(norms[~zero].min()) if (~zero).any() else 1.0
        for label in np.array(labels)[zero]:
            fig.add_annotation(x=label, y=np.log10(floor), text="0", showarrow=False, yshift=8)
    fig.update_layout(height=height, margin=MARGIN, title=f"{activation}, {init} initialisation",
                      xaxis_title="dense layer (input side first)", yaxis_title="gradient norm ||dL/dW||")
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def gradcheck_figure(check: SmallGradCheck, height: int = 340) -> go.Figure:
    """Every checked entry's analytic gradient against its central difference, one colour per array."""
    fig = go.Figure()
    everything = np.concatenate([p.numerical for p in check.pairs])
    lo, hi = float(everything.min()), float(everything.max())
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="#bbb", dash="dot"),
                             name="y = x"))
    for k, p in enumerate(check.pairs):
        fig.add_trace(go.Scatter(x=p.numerical, y=p.analytic, mode="markers", name=f"{p.key} ({p.layer})",
                                 marker=dict(color=RUN_COLOURS[k % len(RUN_COLOURS)], size=7)))
    fig.update_layout(height=height, margin=MARGIN, xaxis_title="numerical (central difference)",
                      yaxis_title="analytic (backprop)", legend=dict(orientation="h", y=-0.25))
    return fig
