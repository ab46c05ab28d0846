"""Seconds per page and character accuracy: our reader against Tesseract, same pages, same run.

    MLCORE_DATA_DIR=../shared/data python bench/ocr_speed.py [--repeats 3] [--model PATH]

For each page of <data dir>/pages (with ground_truth.json): the median wall
time of `read_page` on the file (decoding included) and of `tesseract FILE -
--psm 11` (Debian's tesseract-ocr; skipped when it is not installed), run
alternately. Character accuracy is 1 - edit distance / reference length over
A-Z0-9, whitespace removed. Prints a table and JSON.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcore.data.paths import data_dir, default_classifier_path  # noqa: E402
from mlcore.model_io import load_model  # noqa: E402
from mlcore.ocr.reader import read_page  # noqa: E402
from mlcore.ocr.scoring import edit_distance, scored_characters  # noqa: E402


def tesseract(path: Path) -> str:
    out = subprocess.run(["tesseract", str(path), "-", "--psm", "11"], capture_output=True, text=True, check=True)
    return out.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    args = parser.parse_args()
    folder = data_dir() / "pages"
    truth = json.loads((folder / "ground_truth.json").read_text())
    model = load_model(args.model)
    have_tesseract = shutil.which("tesseract") is not None
    readers = {"mlcore": lambda p: read_page(p, model.network, model.classes).text}
    if have_tesseract:
        readers["tesseract"] = tesseract
    else:
        print("tesseract is not installed (apt-get install tesseract-ocr): mlcore only", file=sys.stderr)
    rows = []
    totals = {name: [0, 0] for name in readers}
    for page, ref in truth.items():
        row = {"page": page}
        times = {name: [] for name in readers}
        texts = {}
        for _ in range(args.repeats):
            for name, read in readers.items():
                start = time.perf_counter()
                texts[name] = read(folder / page)
                times[name].append(time.perf_counter() - start)
        for name in readers:
            err = edit_distance(scored_characters(texts[name]), scored_characters(ref))
            totals[name][0] += err
            totals[name][1] += len(scored_characters(ref))
            row[f"{name}_s"] = statistics.median(times[name])
            row[f"{name}_accuracy"] = 1 - err / len(scored_characters(ref))
        rows.append(row)
    summary = {name: {"median_s_per_page": statistics.median(r[f"{name}_s"] for r in rows),
                      "character_accuracy": 1 - totals[name][0] / totals[name][1]} for name in readers}
    if have_tesseract:
        summary["speedup_vs_tesseract"] = (summary["tesseract"]["median_s_per_page"]
                                           / summary["mlcore"]["median_s_per_page"])
    print("| page | " + " | ".join(f"{n} s | {n} accuracy" for n in readers) + " |")
    print("|---|" + "---|---|" * len(readers))
    for r in rows:
        print(f"| {r['page']} | " + " | ".join(f"{r[f'{n}_s']:.2f} | {r[f'{n}_accuracy']:.1%}" for n in readers) + " |")
    print(json.dumps({"pages": rows, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
