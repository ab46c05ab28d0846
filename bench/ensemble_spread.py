"""Single networks against ensembles of them: mean and spread over independent groups of seeds.

    for s in 0 1 2 3 4 5 6 7 8; do python -m mlcore train --dataset handwriting --arch cnn --optimizer adam \\
        --lr 1e-3 --batch-size 64 --epochs 30 --decay-step 10 --augment --elastic 1.5 --seed $s \\
        --out cnn_seed$s.npz; done
    MLCORE_DATA_DIR=../shared/data python -m bench.ensemble_spread cnn_seed{0..8}.npz [--size 3]

The models are taken in consecutive groups of --size (seeds 0-2, 3-5, 6-8): for
each group, its first member alone and the ensemble of the group, on the valid
and test splits of the dataset they were trained on. Prints letters, digits and
balanced accuracy as mean +- sample standard deviation over the groups.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from mlcore.data.datasets import load_dataset
from mlcore.ensemble import ensemble
from mlcore.metrics import classification_report
from mlcore.model_io import load_classifier


def scores(network, dataset) -> dict[str, float]:
    out = {}
    for split in ("valid", "test"):
        data = getattr(dataset, split)
        r = classification_report(data.y, network.predict(data.X), dataset.classes)
        out |= {f"{split} letters": r["letters"]["accuracy"], f"{split} digits": r["digits"]["accuracy"],
                f"{split} balanced": r["balanced_accuracy"]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--size", type=int, default=3, help="members per ensemble")
    args = parser.parse_args()
    if args.size < 2 or len(args.models) % args.size:
        parser.error(f"give a multiple of --size {args.size} models (and --size >= 2)")
    models = [load_classifier(p) for p in args.models]
    dataset = load_dataset(models[0].metadata.get("data", {}).get("dataset"))
    rows = {"single": [], "ensemble": []}
    for i in range(0, len(models), args.size):
        group = [m.network for m in models[i:i + args.size]]
        rows["single"].append(scores(group[0], dataset))
        rows["ensemble"].append(scores(ensemble(group), dataset))
    keys = list(rows["single"][0])
    print("| model | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for kind, rs in rows.items():
        cells = [f"{100 * statistics.mean(r[k] for r in rs):.1f} ± {100 * statistics.stdev(r[k] for r in rs):.1f}"
                 if len(rs) > 1 else f"{100 * rs[0][k]:.1f}" for k in keys]
        print(f"| {kind} ({len(rs)} groups) | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
