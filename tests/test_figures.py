"""The pages' figures and texts against what they must show (dashboard.figures, training_view, scatter_svg)."""
import base64
import re
from types import SimpleNamespace

import numpy as np

from dashboard.figures import confusion_heatmap, learning_curves, weight_grids
from dashboard.image_grid import grid_html
from dashboard.scatter_svg import HEIGHT, REST_COLOUR, WIDTH, code_map_svg
from dashboard.training_view import accuracy_note


def test_the_first_layers_change_shows_only_where_it_changed():
    rng = np.random.default_rng(0)
    before = rng.normal(size=(9, 32))            # 32 kernels of 3x3
    after = before.copy()
    after[4, 7] += 0.5                           # one weight of kernel 8 grew
    b, a, change = weight_grids(before, after, "conv")
    assert b.shape == a.shape == change.shape == (32, 3, 3)
    untouched = np.arange(32) != 7
    assert np.array_equal(b[untouched], a[untouched])      # the same scale before and after
    assert np.all(change[untouched] == 0.5)                # mid-grey: unchanged
    assert change[7].max() == 1.0 and change[7].argmax() == 4   # (row 1, col 1): weight 4 of the kernel
    _, _, none = weight_grids(before, before, "conv")
    assert np.all(none == 0.5)


def test_an_mlps_units_are_drawn_as_their_inputs_at_most_128():
    W = np.arange(1024 * 200, dtype=float).reshape(1024, 200)
    b, _, _ = weight_grids(W, W, "dense")
    assert b.shape == (128, 32, 32)
    # Inputs are the 32x32 image in column-major order: input 1 is row 1 of column 0.
    assert b[0, 1, 0] > b[0, 0, 0] and b[0, 0, 1] > b[0, 31, 0]


def test_learning_curves_tick_whole_epochs_and_the_confusion_matrix_names_every_class():
    history = {"epoch": [1, 2, 3], "train_loss": [3, 2, 1], "valid_loss": [3, 2, 1.5],
               "train_acc": [0.2, 0.5, 0.7], "valid_acc": [0.2, 0.4, 0.6]}
    fig = learning_curves({"": history})
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tick0 == 1
    assert [t.name for t in fig.data] == ["train", "valid", "train", "valid"]
    long = {k: list(range(1, 41)) if k == "epoch" else v * 13 + v[:1] for k, v in history.items()}
    assert learning_curves({"": long}).layout.xaxis.dtick == 4
    classes = [chr(65 + i) for i in range(26)] + [str(d) for d in range(10)]
    heat = confusion_heatmap(np.eye(36, dtype=int), classes)
    assert heat.layout.xaxis.dtick == 1 and heat.layout.yaxis.dtick == 1


def test_the_accuracy_note_gives_the_numbers_each_curve_is_compared_with():
    group = {"n": 1, "accuracy": 0.5}
    metrics = {"train": {"accuracy": 0.867, "balanced_accuracy": 0.905, "digits": {**group, "n": 5130},
                         "letters": {**group, "n": 2217}},
               "valid": {"accuracy": 0.812}}
    outcome = SimpleNamespace(metrics=metrics, history={"train_acc": [0.5, 0.899]}, status="completed")
    note = accuracy_note(outcome)
    assert "(last epoch: 89.9%)" in note and "train balanced accuracy, 90.5%" in note
    assert "5,130 digits, 2,217 letters" in note and "ends at the Valid accuracy, 81.2%" in note
    outcome.status = "stopped"   # stopped mid-epoch: the last valid point is an earlier epoch's
    assert "Valid accuracy" not in accuracy_note(outcome)


def test_an_image_grid_escapes_its_captions():
    html = grid_html(np.zeros((2, 4, 4)), ["<b>x</b>", "A→B 93%"])
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert html.count("<img ") == 2 and "A→B 93%" in html


def _svg_dots(html_text: str) -> list[tuple[str, np.ndarray]]:
    """The code map's dots as (colour, (n, 2) centres in the SVG's units), one entry per group."""
    svg = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", html_text).group(1)).decode()
    return [(colour, np.array(re.findall(r'cx="([-0-9.]+)" cy="([-0-9.]+)"', dots), dtype=float).reshape(-1, 2))
            for colour, dots in re.findall(r'<g fill="([^"]+)"[^>]*>(.*?)</g>', svg)]


def test_the_code_map_draws_every_point_once_keeping_distances_with_the_chosen_classes_named():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(300, 2)) * [5.0, 1.0] + [100.0, -7.0]
    labels = rng.integers(0, 4, 300)
    html_text = code_map_svg(points, labels, ["a", "b", "<c>", "d"], highlight=[2, 0])
    groups = _svg_dots(html_text)
    assert [len(xy) for _, xy in groups] == [np.sum(labels % 2 == 1), np.sum(labels == 2), np.sum(labels == 0)]
    assert groups[0][0] == REST_COLOUR and groups[1][0] != groups[2][0]
    drawn = np.concatenate([xy for _, xy in groups])
    truth = np.concatenate([points[labels % 2 == 1], points[labels == 2], points[labels == 0]])
    assert drawn.min() >= 0 and drawn[:, 0].max() <= WIDTH and drawn[:, 1].max() <= HEIGHT
    # one scale on both axes, y up: the drawn points are the true ones moved, scaled and flipped
    scale = np.ptp(drawn[:, 0]) / np.ptp(truth[:, 0])
    assert np.allclose((drawn - drawn.mean(0)) * [1, -1], (truth - truth.mean(0)) * scale, atol=0.1)
    assert "&lt;c&gt;" in html_text and "<c>" not in html_text
    assert "other classes" in html_text
