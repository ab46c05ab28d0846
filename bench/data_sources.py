"""The sources of the `handwriting` pool side by side: counts per source, split and class, stroke width
and size of each source's characters, and a picture of them.

    MLCORE_DATA_DIR=../shared/data python -m bench.data_sources [--out bench/results/data_sources.png]

Stroke width is measured the same way for every source (ink > 0.5: area over skeleton length, at
32x32), as is the ink box's longest side. Prints Markdown tables.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from mlcore.data.classes import CLASSES, is_letter
from mlcore.data.datasets import load_dataset
from mlcore.data.glyphs import ink_measures, rows_to_images

PER_ROW = 12


def counts_table(ds) -> list[str]:
    lines = ["| source | train letters | train digits | valid letters | valid digits | test letters | test digits |",
             "|---|---|---|---|---|---|---|"]
    for k, name in enumerate(ds.source_names):
        cells = []
        for split in ds.splits().values():
            y = split.y[split.source == k]
            cells += [str(int(is_letter(y).sum())), str(int((~is_letter(y)).sum()))]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def per_class_table(ds) -> list[str]:
    lines = ["| source | split | per class (min - max) |", "|---|---|---|"]
    for k, name in enumerate(ds.source_names):
        for split_name, split in ds.splits().items():
            counts = np.bincount(split.y[split.source == k], minlength=len(CLASSES))
            present = counts[counts > 0]
            lines.append(f"| {name} | {split_name} | {present.min()} - {present.max()} over {len(present)} classes |")
    return lines


def picture(ds, out: Path) -> None:
    """One row per source: the first PER_ROW training characters of classes spread over A-Z0-9."""
    rows = []
    for k in range(len(ds.source_names)):
        X, y = ds.train.X[ds.train.source == k], ds.train.y[ds.train.source == k]
        picks = [np.flatnonzero(y == c)[0] for c in np.unique(y)[:: max(1, len(np.unique(y)) // PER_ROW)]]
        images = rows_to_images(X[picks[:PER_ROW]])
        images = np.concatenate([images, np.ones((PER_ROW - len(images), 32, 32), np.float32)])
        rows.append(np.concatenate([np.pad(im, 1, constant_values=0.5) for im in images], axis=1))
    grid = (np.clip(np.concatenate(rows), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "data_sources.png")
    args = parser.parse_args()
    ds = load_dataset("handwriting")
    print("\n".join(counts_table(ds)), "\n")
    print("\n".join(per_class_table(ds)), "\n")
    print("| source | median stroke width (px at 32x32) | median ink box side (px) |\n|---|---|---|")
    for k, name in enumerate(ds.source_names):
        width, extent = ink_measures(ds.train.X[ds.train.source == k])
        print(f"| {name} | {width:.2f} | {extent:.0f} |")
    picture(ds, args.out)
    print(f"\npicture: {args.out} (rows: {', '.join(ds.source_names)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
