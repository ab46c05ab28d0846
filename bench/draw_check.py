"""The Draw page's path checked on real pen strokes: Chars74K's held-out writers drawn on the canvas.

    MLCORE_DATA_DIR=../shared/data python bench/draw_check.py [--model data/models/classifier.npz]

Chars74K was written on a tablet by 55 people; the `handwriting` pool trains on 33 of them and tests
on 11 (`writer_split`, seed 0). Each test writer's characters are drawn here as the canvas draws a
mouse or finger stroke (black round pen, PEN_WIDTHS canvas pixels, on the page's 280x280 white
canvas, the character filling 70% of it: tests/known_pages.py), then read exactly as the page reads a drawing
(`drawing_to_input`, then the classifier). Prints 36-way, letters, digits and within-group accuracy
per pen width, beside the same samples as the dataset draws them (the test split's rows).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from known_pages import pen_drawing  # noqa: E402

from mlcore.data.classes import CLASSES  # noqa: E402
from mlcore.data.datasets import writer_split  # noqa: E402
from mlcore.data.paths import data_dir, default_classifier_path  # noqa: E402
from mlcore.data.strokes import load_strokes  # noqa: E402
from mlcore.metrics import classification_report, within_group_accuracy  # noqa: E402
from mlcore.model_io import load_classifier  # noqa: E402
from mlcore.ocr.character import drawing_to_input  # noqa: E402

PEN_WIDTHS = (6, 18, 40)   # the Draw page's slider: least, default, most


def scores(y: np.ndarray, proba: np.ndarray) -> dict:
    r = classification_report(y, proba.argmax(1))
    within = within_group_accuracy(y, proba)
    return {"36-way": r["accuracy"], "letters": r["letters"]["accuracy"], "digits": r["digits"]["accuracy"],
            "within letters": within["letters"]["accuracy"], "within digits": within["digits"]["accuracy"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    args = parser.parse_args()
    path = data_dir() / "chars74k" / "chars74k_strokes.json"
    model = load_classifier(args.model)
    X, y, writers = load_strokes(path)
    test = writer_split(writers, seed=0)[2]
    raw = json.loads(path.read_text())
    samples = [raw[CLASSES[c]][w] for c, w in zip(y[test], writers[test])]
    rows = {"dataset's drawing": scores(y[test], model.network.predict_proba(X[test]))}
    for pen in PEN_WIDTHS:
        inputs = np.concatenate([drawing_to_input(pen_drawing(s, pen)).row for s in samples])
        rows[f"canvas, pen {pen}"] = scores(y[test], model.network.predict_proba(inputs))
    print(f"{len(test)} characters of {len(np.unique(writers[test]))} held-out writers, model {args.model}\n")
    keys = list(next(iter(rows.values())))
    print("| drawn as | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, r in rows.items():
        print(f"| {name} | " + " | ".join(f"{100 * r[k]:.1f}" for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
