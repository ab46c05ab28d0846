"""How fast Stop takes effect on a worker, and how right the ETA is along a run.

    MLCORE_DATA_DIR=../shared/data python -m bench.controls [--tries 10]

On an embedded cluster of 2 workers: `--tries` times, a training is started, Stop is sent once it is well
under way, and the time until the server sees that the worker has left its batch loop (click-to-stopped)
and until the stopped run is saved are measured. Then a CNN of 3 epochs and the homework MLP of 30 epochs
(the load test's runs) train alone while the ETA the page shows is sampled 5 times a second, and compared
with the time that really remained, between 10% and 90% of the run's time (near its end the relative
error of any estimate grows without bound, so the absolute error is given after 10% too). Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlcore.classifier import ClassifierRecipe
from mlcore.data.augment import Augmentation
from mlcore.data.paths import data_dir
from mlcore.jobs.cluster import ClusterSettings, start_executor
from mlcore.jobs.executor import RUNNING
from mlcore.jobs.progress import EVALUATING, LOADING, STOP, TRAINING
from mlcore.registry import Registry
from mlcore.training import TrainConfig

LONG = ClassifierRecipe(hidden=(64,), train=TrainConfig(epochs=50, batch_size=1))
RUNS = {
    "cnn_3_epochs": ClassifierRecipe(arch="cnn", optimizer="adam", lr=1e-3, augmentation=Augmentation(elastic=1.5),
                                     train=TrainConfig(epochs=3, batch_size=64)),
    "homework_mlp_30_epochs": ClassifierRecipe(standardize=False, train=TrainConfig(epochs=30, batch_size=5)),
}


def submit(ex, recipe, owner, registry=None):
    return ex.submit([(owner, recipe)], "handwriting", owner=owner, registry=registry, data_dir=str(data_dir()))


def wait(condition, poll=0.005):
    while not condition():
        time.sleep(poll)
    return time.perf_counter()


def stop_latencies(ex, tries: int, registry) -> dict:
    stopped, saved = [], []
    for i in range(tries):
        job = submit(ex, LONG, f"stop{i}", registry)
        wait(lambda job=job: (job.state == RUNNING and job.active.progress.phase == TRAINING
                              and job.active.progress.batch > 50), 0.05)
        clicked = time.perf_counter()
        ex.control(job, STOP)
        stopped.append(wait(lambda job=job: job.active.progress.phase == EVALUATING or not job.running) - clicked)
        saved.append(wait(lambda job=job: not job.running) - clicked)
        assert job.runs[0].saved is not None and job.runs[0].saved.status == "stopped"
    return {"click_to_stopped_s": {"median": statistics.median(stopped), "max": max(stopped), "all": stopped},
            "click_to_saved_s": {"median": statistics.median(saved), "max": max(saved)}}


def eta_accuracy(ex, recipe) -> dict:
    """The ETA the page shows, sampled 5 times a second while the run trains, against the time that
    really remained; `at` is the share of the run's time gone (from its start on a worker)."""
    job = submit(ex, recipe, "eta")
    samples = []
    while job.running:
        eta = job.eta_seconds()
        if job.state == RUNNING and job.active.progress.phase != LOADING:
            samples.append((time.perf_counter(), eta))
        time.sleep(0.2)
    end = time.perf_counter()
    start = samples[0][0]
    duration = end - start
    shown = [((t - start) / duration, eta, end - t) for t, eta in samples if eta is not None]
    middle = [abs(eta - left) / left for at, eta, left in shown if 0.1 <= at <= 0.9]

    def at(share):
        return next((round(abs(eta - left) / left, 3) for a, eta, left in shown if a >= share), None)

    return {"seconds": round(duration, 1),
            "first_eta_at": round(shown[0][0], 3) if shown else None,
            "relative_error_at": {f"{int(f * 100)}%": at(f) for f in (0.1, 0.25, 0.5, 0.75, 0.9)},
            "max_relative_error_10_to_90%": round(max(middle), 3) if middle else None,
            "median_relative_error_10_to_90%": round(statistics.median(middle), 3) if middle else None,
            "max_abs_error_after_10%_s": round(max(abs(eta - left) for a, eta, left in shown if a >= 0.1), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    ex = start_executor(ClusterSettings(workers=2))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            warm = submit(ex, RUNS["cnn_3_epochs"], "warm")   # both workers load the data once
            warm2 = submit(ex, LONG, "warm2")
            wait(lambda: warm2.state == RUNNING and warm2.active.progress.phase == TRAINING, 0.1)
            ex.control(warm, STOP)
            ex.control(warm2, STOP)
            wait(lambda: not warm.running and not warm2.running, 0.1)
            result = {"stop": stop_latencies(ex, args.tries, Registry(Path(tmp))),
                      "eta": {name: eta_accuracy(ex, recipe) for name, recipe in RUNS.items()}}
    finally:
        ex.close()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
