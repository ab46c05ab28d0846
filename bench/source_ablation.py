"""What each source of the `handwriting` pool contributes: the shipped CNN recipe trained without it.

    MLCORE_DATA_DIR=../shared/data python -m bench.source_ablation [--only NAME ...] [--seeds 0]

Every row trains on the pool's training split with some sources' samples left out, and is scored on
the whole pool's validation and test splits (the same samples for every row, so rows compare), per
source and within groups. Prints a Markdown table and writes the raw results as JSON.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path

import numpy as np

from bench.classifier_ablation import train_seeds
from mlcore.data.datasets import load_dataset

CNN = ("--arch cnn --optimizer adam --lr 1e-3 --batch-size 64 --epochs 30 --decay-step 10 --augment "
       "--elastic 1.5")
ROWS = [
    ("all sources", ()),
    ("without chars74k", ("chars74k",)),
    ("without nist26_valid_2016oct", ("nist26_valid_2016oct",)),
]


def without(dataset, names: tuple[str, ...]):
    """The dataset with the named sources' samples taken out of its training split only."""
    drop = [dataset.source_names.index(n) for n in names]
    return dataclasses.replace(dataset, train=dataset.train.subset(~np.isin(dataset.train.source, drop)))


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
        runs = train_seeds(name, CNN, without(dataset, dropped), args.seeds, scores)
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
