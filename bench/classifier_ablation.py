"""What each step contributes to the classifier: one training run per row.

    MLCORE_DATA_DIR=../shared/data python -m bench.classifier_ablation [--only NAME ...] [--seeds 0 1 2]

Each row is a `python -m mlcore train` command line (the same parser builds its
recipe), trained on the 'handwriting' dataset and reported on the valid and
test splits: letters, digits and balanced accuracy. Rows are chosen and
compared on valid; test is reported, never used to choose. With several
seeds, each figure is the mean and the spread (sample standard deviation).
Prints a Markdown table and writes the raw results as JSON.
"""
from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

from mlcore.classifier import train_classifier
from mlcore.cli import build_parser, recipe_from_args
from mlcore.data.datasets import load_dataset
from mlcore.model_io import save_model

CNN = "--arch cnn --optimizer adam --lr 1e-3 --batch-size 64 --epochs 30 --decay-step 10"
ROWS = [
    ("cnn (raw pixels)", f"{CNN} --no-standardize --no-balance"),
    ("+ balance", f"{CNN} --no-standardize"),
    ("+ augmentation", f"{CNN} --no-standardize --augment"),
    ("+ standardized inputs", f"{CNN} --augment"),
    ("+ synthetic 100/class", f"{CNN} --augment --synthetic 100"),
    # Synthetic characters lowered valid accuracy, so the next steps build on the row before them.
    ("+ dropout 0.3 (no synthetic)", f"{CNN} --augment --dropout 0.3"),
    ("smaller: 16-32 channels", f"{CNN} --augment --dropout 0.3 --channels 16 32"),
    # Dropout and fewer channels did not beat "+ standardized inputs" on valid: elastic distortion builds on it.
    ("+ elastic 1.0 px", f"{CNN} --augment --elastic 1"),
    ("+ elastic 1.5 px", f"{CNN} --augment --elastic 1.5"),
    ("+ elastic 1.0 px, 60 epochs", f"{CNN.replace('--epochs 30 --decay-step 10', '--epochs 60 --decay-step 20')} "
                                    "--augment --elastic 1"),
]


def headline(metrics: dict) -> dict:
    return {f"{split}_{part}": (m[part]["accuracy"] if part != "balanced" else m["balanced_accuracy"])
            for split, m in metrics.items() if split != "train" for part in ("letters", "digits", "balanced")}


def train_seeds(name: str, flags: str, dataset, seeds, scores, save_dir: Path | None = None) -> list[dict]:
    """One training per seed of `python -m mlcore train FLAGS` on `dataset`: each run's seconds and scores."""
    runs = []
    for seed in seeds:
        argv = ["train", "--dataset", dataset.name, *shlex.split(flags), "--seed", str(seed)]
        start = time.perf_counter()
        trained = train_classifier(dataset, recipe_from_args(build_parser().parse_args(argv)),
                                   command="python -m mlcore " + shlex.join(argv))
        if save_dir:
            slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
            save_model(save_dir / f"{slug}-seed{seed}.npz", trained.network, trained.metadata)
        runs.append({"seed": seed, "seconds": time.perf_counter() - start, **scores(trained.metrics)})
        print(f"{name} seed {seed}: " + json.dumps({k: round(v, 4) for k, v in runs[-1].items()}), file=sys.stderr)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help="row names to run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--json", type=Path, default=Path("bench/results/classifier_ablation.json"))
    parser.add_argument("--save-dir", type=Path, default=None, help="save each run's model here")
    args = parser.parse_args()
    dataset = load_dataset("handwriting")
    rows = []
    for name, flags in ROWS:
        if args.only and name not in args.only:
            continue
        runs = train_seeds(name, flags, dataset, args.seeds, headline, args.save_dir)
        rows.append({"name": name, "command": f"python -m mlcore train --dataset handwriting {flags}", "runs": runs})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2))

    def cell(runs, key):
        values = [r[key] * 100 for r in runs]
        if len(values) == 1:
            return f"{values[0]:.1f}"
        return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"

    keys = [f"{s}_{p}" for s in ("valid", "test") for p in ("letters", "digits", "balanced")]
    print("| step | " + " | ".join(k.replace("_", " ") for k in keys) + " | s/run |")
    print("|---|" + "---|" * (len(keys) + 1))
    for row in rows:
        secs = statistics.mean(r["seconds"] for r in row["runs"])
        print(f"| {row['name']} | " + " | ".join(cell(row["runs"], k) for k in keys) + f" | {secs:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
