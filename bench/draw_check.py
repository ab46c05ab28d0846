"""The Draw page's path checked on real pen strokes: Chars74K's held-out writers drawn on the canvas.

    MLCORE_DATA_DIR=../shared/data python -m bench.draw_check [--model data/models/classifier.npz]

Chars74K was written on a tablet by 55 people; the `handwriting` pool trains on 33 of them and tests
on 11 (the pool's own split, by writer). Each test writer's characters are drawn here as the canvas draws a
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

from mlcore.data.classes import CLASSES
from mlcore.data.datasets import load_dataset
from mlcore.data.paths import data_dir, default_classifier_path
from mlcore.metrics import classification_report, within_group_accuracy
from mlcore.model_io import load_classifier
from mlcore.ocr.character import drawing_to_input
from tests.known_pages import pen_drawing

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
    model = load_classifier(args.model)
    dataset = load_dataset("handwriting")
    test = dataset.test
    held_out = test.source == dataset.source_names.index("chars74k")
    y, writers = test.y[held_out], test.writer[held_out]
    raw = json.loads((data_dir() / "chars74k" / "chars74k_strokes.json").read_text())
    samples = [raw[CLASSES[c]][w] for c, w in zip(y, writers)]
    rows = {"dataset's drawing": scores(y, model.network.predict_proba(test.X[held_out]))}
    for pen in PEN_WIDTHS:
        inputs = np.concatenate([drawing_to_input(pen_drawing(s, pen)).row for s in samples])
        rows[f"canvas, pen {pen}"] = scores(y, model.network.predict_proba(inputs))
    print(f"{len(y)} characters of {len(np.unique(writers))} held-out writers, model {args.model}\n")
    keys = list(next(iter(rows.values())))
    print("| drawn as | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, r in rows.items():
        print(f"| {name} | " + " | ".join(f"{100 * r[k]:.1f}" for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
