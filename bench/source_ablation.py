"""What each source of the `handwriting` pool contributes: the shipped CNN recipe trained without it.

    MLCORE_DATA_DIR=../shared/data python bench/source_ablation.py [--only NAME ...] [--seeds 0]

Every row trains on the pool's training split with some sources' samples left out, and is scored on
the whole pool's validation and test splits (the same samples for every row, so rows compare), per
source and within groups. Prints a Markdown table and writes the raw results as JSON.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcore.classifier import train_classifier  # noqa: E402
from mlcore.cli import build_parser, recipe_from_args  # noqa: E402
from mlcore.data.datasets import Split, load_dataset  # noqa: E402

CNN = ("--arch cnn --optimizer adam --lr 1e-3 --batch-size 64 --epochs 30 --decay-step 10 --augment "
       "--elastic 1.5")
NEW = ("chars74k", "nist26_valid_2016oct")
ROWS = [
    ("all sources", ()),
    ("without chars74k", ("chars74k",)),
    ("without nist26_valid_2016oct", ("nist26_valid_2016oct",)),
    ("without both (the pool before them)", NEW),
]


def without(dataset, names: tuple[str, ...]):
    """The dataset with the named sources' samples taken out of its training split only."""
    drop = [dataset.source_names.index(n) for n in names]
    keep = ~np.isin(dataset.train.source, drop)
    train = Split(dataset.train.X[keep], dataset.train.y[keep], dataset.train.source[keep])
    return dataclasses.replace(dataset, train=train)


def scores(metrics: dict) -> dict:
    out = {}
    for split in ("valid", "test"):
        m = metrics[split]
        out[f"{split} letters"] = m["letters"]["accuracy"]
        out[f"{split} digits"] = m["digits"]["accuracy"]
        out[f"{split} within letters"] = m["within_group"]["letters"]["accuracy"]
        out[f"{split} within digits"] = m["within_group"]["digits"]["accuracy"]
        for name, s in m["sources"].items():
            out[f"{split} {name}"] = s["accuracy"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help="row names to run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--json", type=Path, default=Path("bench/results/source_ablation.json"))
    args = parser.parse_args()
    dataset = load_dataset("handwriting")
    rows = []
    for name, dropped in ROWS:
        if args.only and name not in args.only:
            continue
        runs = []
        for seed in args.seeds:
            argv = ["train", "--dataset", "handwriting", *shlex.split(CNN), "--seed", str(seed)]
            start = time.perf_counter()
            trained = train_classifier(without(dataset, dropped), recipe_from_args(build_parser().parse_args(argv)))
            runs.append({"seed": seed, "seconds": time.perf_counter() - start, **scores(trained.metrics)})
            print(f"{name} seed {seed}: " + json.dumps({k: round(v, 4) for k, v in runs[-1].items()}), file=sys.stderr)
        rows.append({"name": name, "dropped": list(dropped), "runs": runs})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2))
    keys = [k for k in rows[0]["runs"][0] if k.startswith("test")] if rows else []
    print("| training data | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for row in rows:
        cells = [statistics.mean(r[k] for r in row["runs"]) * 100 for k in keys]
        print(f"| {row['name']} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
