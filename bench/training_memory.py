"""The estimate of a training's peak memory (mlcore.limits) against the peak really measured.

    MLCORE_DATA_DIR=../shared/data python -m bench.training_memory

Each recipe trains for one epoch on the `handwriting` dataset in a fresh process, whose peak resident
memory (ru_maxrss) is read when it ends; the process's memory before loading the data stands for a
worker's base. Prints JSON: per recipe, the estimate, the measurement and their ratio.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import replace

from mlcore.autoencoder import AutoencoderRecipe
from mlcore.classifier import ClassifierRecipe
from mlcore.data.augment import Augmentation
from mlcore.data.paths import REPO_ROOT
from mlcore.training import TrainConfig

ONE_EPOCH = TrainConfig(epochs=1, batch_size=64)
RECIPES = {
    "homework MLP": ClassifierRecipe(standardize=False, train=replace(ONE_EPOCH, batch_size=5)),
    "MLP 1024-512 adam, augmented": ClassifierRecipe(hidden=(1024, 512), activation="relu", optimizer="adam",
                                                     augmentation=Augmentation(), train=ONE_EPOCH),
    "MLP 2048x3 adam, batch 256": ClassifierRecipe(hidden=(2048, 2048, 2048), activation="relu", optimizer="adam",
                                                   train=replace(ONE_EPOCH, batch_size=256)),
    "CNN adam, augmented": ClassifierRecipe(arch="cnn", optimizer="adam", augmentation=Augmentation(elastic=1.5),
                                            train=ONE_EPOCH),
    "CNN 64-128, batch 256": ClassifierRecipe(arch="cnn", channels=(64, 128), optimizer="adam",
                                              train=replace(ONE_EPOCH, batch_size=256)),
    "autoencoder (homework)": AutoencoderRecipe(),
}


def measure(name: str) -> dict:
    """Run in a child process: one epoch of RECIPES[name]; the base and peak RSS in MB."""
    from mlcore.autoencoder import train_autoencoder
    from mlcore.classifier import train_classifier
    from mlcore.data.datasets import load_dataset

    recipe = RECIPES[name]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dataset = load_dataset("handwriting")
    recipe = replace(recipe, train=replace(recipe.train, epochs=1))
    (train_classifier if isinstance(recipe, ClassifierRecipe) else train_autoencoder)(dataset, recipe)
    n = sum(len(s) for s in dataset.splits().values())
    return {"base_mb": base, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "samples": n}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2])))
        return 0
    from mlcore.limits import WORKER_BASE_MB, training_footprint

    rows = {}
    for name, recipe in RECIPES.items():
        done = subprocess.run([sys.executable, "-m", "bench.training_memory", "--child", name], cwd=REPO_ROOT,
                              capture_output=True, text=True, check=True)
        m = json.loads(done.stdout)
        params, estimate = training_footprint(recipe, m["samples"])
        # the estimate assumes a worker's base; the child's own base replaces it in the comparison
        work_estimate, work_measured = estimate - WORKER_BASE_MB, m["peak_mb"] - m["base_mb"]
        rows[name] = {"parameters": params, "estimate_mb": round(work_estimate, 1),
                      "measured_mb": round(work_measured, 1), "ratio": round(work_estimate / work_measured, 2)}
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
