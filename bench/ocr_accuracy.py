"""Character accuracy of the reader on the sample pages, clean and under harder conditions.

    MLCORE_DATA_DIR=../shared/data python -m bench.ocr_accuracy [--model PATH]

For each page: character accuracy with and without the word-level letter/digit
correction, whether the line count is exact, and the share of word breaks
right. Then the same pages rotated by +-15 degrees, shrunk to 1000 px wide,
saved as JPEG quality 30, pasted on a dark wooden desk and under a shadow
gradient (the conditions of tests/photo_conditions.py): mean accuracy of each.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mlcore.data.paths import default_classifier_path, pages_dir
from mlcore.model_io import load_model
from mlcore.ocr.image_io import load_image
from mlcore.ocr.reader import read_page
from mlcore.ocr.scoring import character_accuracy, edit_distance, scored_characters, word_break_accuracy
from tests.photo_conditions import CONDITIONS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    args = parser.parse_args()
    folder = pages_dir()
    truth = json.loads((folder / "ground_truth.json").read_text())
    model = load_model(args.model)
    pages, totals = [], {"corrected": [0, 0], "raw": [0, 0]}
    grays = {name: load_image(folder / name) for name in truth}
    for name, ref in truth.items():
        r = read_page(folder / name, model.network, model.classes)
        for key, text in (("corrected", r.text), ("raw", r.raw_text)):
            totals[key][0] += edit_distance(scored_characters(text), scored_characters(ref))
            totals[key][1] += len(scored_characters(ref))
        pages.append({"page": name, "accuracy": character_accuracy(r.text, ref),
                      "accuracy_without_correction": character_accuracy(r.raw_text, ref),
                      "lines": r.text.count("\n") + 1, "true_lines": ref.count("\n") + 1,
                      "word_breaks_right": word_break_accuracy(r.text, ref), "text": r.text})
    overall = {k: 1 - e / n for k, (e, n) in totals.items()}
    conditions = {}
    for cond, transform in CONDITIONS.items():
        accs = [character_accuracy(read_page(transform(grays[name]), model.network, model.classes).text, ref)
                for name, ref in truth.items()]
        conditions[cond] = {"mean_accuracy": sum(accs) / len(accs), "per_page": accs}
    clean_mean = sum(p["accuracy"] for p in pages) / len(pages)
    print(json.dumps({"model": str(args.model), "overall": overall, "clean_mean_of_pages": clean_mean,
                      "pages": pages, "conditions": conditions}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
