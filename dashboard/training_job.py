"""Training in a background thread, one job per browser session.

The page starts a job and returns at once; a fragment polls the job every
second to draw its progress, so the page never freezes and the Stop button
stays live. The thread never calls Streamlit: it only fills the job's lists,
which the page reads. Each finished, stopped or diverged run is saved to the
registry before the job reports it done.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from mlcore.autoencoder import AutoencoderRecipe, TrainedAutoencoder, train_autoencoder
from mlcore.classifier import ClassifierRecipe, TrainedClassifier, train_classifier
from mlcore.data.datasets import Dataset
from mlcore.registry import Registry, Run
from mlcore.training import Callback, EpochRecord

Recipe = ClassifierRecipe | AutoencoderRecipe
TRAINERS = {ClassifierRecipe: train_classifier, AutoencoderRecipe: train_autoencoder}


@dataclass
class RunProgress:
    name: str
    recipe: Recipe
    records: list[EpochRecord] = field(default_factory=list)
    batch: tuple[int, int] = (0, 1)           # batches done, batches in the epoch
    initial_weights: np.ndarray | None = None  # first layer, before training
    trained: TrainedClassifier | TrainedAutoencoder | None = None
    saved: Run | None = None


class _Progress(Callback):
    def __init__(self, run: RunProgress):
        self.run = run

    def on_batch_end(self, epoch, batch, n_batches, loss):
        self.run.batch = (batch, n_batches)

    def on_epoch_end(self, record, network):
        self.run.records.append(record)


class TrainingJob:
    def __init__(self, dataset: Dataset, runs: list[tuple[str, Recipe]], registry: Registry | None,
                 settings: dict):
        self.dataset = dataset
        self.runs = [RunProgress(name, recipe) for name, recipe in runs]
        self.registry = registry
        self.settings = settings
        self.stop_event = threading.Event()
        self.started = time.monotonic()
        self.finished: float | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._work, daemon=True)

    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self.finished is None

    def stop(self) -> None:
        self.stop_event.set()

    def _work(self) -> None:
        try:
            for run in self.runs:
                if self.stop_event.is_set():
                    break
                network = run.recipe.build_for(self.dataset)
                run.initial_weights = network.layers[network.first_weighted_layer()].params["W"].copy()
                start = time.monotonic()
                train = TRAINERS[type(run.recipe)]
                run.trained = train(self.dataset, run.recipe, network=network, callbacks=[_Progress(run)],
                                    should_stop=self.stop_event.is_set)
                # The history also holds an epoch that diverged, which no callback saw.
                run.records = list(run.trained.result.history.records)
                if self.registry is None:
                    continue
                run.saved = self.registry.add(
                    run.trained.network, run.trained.metadata, kind=run.trained.metadata["kind"], name=run.name,
                    status=run.trained.result.status, seconds=time.monotonic() - start,
                    settings={**self.settings, **run.recipe.to_dict()}, metrics=run.trained.summary(),
                    history=run.trained.result.history.to_dict())
        except Exception as exc:  # reported on the page; the thread must never die silently
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.finished = time.monotonic()

    def eta_seconds(self) -> float | None:
        """Remaining time from the mean epoch time so far."""
        done = [r for run in self.runs for r in run.records]
        if not done:
            return None
        per_epoch = float(np.mean([r.seconds for r in done]))
        remaining = sum(run.recipe.train.epochs - len(run.records) for run in self.runs if run.trained is None)
        return per_epoch * remaining

