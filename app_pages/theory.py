import numpy as np
import pandas as pd
import streamlit as st

from dashboard import theory_figures as figs
from dashboard.contents import contents, section
from mlcore import theory
from mlcore.activations import ACTIVATIONS, sigmoid
from mlcore.initializers import INITIALIZERS

NAMES = list(ACTIVATIONS)
SECTIONS = {
    "activations": "Activations and their gradients",
    "tanh": "tanh is a rescaled sigmoid",
    "softmax": "Softmax ignores a shift, exp does not",
    "linear": "Linear layers without activations collapse into one",
    "vanishing": "Vanishing gradients",
    "gradcheck": "Checking backprop against numerical gradients",
}

st.title("Theory")
st.markdown("The homework opens with a few facts about the pieces a network is built from. Each is computed "
            "here, live, with the same `mlcore` layers that train the networks: move the sliders and see why "
            "they hold.")
contents(SECTIONS)

section(SECTIONS, "activations")
st.markdown(
    "Backpropagation multiplies the gradient by every layer's activation derivative on its way back to the "
    "input. So what matters is how large f′ is **at the values the units actually take**, which is why the "
    "middle and right plots draw f′ as a function of f itself (the homework's figures 1-3).")
for column, formula in zip(st.columns(3), (r"\sigma'(x) = \sigma(x)\,(1-\sigma(x)) \le \tfrac14",
                                            r"\tanh'(x) = 1-\tanh^2(x) \le 1", r"\mathrm{relu}'(x) = [x > 0]")):
    column.latex(formula)  # one per column: on a phone they stack instead of running off the screen
controls = st.columns(2)
chosen = controls[0].multiselect("Activations", NAMES, default=NAMES, key="th_activations")
reach = controls[1].slider("x from -a to a", 1.0, 10.0, 6.0, 0.5, key="th_reach")
x = np.linspace(-reach, reach, 801)
crossover = theory.tanh_sigmoid_crossover()
if chosen:
    curves = [theory.activation_curve(name, x) for name in chosen]
    for column, fig in zip(st.columns(3), figs.activation_figures(curves, crossover)):
        column.plotly_chart(fig, width="stretch")
else:
    st.info("Pick at least one activation.")
st.markdown(
    f"A sigmoid unit passes back at most **0.25** of the gradient, and far less once it saturates (middle). "
    f"A tanh unit passes back more than that whenever |tanh(x)| < **{crossover[1]:.3f}** (|x| < {crossover[0]:.3f}): "
    f"almost everywhere a unit lives. Relative to its own output (right), the sigmoid's gradient shrinks "
    f"linearly to 0 as the unit turns on. ReLU passes back exactly 1 for every active unit, and nothing for the "
    f"others.")

section(SECTIONS, "tanh")
st.latex(r"\tanh(x) = \frac{1-e^{-2x}}{1+e^{-2x}} = \frac{2}{1+e^{-2x}} - 1 = 2\,\sigma(2x) - 1")
st.markdown("Squeezed by 2 along x, stretched by 2 along y, moved down by 1: the same S, but centred on zero, "
            "so a tanh layer's outputs are not all positive and its peak gradient is 1 instead of 0.25.")
left, right = st.columns([3, 1])
left.plotly_chart(figs.tanh_identity_figure(x, np.tanh(x), theory.tanh_as_sigmoid(x), sigmoid(x)), width="stretch")
right.metric("Largest |tanh(x) − (2σ(2x) − 1)|", f"{theory.tanh_identity_error(x):.1e}",
             help="Over the plotted x, the Tanh layer against the Sigmoid layer: equal to rounding error.")

section(SECTIONS, "softmax")
st.latex(r"\mathrm{softmax}(x + c)_i = \frac{e^{x_i+c}}{\sum_j e^{x_j+c}} "
         r"= \frac{e^c\,e^{x_i}}{e^c\sum_j e^{x_j}} = \mathrm{softmax}(x)_i")
st.markdown("Mathematically the shift cancels. Numerically it does not: a float64 holds at most about "
            "e<sup>709</sup>, so for large inputs every e<sup>x</sup> becomes ∞ and ∞/∞ is NaN (and for very "
            "negative inputs 0/0). Subtracting the largest input first, c = −max x, keeps every exponent ≤ 0: "
            "that is how `mlcore` computes softmax.", unsafe_allow_html=True)
left, right = st.columns([3, 1])
text = right.text_input("Logits x", "1, 2, 3", key="th_logits", help="Up to 12 numbers, separated by commas.")
shift = right.slider("Shift c", -1000, 1000, 750, 10, key="th_shift")
try:
    logits = theory.parse_vector(text)
