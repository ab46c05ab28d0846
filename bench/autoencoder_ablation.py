"""What each step contributes to the autoencoder's PSNR: one training run per row.

    MLCORE_DATA_DIR=../shared/data python -m bench.autoencoder_ablation [--only NAME ...] [--save-dir DIR]

Each row is a `python -m mlcore autoencoder train` command line (the same
parser builds its recipe), trained on the 'handwriting' dataset; the code stays
32 numbers wide in every row, so that the gains come from training and
architecture, not from a wider code. Rows are compared on the validation
split's mean PSNR; test is reported, never used to choose. Prints a Markdown
table and writes the raw results as JSON.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from mlcore.autoencoder import train_autoencoder
from mlcore.cli import autoencoder_recipe_from_args, build_parser
from mlcore.data.datasets import load_dataset
from mlcore.model_io import save_model

ROWS = [
    ("homework: 32-32-32, momentum SGD", ""),
    ("+ Adam", "--optimizer adam --lr 1e-3"),
    ("+ standardized inputs", "--optimizer adam --lr 1e-3 --standardize"),
    ("+ 256-32-256", "--hidden 256 32 256 --optimizer adam --lr 1e-3 --standardize"),
    ("+ augmentation", "--hidden 256 32 256 --optimizer adam --lr 1e-3 --standardize --augment"),
    ("+ 150 epochs, lr halved every 50",
     "--hidden 256 32 256 --optimizer adam --lr 1e-3 --standardize --augment --epochs 150 --decay-step 50"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help="row names to run")
    parser.add_argument("--json", type=Path, default=Path("bench/results/autoencoder_ablation.json"))
    parser.add_argument("--save-dir", type=Path, default=None, help="save each run's model here")
    args = parser.parse_args()
    dataset = load_dataset("handwriting")
    rows = []
    for i, (name, flags) in enumerate(ROWS):
        if args.only and name not in args.only:
            continue
        argv = ["autoencoder", "train", "--dataset", "handwriting", *shlex.split(flags)]
        start = time.perf_counter()
        trained = train_autoencoder(dataset, autoencoder_recipe_from_args(build_parser().parse_args(argv)),
                                    command="python -m mlcore " + shlex.join(argv))
        if args.save_dir:
            save_model(args.save_dir / f"row{i}.npz", trained.network, trained.metadata)
        rows.append({"name": name, "command": "python -m mlcore " + shlex.join(argv),
                     "seconds": time.perf_counter() - start, "status": trained.result.status,
                     **{split: trained.metrics[split] for split in ("valid", "test")}})
        r = rows[-1]
        print(f"{name}: valid {r['valid']['psnr']:.2f} dB ({r['seconds']:.0f} s)", file=sys.stderr, flush=True)
    print("| step | valid PSNR | valid letters | valid digits | test PSNR | seconds |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        v, t = r["valid"], r["test"]
        print(f"| {r['name']} | {v['psnr']:.2f} | {v['letters']:.2f} | {v['digits']:.2f} | {t['psnr']:.2f} "
              f"| {r['seconds']:.0f} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
