"""Milliseconds per character for a model's batched predictions, and its file size.

    python bench/inference_speed.py [--model PATH] [--batch 1000] [--repeats 7]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcore.data.paths import default_classifier_path  # noqa: E402
from mlcore.model_io import load_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    model = load_model(args.model)
    X = np.random.default_rng(0).random((args.batch, 1024), dtype=np.float32)
    model.network.predict_proba(X[:10])  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.network.predict_proba(X)
        times.append(time.perf_counter() - start)
    print(json.dumps({"model": str(args.model), "description": model.metadata.get("description"),
                      "file_mb": round(args.model.stat().st_size / 2**20, 2),
                      "parameters": model.network.n_parameters(), "batch": args.batch,
                      "ms_per_character": round(1000 * statistics.median(times) / args.batch, 4)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
