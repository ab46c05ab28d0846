"""The figures the Theory and Draw pages show, computed as the pages compute them (default settings).

    MLCORE_DATA_DIR=../shared/data python -m bench.page_figures

Theory: the tanh/sigmoid identity's largest error, the tanh'/sigmoid' crossover,
a naive against a max-shifted softmax on shifted logits, stacked linear layers
against their single map, first/last gradient norms of depth-10 networks at
initialisation, and the small networks' gradient checks. Draw: how the shipped
classifiers read stroke-font characters drawn on the canvas, and 200 real test
characters redrawn 8 times larger with a thick pen. Prints JSON.
"""
from __future__ import annotations

import json

import numpy as np

from mlcore import theory
from mlcore.data.classes import CLASSES, is_letter
from mlcore.data.datasets import load_dataset
from mlcore.data.glyphs import rows_to_images
from mlcore.data.paths import models_dir
from mlcore.model_io import load_classifier
from mlcore.ocr.character import drawing_to_input
from tests.known_pages import as_canvas_pixels, drawn_character


def theory_figures() -> dict:
    shift = theory.softmax_shift(np.array([1.0, 2.0, 3.0]), 750.0)
    stack = theory.stacked_linear_check(4)
    norms = {f"{act}/{init}": theory.layer_gradient_norms(10, act, init)
             for act, init in (("sigmoid", "xavier"), ("relu", "he"), ("tanh", "xavier"))}
    return {
        "tanh_identity_max_error": theory.tanh_identity_error(np.linspace(-12, 12, 2001)),
        "tanh_crossover_x_and_tanh": theory.tanh_sigmoid_crossover(),
        "softmax_x_plus_750": {"exp": shift.exp.tolist(), "naive": shift.naive.tolist(),
                               "stable": shift.stable.round(4).tolist()},
        "stack_of_4_max_difference": {"linear": stack.linear_error, "relu_between": stack.nonlinear_error},
        "depth_10_first_over_last_gradient_norm": {k: float(v[0] / v[-1]) for k, v in norms.items()},
        "small_gradcheck_max_error": {a: theory.small_gradient_check(a).max_error
                                      for a in ("sigmoid", "tanh", "relu")},
    }


def draw_figures() -> dict:
    test = load_dataset("handwriting").test
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(is_letter(test.y)), 100, replace=False),
                          rng.choice(np.flatnonzero(~is_letter(test.y)), 100, replace=False)])
    drawn = np.concatenate([drawing_to_input(np.round(255 * np.kron(img, np.ones((8, 8)))).astype(np.uint8)).row
                            for img in rows_to_images(test.X[idx])])
    fonts = np.concatenate([drawing_to_input(as_canvas_pixels(drawn_character(c))).row for c in CLASSES])
    out = {}
    for name in ("classifier.npz", "cnn.npz", "mlp.npz"):
        model = load_classifier(models_dir() / name)
        read = [model.classes[i] for i in model.network.predict(fonts)]
        out[name] = {"stroke_font_right": sum(r == c for r, c in zip(read, CLASSES)),
                     "stroke_font_misses": [f"{c}->{r}" for r, c in zip(read, CLASSES) if r != c],
                     "real_originals_right": float(np.mean(model.network.predict(test.X[idx]) == test.y[idx])),
                     "real_redrawn_right": float(np.mean(model.network.predict(drawn) == test.y[idx]))}
    return out


if __name__ == "__main__":
    print(json.dumps({"theory": theory_figures(), "draw": draw_figures()}, indent=1, default=float))
