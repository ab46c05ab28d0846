"""Milliseconds per character for a model's batched predictions, its peak memory, and its file size.

    python -m bench.inference_speed [--model PATH] [--characters 1000] [--batch-sizes 64 1024] [--repeats 7]

The characters are predicted in one call, which the network cuts into batches of
each --batch-sizes value in turn (the first is `Network.output`'s default, INFERENCE_BATCH):
median milliseconds per character, and the peak of memory allocated during a call
(tracemalloc, in a separate untimed call).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from mlcore.data.paths import default_classifier_path
from mlcore.model_io import load_model
from mlcore.network import INFERENCE_BATCH


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_classifier_path())
    parser.add_argument("--characters", type=int, default=1000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[INFERENCE_BATCH, 1024])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    model = load_model(args.model)
    network = model.network
    X = np.random.default_rng(0).random((args.characters, 1024), dtype=np.float32)
    network.output(X[:10])  # warm-up
    results = []
    for batch_size in args.batch_sizes:
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            network.output(X, batch_size=batch_size)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        network.output(X, batch_size=batch_size)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        ms = 1000 * statistics.median(times) / len(X)
        results.append({"batch_size": batch_size, "ms_per_character": round(ms, 4), "peak_mb": round(peak / 2**20, 1)})
    print(json.dumps({"model": str(args.model), "description": network.describe(),
                      "file_mb": round(args.model.stat().st_size / 2**20, 2),
                      "parameters": network.n_parameters(), "characters": len(X), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
