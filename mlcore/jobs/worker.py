"""The task a Dask worker runs: one training run, which reports its progress and obeys its controls.

The worker reads the data itself (the submitter's data directory when it sees
the same path, else its own) and sends back a `RunOutcome`: the model file's content, the
metrics and history, and what the pages show of a finished run. It never
writes the registry; the server that submitted the run does.
"""
from __future__ import annotations

import functools
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mlcore.autoencoder import KIND as AUTOENCODER
from mlcore.autoencoder import AutoencoderRecipe, train_autoencoder
from mlcore.classifier import KIND as CLASSIFIER
from mlcore.classifier import ClassifierRecipe, train_classifier
from mlcore.data.datasets import Dataset, available_datasets, default_name, load_dataset
from mlcore.data.paths import data_dir
from mlcore.jobs.progress import EVALUATING, LOADING, PAUSE, PAUSED, QUEUED, STOP, TRAINING, Control, Pacer, Progress
from mlcore.metrics import confusion_matrix
from mlcore.model_io import model_bytes
from mlcore.training import Callback, EpochRecord

TRAINERS = {ClassifierRecipe: train_classifier, AutoencoderRecipe: train_autoencoder}
KINDS = {ClassifierRecipe: CLASSIFIER, AutoencoderRecipe: AUTOENCODER}
PUBLISH_EVERY = 0.25   # seconds between progress reports (and at every epoch's end)
POLL_EVERY = 0.2       # seconds between reads of the controls: Stop reaches the run well within 1 s
REVIEW_SAMPLES = 64    # misclassified test samples sent back for the Train page
SHOWN_UNITS = 128      # first-layer units (or kernels) sent back for the Train page


class WorkerDiedError(RuntimeError):
    """A run was started again after the worker running it died."""


def control_name(job: str) -> str:
    return f"mlcore-control-{job}"


def progress_name(run_key: str) -> str:
    return f"mlcore-progress-{run_key}"


@dataclass(frozen=True)
class RunTask:
    """One run of a job, as submitted to a worker."""
    job: str                     # the job's key: its control Variable is named after it
    index: int                   # which of the job's runs
    name: str
    recipe: ClassifierRecipe | AutoencoderRecipe
    dataset: str | None          # None: the data directory's default
    data_dir: str | None = None  # the submitter's data directory, used when the worker has it too
    split_seed: int = 0
    command: str | None = None
    nice: int = 0                # scheduling priority of the training thread (higher: yields more)

    @property
    def key(self) -> str:
        return f"{self.job}-{self.index}"

    @property
    def kind(self) -> str:
        """What the run trains: 'classifier' or 'autoencoder'."""
        return KINDS[type(self.recipe)]


@dataclass
class RunOutcome:
    name: str
    kind: str                    # 'classifier' or 'autoencoder'
    status: str                  # 'completed', 'stopped' or 'diverged'
    message: str
    seconds: float
    worker: str
    history: dict
    metrics: dict
    summary: dict
    model: bytes                 # the model file's content (model_io.model_bytes)
    first_layer: dict            # the first weighted layer's 'kind', and its weights 'before' and 'after'
    review: dict | None = None   # a classifier's test confusion matrix and misclassified samples

    def history_records(self) -> list[dict]:
        """The history as one dict per epoch, as Progress.records holds them."""
        columns = self.history
        return [{k: v[i] for k, v in columns.items()} for i in range(len(columns.get("epoch", [])))]


class Reporter(Callback):
    """Publishes a run's Progress (at most every PUBLISH_EVERY seconds, and at every epoch's end)
    and reads its Control (at most every POLL_EVERY seconds), waiting while it says pause."""

    def __init__(self, publish, read_control, progress: Progress, clock=time.monotonic, sleep=time.sleep):
        self.publish_to, self.read_control, self.progress = publish, read_control, progress
        self.clock, self.sleep = clock, sleep
        self.pacer = Pacer()
        self.stopped = False
        self._started = self._last_batch = self._epoch_started = clock()
        self._paused = 0.0
        self._published = self._polled = float("-inf")
        self._loss_sum = 0.0
        self._steady_seconds, self._steady_batches = 0.0, 0

    def publish(self) -> None:
        self.progress.train_seconds = self.clock() - self._started - self._paused
        self.publish_to(self.progress.to_dict())
        self._published = self.clock()

    def should_stop(self) -> bool:
        return self.stopped

    def on_batch_end(self, epoch, batch, n_batches, loss):
        p, now = self.progress, self.clock()
        self._loss_sum += float(loss)
        p.batch, p.n_batches, p.loss = batch, n_batches, self._loss_sum / batch
        self._time_batch(batch, now)
        if now - self._polled >= POLL_EVERY:
            self._obey(at_epoch_end=False)
        if self.clock() - self._published >= PUBLISH_EVERY:
            self.publish()

    def _time_batch(self, batch: int, now: float) -> None:
        # An epoch's first batch also pays for the epoch's start (its samples drawn and augmented):
        # timed apart, so that the pace of the others is not skewed by it.
        if batch == 1:
            self.progress.first_batch_seconds = now - self._epoch_started
        else:
            self._steady_seconds += now - self._last_batch
            self._steady_batches += 1
            self.progress.batch_seconds = self._steady_seconds / self._steady_batches
        self._last_batch = now

    def on_epoch_end(self, record: EpochRecord, network):
        p = self.progress
        p.eval_seconds = self.clock() - self._last_batch  # what follows the last batch: the validation pass
        p.records.append({k: _plain(v) for k, v in asdict(record).items()})
        p.epoch, p.batch, p.loss, self._loss_sum = record.epoch, 0, None, 0.0
        if p.epoch == p.epochs:
            p.phase = EVALUATING
        self.publish()
        if p.phase != EVALUATING:
            self._obey(at_epoch_end=True)
        self._epoch_started = self.clock()
        return self.stopped

    def _obey(self, at_epoch_end: bool) -> None:
        self._polled = self.clock()
        decision = self.pacer.decide(Control.from_dict(self.read_control()), at_epoch_end)
        if decision == PAUSE:
            paused_at = self.clock()
            self.progress.phase = PAUSED
            self.publish()
            while decision == PAUSE:
                self.sleep(POLL_EVERY)
                decision = self.pacer.decide(Control.from_dict(self.read_control()), at_epoch_end)
            paused = self.clock() - paused_at
            self._paused += paused
            self._last_batch += paused  # a pause is no part of the next batch's time
        self.stopped = decision == STOP
        # A stopped run is scored on every split before it is sent back, as a finished one is.
        self.progress.phase = EVALUATING if self.stopped else TRAINING
        if self.stopped:
            self.publish()


