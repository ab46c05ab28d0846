"""Seconds per page and character accuracy: our reader against Tesseract and RapidOCR, same pages, same run.

    MLCORE_DATA_DIR=../shared/data python -m bench.ocr_speed [--repeats 3] [--model PATH]

For each page of <data dir>/pages (with ground_truth.json): the median wall
time of `read_page` on the file (decoding included), of `tesseract FILE -
--psm 11` (Debian's tesseract-ocr) and of RapidOCR (the PP-OCR detection and
recognition models inside its wheel, on onnxruntime: `pip install -r
bench/requirements.txt`), run alternately; a peer that is not installed is
skipped with a note. RapidOCR's boxes are put in reading order (lines by their
centres, then left to right). Character accuracy is 1 - edit distance /
reference length over A-Z0-9, whitespace removed. Prints a table, the speed
ratios and JSON.
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

import numpy as np

from mlcore.data.paths import default_classifier_path, pages_dir
from mlcore.model_io import load_model
from mlcore.ocr.reader import read_page
from mlcore.ocr.scoring import edit_distance, scored_characters


def tesseract(path: Path) -> str:
    out = subprocess.run(["tesseract", str(path), "-", "--psm", "11"], capture_output=True, text=True, check=True)
    return out.stdout


def rapidocr_reader():
    """A function path -> text, or None when RapidOCR is not installed. The engine is built once, as a
    server would keep it; its models load here, outside the timed reads."""
    try:
        from rapidocr import RapidOCR
    except ImportError:
        return None
    engine = RapidOCR()

    def read(path: Path) -> str:
        result = engine(str(path))
        if result.boxes is None:
            return ""
        boxes = np.asarray(result.boxes, dtype=float)
        cy, x = boxes[:, :, 1].mean(axis=1), boxes[:, :, 0].min(axis=1)
        height = np.median(np.ptp(boxes[:, :, 1], axis=1))
        lines, line = [], []
        for i in np.argsort(cy):
            if line and cy[i] - cy[line[-1]] > height / 2:
                lines.append(line)
                line = []
            line.append(i)
        lines.append(line)
        return "\n".join(" ".join(result.txts[i] for i in sorted(ln, key=lambda i: x[i])) for ln in lines)
    return read


def readers_of(model) -> dict:
    """Name -> function path -> text, for us and every peer installed here."""
    readers = {"mlcore": lambda p: read_page(p, model.network, model.classes).text}
    if shutil.which("tesseract"):
        readers["tesseract"] = tesseract
    else:
        print("tesseract is not installed (apt-get install tesseract-ocr): skipped", file=sys.stderr)
    rapid = rapidocr_reader()
    if rapid:
        readers["rapidocr"] = rapid
    else:
        print("rapidocr is not installed (pip install -r bench/requirements.txt): skipped", file=sys.stderr)
    return readers


def time_page(readers: dict, path: Path, ref: str, repeats: int) -> tuple[dict, dict]:
    """One page: each reader's median seconds and accuracy (the row), and its edit errors."""
    times, texts = {name: [] for name in readers}, {}
    for _ in range(repeats):
        for name, read in readers.items():   # alternately, so that a slow spell hits every reader
            start = time.perf_counter()
            texts[name] = read(path)
            times[name].append(time.perf_counter() - start)
    errors = {name: edit_distance(scored_characters(texts[name]), scored_characters(ref)) for name in readers}
    row = {"page": path.name}
    for name in readers:
        row[f"{name}_s"] = statistics.median(times[name])
        row[f"{name}_accuracy"] = 1 - errors[name] / len(scored_characters(ref))
    return row, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    args = parser.parse_args()
    folder = pages_dir()
    truth = json.loads((folder / "ground_truth.json").read_text())
    readers = readers_of(load_model(args.model))
    rows, errors = [], {name: 0 for name in readers}
    for page, ref in truth.items():
        row, page_errors = time_page(readers, folder / page, ref, args.repeats)
        rows.append(row)
        errors = {name: errors[name] + page_errors[name] for name in readers}
    length = sum(len(scored_characters(ref)) for ref in truth.values())
    summary = {name: {"median_s_per_page": statistics.median(r[f"{name}_s"] for r in rows),
                      "character_accuracy": 1 - errors[name] / length} for name in readers}
    for peer in [name for name in readers if name != "mlcore"]:
        summary[f"speedup_vs_{peer}"] = summary[peer]["median_s_per_page"] / summary["mlcore"]["median_s_per_page"]
    print("| page | " + " | ".join(f"{n} s | {n} accuracy" for n in readers) + " |")
    print("|---|" + "---|---|" * len(readers))
    for r in rows:
        print(f"| {r['page']} | " + " | ".join(f"{r[f'{n}_s']:.2f} | {r[f'{n}_accuracy']:.1%}" for n in readers) + " |")
    for name in readers:
        ratio = "" if name == "mlcore" else f", mlcore {summary[f'speedup_vs_{name}']:.2f}x faster"
        print(f"{name}: median {summary[name]['median_s_per_page']:.2f} s a page, "
              f"{summary[name]['character_accuracy']:.1%} of characters{ratio}")
    print(json.dumps({"pages": rows, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
