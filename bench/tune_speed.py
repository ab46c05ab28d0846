"""Wall time of one hyperparameter search on 1 worker against 2, in the same script.

    MLCORE_DATA_DIR=../shared/data python -m bench.tune_speed [--trials 8] [--epochs 5] [--repeats 1]

The same study twice (same space, budget, sampler seed; no pruner, so that both run the same trials
to the end): on an embedded cluster of one worker process, then of two. With 8 trials Optuna's TPE
sampler is still drawing its first, random trials (n_startup_trials=6, then two more whose values may
differ), so both searches train nearly the same networks; the trials' parameters are printed to check.
Reported: each search's wall time, the median over --repeats, and the ratio 1 worker / 2 workers
(2 would be perfect scaling; the evaluation and the server's work are shared).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from mlcore.classifier import ClassifierRecipe
from mlcore.data.paths import data_dir
from mlcore.jobs.cluster import ClusterSettings, start_executor
from mlcore.registry import Registry
from mlcore.training import TrainConfig
from mlcore.tuning.search import Search
from mlcore.tuning.space import Range
from mlcore.tuning.study import Budget, StudySpec, open_storage, open_study

BASE = ClassifierRecipe(hidden=(64,), activation="sigmoid", optimizer="sgd", lr=0.0175,
                        train=TrainConfig(batch_size=5))
SPACE = (Range("lr", 1e-3, 0.1), Range("activation", choices=("relu", "sigmoid", "tanh")))


def timed_search(workers: int, trials: int, epochs: int) -> tuple[float, Search]:
    folder = Path(tempfile.mkdtemp())
    spec = StudySpec("speed", BASE, SPACE, epochs, "handwriting", pruner="none")
    study = open_study(spec, open_storage(f"sqlite:///{folder}/studies.sqlite"))
    executor = start_executor(ClusterSettings(workers=workers, per_visitor=workers))
    try:
        executor.client.wait_for_workers(workers)
        search = Search(executor, spec, study, Budget(trials=trials, epochs=epochs), owner="bench",
                        registry=Registry(folder / "runs"), data_dir=str(data_dir()))
        start = time.perf_counter()
        search.run(poll=0.2)
        return time.perf_counter() - start, search
    finally:
        executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    seconds = {1: [], 2: []}
    for _ in range(args.repeats):
        for workers in (1, 2):
            wall, search = timed_search(workers, args.trials, args.epochs)
            seconds[workers].append(wall)
            print(f"{workers} worker(s): {wall:.1f} s, {sum(t.state == 'complete' for t in search.trials)} trials "
                  f"complete, best {search.best().value:.4f}; trials: "
                  + "; ".join(f"{t.values['lr']:.4g} {t.values['activation']}" for t in search.trials), flush=True)
    one, two = statistics.median(seconds[1]), statistics.median(seconds[2])
    print(f"\nmedian wall time: 1 worker {one:.1f} s, 2 workers {two:.1f} s; ratio 1/2 = {one / two:.2f}")


if __name__ == "__main__":
    main()