def _plain(value):
    """An epoch record's value as msgpack can send it: None, an int or a float."""
    return None if value is None else int(value) if isinstance(value, (int, np.integer)) else float(value)


def _files_stamp(name: str, root: str) -> tuple:
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in available_datasets(root).get(name, []))


@functools.lru_cache(maxsize=2)
def _cached_dataset(name: str, root: str, seed: int, stamp: tuple) -> Dataset:
    # `stamp` (each file's path, time and size) keys the cache, so that changed files are read afresh.
    return load_dataset(name, root, seed)


def worker_dataset(task: RunTask) -> Dataset:
    """The task's dataset (None: the default one) from the submitter's data directory when this
    machine has it, else from its own."""
    root = task.data_dir if task.data_dir and Path(task.data_dir).is_dir() else str(data_dir())
    name = task.dataset or default_name(available_datasets(root))
    return _cached_dataset(name, root, task.split_seed, _files_stamp(name, root))


def classifier_review(trained, dataset: Dataset, n: int = REVIEW_SAMPLES) -> dict:
    """The test split's confusion matrix and its first n misclassified samples, with their confidence."""
    test, pred = dataset.test, trained.predictions["test"]
    wrong = np.flatnonzero(pred != test.y)
    shown = wrong[:n]
    proba = trained.network.predict_proba(test.X[shown]) if len(shown) else np.zeros((0, len(dataset.classes)))
    return {"confusion": confusion_matrix(test.y, pred, len(dataset.classes)), "classes": list(dataset.classes),
            "n_test": int(len(test.y)), "n_wrong": int(len(wrong)), "X": test.X[shown].astype(np.float32),
            "true": test.y[shown], "pred": pred[shown], "confidence": proba.max(axis=1)}


def _first_layer(network) -> tuple[str, np.ndarray]:
    """The first weighted layer's kind and weights, as many units as the Train page draws."""
    layer = network.layers[network.first_weighted_layer()]
    return layer.kind, layer.params["W"][:, :SHOWN_UNITS].copy()


def _control(variable) -> dict:
    try:
        return variable.get(timeout=2)
    except TimeoutError:  # the submitter has forgotten the job (it closed): nobody will collect the run
        return Control(STOP).to_dict()


def _lower_priority(nice: int) -> None:
    # Linux gives each thread its own niceness; this one is the worker thread that trains.
    try:
        if nice > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, nice)
    except (AttributeError, OSError):  # not on this platform, or not allowed: train at the usual priority
        pass


def train_run(task: RunTask) -> RunOutcome:
    """Run on a Dask worker: train task.recipe, reporting through the task's Variables."""
    from distributed import Variable, get_client, get_worker

    client, worker = get_client(), get_worker().address
    _lower_priority(task.nice)
    progress_var, control_var = Variable(progress_name(task.key), client), Variable(control_name(task.job), client)
    if Progress.from_dict(progress_var.get(timeout=10)).phase != QUEUED:
        # Dask starts a task again elsewhere when its worker dies; this run is not restarted silently.
        raise WorkerDiedError("the worker running this training died (killed, or over its memory limit)")
    progress = Progress(phase=LOADING, worker=worker, epochs=task.recipe.train.epochs)
    progress_var.set(progress.to_dict())
    start = time.monotonic()
    dataset = worker_dataset(task)
    progress.eval_ratio = sum(len(s) for s in dataset.splits().values()) / max(1, len(dataset.valid))
    progress.batch_size, progress.valid_samples = task.recipe.train.batch_size, len(dataset.valid)
    network = task.recipe.build_for(dataset)
    kind, before = _first_layer(network)
    progress.phase = TRAINING
    reporter = Reporter(progress_var.set, lambda: _control(control_var), progress)
    reporter.publish()
    trained = TRAINERS[type(task.recipe)](dataset, task.recipe, command=task.command, network=network,
                                          callbacks=[reporter], should_stop=reporter.should_stop)
    return RunOutcome(
        name=task.name, kind=trained.metadata["kind"], status=trained.result.status, message=trained.result.message,
        seconds=time.monotonic() - start, worker=worker, history=trained.result.history.to_dict(),
        metrics=trained.metrics, summary=trained.summary(), model=model_bytes(trained.network, trained.metadata),
        first_layer={"kind": kind, "before": before, "after": _first_layer(trained.network)[1]},
        review=classifier_review(trained, dataset) if trained.metadata["kind"] == CLASSIFIER else None)
