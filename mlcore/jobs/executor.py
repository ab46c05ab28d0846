"""Trainings queued and run on Dask workers: one way to submit, follow and control a job.

An `Executor` belongs to one process (the app's server, or the CLI) and may be
shared by all of its visitors. Jobs wait in one queue, in order; a job (one
or more runs trained one after another) holds one worker thread while it runs,
and at most as many jobs run as the cluster has worker threads. A background
thread follows them: it reads each running run's progress, hands its controls
on, stops the jobs of visitors who have gone, starts queued jobs as workers
free up, and saves each finished run in the submitter's registry (model file,
then row), which only this process writes.
"""
from __future__ import annotations

import errno
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace

from mlcore.jobs.progress import PAUSE, PAUSED, RUN, STOP, Control, Progress, queue_starts
from mlcore.jobs.worker import RunOutcome, RunTask, WorkerDiedError, control_name, progress_name, train_run
from mlcore.model_io import load_model_bytes
from mlcore.registry import Registry, Run

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
TICK = 0.2   # seconds between two looks at the running jobs


class JobRefused(ValueError):
    """A job that cannot be queued: the visitor has one already, or the queue is full."""


@dataclass
class RunState:
    task: RunTask
    progress: Progress
    received: float = field(default_factory=time.monotonic)   # when this progress arrived
    outcome: RunOutcome | None = None
    saved: Run | None = None
    save_error: str | None = None
    evicted: list[Run] = field(default_factory=list)   # runs removed to keep the owner within the quota


