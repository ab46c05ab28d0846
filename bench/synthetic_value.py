"""What the offline default buys: one recipe trained on the synthetic set and on real handwriting,
both scored on the same real test split.

    MLCORE_DATA_DIR=../shared/data python -m bench.synthetic_value [--only NAME ...]

Each row is a `python -m mlcore train` command line (the same parser builds its recipe), trained once
with --dataset synthetic and once with --dataset handwriting; both networks are scored on the
'handwriting' test split (real letters and digits no network here was trained on). Prints a Markdown
table and writes it to bench/results/synthetic_value.md.
"""
from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path

from mlcore.classifier import train_classifier
from mlcore.cli import build_parser, recipe_from_args
from mlcore.data.datasets import SYNTHETIC, load_dataset
from mlcore.metrics import classification_report

ROWS = [
    ("Train page default (MLP 64, SGD, 10 epochs)", "--epochs 10"),
    ("CNN, Adam, 10 epochs, augmented", "--arch cnn --optimizer adam --lr 1e-3 --batch-size 64 --epochs 10 --augment"),
]
OUT = Path(__file__).resolve().parent / "results" / "synthetic_value.md"


def _score(args: str, train_on: str, real_test) -> dict:
    parsed = build_parser().parse_args(["train", "--dataset", train_on, *shlex.split(args)])
    started = time.perf_counter()
    trained = train_classifier(load_dataset(train_on), recipe_from_args(parsed))
    report = classification_report(real_test.y, trained.network.predict(real_test.X))
    return {"letters": report["letters"]["accuracy"], "digits": report["digits"]["accuracy"],
            "balanced": report["balanced_accuracy"], "seconds": time.perf_counter() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="row names to run (default: all)")
    opts = parser.parse_args()
    real_test = load_dataset("handwriting").test
    lines = [f"Scored on the real 'handwriting' test split ({len(real_test.y):,} characters).", "",
             "| recipe | trained on | test letters | test digits | test balanced | train time (s) |",
             "|---|---|---|---|---|---|"]
    for name, args in ROWS:
        if opts.only and name not in opts.only:
            continue
        for train_on in (SYNTHETIC, "handwriting"):
            r = _score(args, train_on, real_test)
            lines.append(f"| {name}: `{args}` | {train_on} | {r['letters']:.1%} | {r['digits']:.1%} | "
                         f"{r['balanced']:.1%} | {r['seconds']:.0f} |")
            print(lines[-1], flush=True)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