except ValueError as exc:
    right.error(f"Logits: {exc}.")
else:
    s = theory.softmax_shift(logits, shift)
    left.plotly_chart(figs.softmax_figure(s), width="stretch")
    columns = {"x + c": s.logits, "exp(x + c)": s.exp, "naive softmax": s.naive, "max-shifted softmax": s.stable,
               "softmax(x)": s.unshifted}
    # As text, so that inf and NaN show as such rather than as empty cells.
    left.dataframe(pd.DataFrame({k: [f"{v:.4g}" for v in col] for k, col in columns.items()}), hide_index=True)
    if np.isnan(s.naive).any():
        right.warning("The naive formula gives **NaN** here: exp over- or underflowed.")
    right.metric("What the shift changed", f"{np.max(np.abs(s.stable - s.unshifted)):.1e}",
                 help="The largest |softmax(x + c) - softmax(x)|, both max-shifted.")

section(SECTIONS, "linear")
st.latex(r"(x W_1 + b_1)\,W_2 + b_2 = x\,\underbrace{W_1 W_2}_{W} + \underbrace{b_1 W_2 + b_2}_{b}")
st.markdown("However many linear layers are stacked, the result is one linear map: depth buys nothing without a "
            "nonlinearity between the layers. Each dot below is one output of random layers on a random input.")
left, right = st.columns([3, 1])
n_layers = right.slider("Layers", 1, theory.MAX_DEPTH, 4, key="th_layers")
between = right.selectbox("Activation for comparison", NAMES, index=NAMES.index("relu"), key="th_between")
check = theory.stacked_linear_check(n_layers, between=between)
left.plotly_chart(figs.stack_figure(check, between), width="stretch")
right.metric("Stack against single map", f"{check.linear_error:.1e}", help="The largest difference of any output.")
right.metric(f"With {between} between", f"{check.nonlinear_error:.2g}",
             help="The same layers with the activation after each but the last, against the single map.")

section(SECTIONS, "vanishing")
st.markdown("A fresh network of 64-unit layers, one batch of random inputs, one backward pass: the size of each "
            "layer's weight gradient. Going down, every layer multiplies the gradient by its weights and its "
            "activation derivative; with sigmoid (at most 0.25 each time) the first layers barely learn. Compare "
            "tanh, ReLU with He initialisation, and the naive N(0, 0.01²) weights.")
left, right = st.columns([3, 1])
depth = right.slider("Hidden layers", 1, theory.MAX_DEPTH, 10, key="th_depth")
act = right.selectbox("Activation", NAMES, key="th_act")
init = right.selectbox("Initialisation", list(INITIALIZERS), key="th_init")
norms = theory.layer_gradient_norms(depth, act, init)
left.plotly_chart(figs.gradient_norm_figure(norms, act, init), width="stretch")
if norms[-1] > 0:
    right.metric("First layer / output layer", f"{norms[0] / norms[-1]:.1e}",
                 help="Ratio of the gradient norms: far below 1 means the first layer learns far slower.")
if init == "zeros":
    right.info("With all-zero weights nothing reaches the hidden layers: their gradients are exactly 0, and every "
               "unit of a layer would stay identical (the homework's Q2.1.1).")

section(SECTIONS, "gradcheck")
st.latex(r"\frac{\partial L}{\partial w} \approx \frac{L(w+\varepsilon) - L(w-\varepsilon)}{2\varepsilon}, "
         r"\qquad \text{error} = \frac{\lVert g_\text{backprop} - g_\text{numerical}\rVert}"
         r"{\lVert g_\text{backprop}\rVert + \lVert g_\text{numerical}\rVert}")
st.markdown("Nudge one weight up and down, measure the loss, divide: a gradient that needs no calculus, too slow "
            "to train with but a perfect referee. Every weight, bias and input of a small network is checked.")
left, right = st.columns([3, 1])
gc_act = right.selectbox("Activation", NAMES, key="th_gc_act")
hidden = right.slider("Hidden units", 1, 16, 5, key="th_gc_hidden")
gc = theory.small_gradient_check(gc_act, hidden)
left.plotly_chart(figs.gradcheck_figure(gc), width="stretch")
right.metric(f"Largest relative error ({gc.description})", f"{gc.max_error:.1e}")
right.dataframe(pd.DataFrame({"array": list(gc.errors), "relative error": [f"{e:.1e}" for e in gc.errors.values()]}),
                hide_index=True)
if gc.agrees:
    right.success("Backprop agrees with the central differences.")
else:
    right.error("Backprop and the central differences disagree: a bug in a backward pass.")
