"""Plotly figures for the Theory page. Pure functions: data in, figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard.figures import RUN_COLOURS
from mlcore.theory import SIGMOID_PEAK_GRADIENT, ActivationCurve, SmallGradCheck, SoftmaxShift, StackCheck

ACTIVATION_COLOURS = {"sigmoid": "#1f77b4", "tanh": "#d62728", "relu": "#2ca02c"}
MARGIN = dict(l=10, r=10, t=40, b=10)


def _colour(name: str) -> str:
    return ACTIVATION_COLOURS.get(name, "#333")


def _reference(fig: go.Figure, x, y, name: str, colour: str) -> None:
    """A dotted reference line named in the legend: a label on the plot would sit on the curves."""
    fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", hoverinfo="skip",
                             line=dict(color=colour, dash="dot", width=1.5)))


def activation_figures(curves: list[ActivationCurve], crossover: tuple[float, float],
                       height: int = 400) -> list[go.Figure]:
    """The homework's figures 1-3 for every activation at once, as three figures (side by side on a
    wide screen, one under another on a phone): f and f' against x; f' against f; f'/f against f.
    The sigmoid's peak gradient 0.25 is a dotted line, and so are the tanh values beyond which tanh'
    falls below it."""
    titles = ("f (solid) and f′ (dashed) against x", "f′ as a function of f", "f′/f as a function of f")
    figs = [go.Figure() for _ in titles]
    for c in curves:
        colour = _colour(c.name)
        figs[0].add_trace(go.Scatter(x=c.x, y=c.value, name=c.name, legendgroup=c.name, line=dict(color=colour)))
        figs[0].add_trace(go.Scatter(x=c.x, y=c.derivative, name=f"{c.name}′", legendgroup=c.name,
                                     showlegend=False, line=dict(color=colour, dash="dash")))
        # Against f, the curve is traced once per value: ReLU's flat half is a single point.
        order = np.argsort(c.value, kind="stable")
        # The middle figure's legend names its reference lines; the colours are named left and right.
        for fig, y in ((figs[1], c.derivative), (figs[2], c.ratio)):
            fig.add_trace(go.Scatter(x=c.value[order], y=y[order], name=c.name, line=dict(color=colour),
                                     showlegend=fig is figs[2]))
    _reference(figs[1], [-1.05, 1.6], [SIGMOID_PEAK_GRADIENT] * 2, f"sigmoid's peak f′ = {SIGMOID_PEAK_GRADIENT}",
               "#888")
    if any(c.name == "tanh" for c in curves):
        t = crossover[1]
        _reference(figs[1], [-t, -t, None, t, t], [0, 1, None, 0, 1], f"|tanh| = {t:.3f}: tanh′ = 0.25",
                   _colour("tanh"))
    figs[0].update_xaxes(title_text="x")
    figs[0].update_yaxes(range=[-1.1, 2.0])
    figs[1].update_yaxes(range=[-0.05, 1.05])
    figs[2].update_yaxes(range=[-3, 3])  # tanh's ratio diverges at 0, ReLU's near 0
    for fig, title in zip(figs, titles):
        if fig is not figs[0]:  # the action is in [-1, 1]; ReLU only continues its flat line beyond
            fig.update_xaxes(title_text="f(x)", range=[-1.05, 1.6])
        fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2),
                          title=dict(text=title, x=0.5, xanchor="center"))
    return figs


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
