"""Seconds per training epoch: mlcore against the same network in PyTorch (CPU).

    pip install -r bench/requirements.txt      # torch==2.13.0, for benchmarks only
    python bench/train_speed.py [--samples 10000] [--repeats 5]

Both frameworks train the homework network (1024-64 sigmoid-36, softmax
cross-entropy, plain SGD) on the same random data, in the same order, in this
one process, alternating so that machine noise hits both alike. Reported: the
median seconds per epoch of each and their ratio (mlcore / torch; below 1 means
mlcore is faster).
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

from mlcore.architectures import build_mlp  # noqa: E402
from mlcore.optimizers import SGD  # noqa: E402

LR = 0.0175


def mlcore_epoch(X, y, order, batch_size) -> float:
    net = build_mlp((64,), "sigmoid", seed=0)
    opt = SGD(LR)
    start = time.perf_counter()
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        net.loss_and_gradients(X[idx], y[idx])
        opt.step(net)
    return time.perf_counter() - start


def torch_epoch(X, y, order, batch_size) -> float:
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1024, 64), torch.nn.Sigmoid(), torch.nn.Linear(64, 36))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt, order_t = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)
    start = time.perf_counter()
    for i in range(0, len(order), batch_size):
        idx = order_t[i:i + batch_size]
        opt.zero_grad()
        loss_fn(net(Xt[idx]), yt[idx]).backward()
        opt.step()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[5, 32, 256])
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install -r bench/requirements.txt", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 1024), dtype=np.float32)
    y = rng.integers(0, 36, args.samples)
    order = rng.permutation(args.samples)
    results = []
    for bs in args.batch_sizes:
        times = {"mlcore": [], "torch": []}
        mlcore_epoch(X, y, order[:2000], bs)  # warm-up
        torch_epoch(X, y, order[:2000], bs)
        for _ in range(args.repeats):
            times["mlcore"].append(mlcore_epoch(X, y, order, bs))
            times["torch"].append(torch_epoch(X, y, order, bs))
        med = {k: statistics.median(v) for k, v in times.items()}
        results.append({"network": "1024-64(sigmoid)-36", "batch_size": bs, "samples": args.samples,
                        "mlcore_s_per_epoch": round(med["mlcore"], 4), "torch_s_per_epoch": round(med["torch"], 4),
                        "ratio_mlcore_over_torch": round(med["mlcore"] / med["torch"], 3)})
        print(f"batch {bs:4d}: mlcore {med['mlcore']:.3f} s/epoch, torch {med['torch']:.3f} s/epoch, "
              f"ratio {med['mlcore'] / med['torch']:.2f}", file=sys.stderr)
    print(json.dumps({"torch": torch.__version__, "numpy": np.__version__,
                      "torch_threads": torch.get_num_threads(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