@dataclass
class Job:
    key: str
    owner: str
    runs: list[RunState]
    settings: dict
    registry: Registry | None
    alive: Callable[[], bool] | None
    state: str = QUEUED
    control: Control = field(default_factory=Control)
    error: str | None = None
    submitted: float = field(default_factory=time.monotonic)
    finished: float | None = None
    position: int | None = None        # 1-based place in the queue while queued
    starts_in: float | None = None     # estimated seconds until it starts, while queued
    _future: object = None
    _gone_since: float | None = None

    @property
    def running(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def kind(self) -> str:
        """What the job trains: 'classifier' or 'autoencoder'."""
        return self.runs[0].task.kind

    @property
    def active(self) -> RunState:
        """The run under way: the first without an outcome, else the last."""
        return next((r for r in self.runs if r.outcome is None), self.runs[-1])

    def eta_seconds(self) -> float | None:
        """Seconds until the whole job ends: the active run's ETA, counted down since it was reported
        (unless paused), and as long again for each run after it."""
        active = self.active
        eta, total = active.progress.eta_seconds(), active.progress.duration_estimate()
        if eta is None or not self.running:
            return None
        if active.progress.phase != PAUSED:
            eta = max(0.0, eta - (time.monotonic() - active.received))
        later = max(0, sum(1 for r in self.runs if r.outcome is None) - 1)
        return eta + later * total


class Executor:
    """Queues jobs and runs them on the Dask cluster behind `client` (see mlcore.jobs.cluster)."""

    def __init__(self, client, *, per_owner: int = 1, max_queued: int = 100, grace: float = 30.0,
                 nice: int = 0, on_close: Callable[[], None] | None = None):
        if per_owner < 1 or max_queued < 1 or grace < 0:
            raise ValueError("per_owner and max_queued must be >= 1 and grace >= 0")
        self.client = client
        self.per_owner, self.max_queued, self.grace, self.nice = per_owner, max_queued, grace, nice
        self._on_close = on_close
        self._jobs: list[Job] = []        # queued and running, in the order they were submitted
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._slots, self._slots_read = 0, float("-inf")
        self._pace: dict[tuple, float] = {}   # seconds per epoch measured, by the kind of run
        self.last_error: str | None = None    # what last went wrong in the following thread
        self._thread = threading.Thread(target=self._follow, name="mlcore-executor", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ the visitor's side
    def submit(self, runs: Sequence[tuple[str, object]], dataset: str | None, *, owner: str,
               settings: dict | None = None, registry: Registry | None = None, alive: Callable[[], bool] | None = None,
               data_dir: str | None = None, split_seed: int = 0, command: str | None = None) -> Job:
        """Queue a job of (name, recipe) runs on `dataset` (None: the data directory's default);
        JobRefused if the owner has enough jobs already or the queue is full.

        `alive()` says whether the visitor is still there; once it has said no for `grace` seconds
        the job is stopped (and its finished runs kept). `registry` receives each finished run."""
        key = uuid.uuid4().hex[:12]
        tasks = [RunTask(key, i, name, recipe, dataset, data_dir, split_seed, command, self.nice)
                 for i, (name, recipe) in enumerate(runs)]
        if not tasks:
            raise ValueError("a job needs at least one run")
        job = Job(key, owner, [RunState(t, Progress(epochs=t.recipe.train.epochs)) for t in tasks],
                  dict(settings or {}), registry, alive)
        with self._lock:
            mine = sum(1 for j in self._jobs if j.owner == owner)
            if mine >= self.per_owner:
                raise JobRefused(f"you already have {mine} training{'s' if mine > 1 else ''} queued or running "
                                 f"(at most {self.per_owner}): stop it or wait for it to finish")
            if sum(1 for j in self._jobs if j.state == QUEUED) >= self.max_queued:
                raise JobRefused(f"{self.max_queued} trainings are already waiting: try again in a few minutes")
            self._variable(control_name(key)).set(job.control.to_dict())
            self._jobs.append(job)
            self._plan()
        return job

    def control(self, job: Job, state: str | None = None, *, step: bool = False) -> None:
        """Run, pause or stop a job (a queued job that is stopped leaves the queue); `step` lets a
        paused job train to the end of its current epoch."""
        with self._lock:
            if not job.running:
                return
            if job.state == QUEUED and state == STOP:
                self._end(job, CANCELLED)
                return
            job.control = Control(state or job.control.state, job.control.steps + int(step))
            self._variable(control_name(job.key)).set(job.control.to_dict())

    def jobs_of(self, owner: str) -> list[Job]:
        """The owner's queued and running jobs."""
        with self._lock:
            return [j for j in self._jobs if j.owner == owner]

    def follow(self, job: Job, alive: Callable[[], bool] | None) -> None:
        """Follow `job` from another session of its owner (after a reload): whether its visitor is
        still there is asked through `alive` from now on."""
        with self._lock:
            job.alive, job._gone_since = alive, None

    @property
    def threads(self) -> int:
        """The cluster's worker threads, as last counted by the following thread (no call to the scheduler)."""
        return self._slots

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        with self._lock:
            for job in list(self._jobs):
                self._end(job, CANCELLED, "the server shut down")
        self.client.close()
        if self._on_close:
            self._on_close()

    # ------------------------------------------------------------ the following thread
    def _follow(self) -> None:
        while not self._closed.wait(TICK):
            try:
                with self._lock:
                    self._tick()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive a failing cluster
                self.last_error = f"{type(exc).__name__}: {exc}"

    def _tick(self) -> None:
        for job in [j for j in self._jobs if j.state == RUNNING]:
            run = job.active
            if job._future.done():
                self._collect(job, run)
            else:
                progress = Progress.from_dict(self._variable(progress_name(run.task.key)).get(timeout=5))
                if progress != run.progress:
                    run.progress, run.received = progress, time.monotonic()
        self._stop_the_gone()
        self._dispatch()
        self._plan()

    def _variable(self, name: str):
        from distributed import Variable
        return Variable(name, self.client)

    def _free_slots(self) -> int:
        now = time.monotonic()
        if now - self._slots_read > 1.0:
            self._slots, self._slots_read = sum(self.client.nthreads().values()), now
        return self._slots - sum(1 for j in self._jobs if j.state == RUNNING)

    def _dispatch(self) -> None:
        for job in [j for j in self._jobs if j.state == QUEUED][:max(0, self._free_slots())]:
            job.state, job.position, job.starts_in = RUNNING, None, None
            self._start(job, job.runs[0])

    def _start(self, job: Job, run: RunState) -> None:
        self._variable(progress_name(run.task.key)).set(run.progress.to_dict())
        job._future = self.client.submit(train_run, run.task, key=f"mlcore-train-{run.task.key}", pure=False)

    def _collect(self, job: Job, run: RunState) -> None:
        future, job._future = job._future, None
        try:
            run.outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - whatever failed on the worker is reported on the page
            self._end(job, FAILED, _failure(exc))
            return
        finally:
            future.release()
            self._forget(progress_name(run.task.key))
        self._learn_pace(run)
        self._save(job, run)
        following = next((r for r in job.runs if r.outcome is None), None)
        if following is None or run.outcome.status == "stopped" or job.control.state == STOP:
            self._end(job, DONE)
        else:
            self._start(job, following)

    def _save(self, job: Job, run: RunState) -> None:
        if job.registry is None:
            return
        outcome = run.outcome
        try:
            model = load_model_bytes(outcome.model, f"run {outcome.name}")
            run.saved = job.registry.add(
                model.network, model.metadata, kind=outcome.kind, name=outcome.name, status=outcome.status,
                seconds=outcome.seconds, metrics=outcome.summary, history=outcome.history,
                settings={**job.settings, **run.task.recipe.to_dict(), "worker": outcome.worker}, owner=job.owner)
        except (OSError, ValueError) as exc:
            run.save_error = f"the run could not be saved ({_reason(exc)})"
            return
        with suppress(OSError):  # the run is saved; the quota is enforced again at the next save
            run.evicted = job.registry.enforce_quota(job.owner, keep=run.saved.id)
        # Saved: the page that follows the job has no more use for the model file's content, which
        # would otherwise stay in the visitor's session as long as the job does.
        run.outcome = replace(outcome, model=b"")

    def _end(self, job: Job, state: str, error: str | None = None) -> None:
        if job._future is not None:
            job._future.cancel()
            self._forget(progress_name(job.active.task.key))
            job._future = None
        job.state, job.error, job.finished = state, error, time.monotonic()
        job.position = job.starts_in = None
        self._forget(control_name(job.key))
        if job in self._jobs:
            self._jobs.remove(job)

    def _forget(self, name: str) -> None:
        with suppress(Exception):  # a variable the scheduler has lost needs no deleting
            self._variable(name).delete()

    def _stop_the_gone(self) -> None:
        now = time.monotonic()
        for job in [j for j in self._jobs if j.alive is not None]:
            if job.alive():
                job._gone_since = None
                continue
            job._gone_since = job._gone_since or now
            if now - job._gone_since >= self.grace and job.control.state != STOP:
                self.control(job, STOP)

    # ------------------------------------------------------------ the queue's estimates
    @staticmethod
    def _kind_of(run: RunState) -> tuple:
        recipe = run.task.recipe
        return (type(recipe).__name__, run.task.dataset, getattr(recipe, "arch", "mlp"), tuple(recipe.hidden),
                tuple(getattr(recipe, "channels", ())), recipe.train.batch_size, recipe.augmentation is not None)

    def _learn_pace(self, run: RunState) -> None:
        epochs = len(run.outcome.history.get("epoch", []))
        if epochs and run.outcome.status == "completed":
            self._pace[self._kind_of(run)] = run.outcome.seconds / epochs

    def _remaining(self, job: Job) -> float | None:
        """Seconds this job still needs, or None when some run of it has never been timed."""
        if job.state == RUNNING:
            return job.eta_seconds()
        paces = [self._pace.get(self._kind_of(r)) for r in job.runs]
        return None if None in paces else sum(p * r.task.recipe.train.epochs for p, r in zip(paces, job.runs))

    def _plan(self) -> None:
        """Each queued job's place in the queue, and when it should start."""
        queued = [j for j in self._jobs if j.state == QUEUED]
        starts = queue_starts([self._remaining(j) for j in self._jobs if j.state == RUNNING], self._slots,
                              [self._remaining(j) for j in queued])
        for position, (job, start) in enumerate(zip(queued, starts), 1):
            job.position, job.starts_in = position, start


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the server's disk is full"
    return str(exc)


def _failure(exc: BaseException) -> str:
    from distributed import KilledWorker

    if isinstance(exc, (KilledWorker, WorkerDiedError)):
        return "the worker running this training died (killed, or over its memory limit); nothing was lost but " \
               "this run, and the next training in the queue has started"
    return f"{type(exc).__name__}: {exc}"


__all__ = ["Executor", "Job", "JobRefused", "RunState", "QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED",
           "RUN", "PAUSE", "STOP"]
