"""Seconds per training epoch: mlcore against the same networks in PyTorch (CPU).

    pip install -r bench/requirements.txt      # torch==2.13.0, for benchmarks only
    python -m bench.train_speed [--samples 10000] [--repeats 5]

Two networks: the homework MLP (1024-64 sigmoid-36, plain SGD) at batch 5, 32
and 256, and the default CNN (as `python -m mlcore train --arch cnn` builds it,
Adam) at batch 64. Each PyTorch twin is built layer by layer from the mlcore
network's own architecture description, so both train the same layers with
the same shapes on the same random data in the same order. Both run in this one
process, alternating, so that machine noise hits both alike. Reported: median
seconds per epoch of each and the ratio mlcore / torch (below 1: mlcore faster).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from mlcore.architectures import build_cnn, build_mlp
from mlcore.optimizers import SGD, Adam

LR_SGD, LR_ADAM = 0.0175, 1e-3


def torch_twin(network):
    """The same layers in PyTorch (channels-first images, as torch expects)."""
    import torch.nn as nn

    make = {
        "dense": lambda c: nn.Linear(c["n_in"], c["n_out"]),
        "conv2d": lambda c: nn.Conv2d(c["in_channels"], c["out_channels"], c["kernel_size"], c["stride"],
                                      c["padding"]),
        "maxpool2d": lambda c: nn.MaxPool2d(c["size"]),
        "relu": lambda c: nn.ReLU(), "sigmoid": lambda c: nn.Sigmoid(), "tanh": lambda c: nn.Tanh(),
        "flatten": lambda c: nn.Flatten(), "dropout": lambda c: nn.Dropout(c["rate"]),
        "rows_to_images": lambda c: nn.Unflatten(1, (1, c["size"], c["size"])),
    }
    return nn.Sequential(*(make[spec["kind"]](spec) for spec in network.architecture()["layers"]))


def mlcore_epoch(make_net, make_opt, X, y, order, batch_size) -> float:
    net = make_net()
    opt = make_opt()
    start = time.perf_counter()
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        net.loss_and_gradients(X[idx], y[idx])
        opt.step(net)
    return time.perf_counter() - start


def torch_epoch(make_net, optimizer, X, y, order, batch_size) -> float:
    import torch

    torch.manual_seed(0)
    net = torch_twin(make_net())
    lr = LR_ADAM if optimizer == "adam" else LR_SGD
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt, order_t = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)
    start = time.perf_counter()
    for i in range(0, len(order), batch_size):
        idx = order_t[i:i + batch_size]
        opt.zero_grad()
        loss_fn(net(Xt[idx]), yt[idx]).backward()
        opt.step()
    return time.perf_counter() - start


CASES = [
    # (name, network builder, optimizer, batch sizes)
    ("mlp", lambda: build_mlp((64,), "sigmoid", seed=0), "sgd", (5, 32, 256)),
    ("cnn", lambda: build_cnn(seed=0), "adam", (64,)),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=[c[0] for c in CASES], default=None)
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
    for name, make_net, optimizer, batch_sizes in CASES:
        if args.only and name != args.only:
            continue
        make_opt = (lambda: Adam(LR_ADAM)) if optimizer == "adam" else (lambda: SGD(LR_SGD))
        for bs in batch_sizes:
            times = {"mlcore": [], "torch": []}
            mlcore_epoch(make_net, make_opt, X, y, order[:1000], bs)  # warm-up
            torch_epoch(make_net, optimizer, X, y, order[:1000], bs)
            for _ in range(args.repeats):
                times["mlcore"].append(mlcore_epoch(make_net, make_opt, X, y, order, bs))
                times["torch"].append(torch_epoch(make_net, optimizer, X, y, order, bs))
            med = {k: statistics.median(v) for k, v in times.items()}
            ratio = med["mlcore"] / med["torch"]
            results.append({"network": make_net().describe(), "optimizer": optimizer, "batch_size": bs,
                            "samples": args.samples, "mlcore_s_per_epoch": round(med["mlcore"], 4),
                            "torch_s_per_epoch": round(med["torch"], 4), "ratio_mlcore_over_torch": round(ratio, 3)})
            print(f"{name} batch {bs:4d}: mlcore {med['mlcore']:.3f} s/epoch, torch {med['torch']:.3f} s/epoch, "
                  f"ratio {ratio:.2f}", file=sys.stderr)
    print(json.dumps({"torch": torch.__version__, "numpy": np.__version__,
                      "torch_threads": torch.get_num_threads(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
