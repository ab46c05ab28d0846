"""A hyperparameter search driven by Optuna's ask-and-tell, each trial a training on the Dask workers.

A `Search` asks the study for a trial's values, submits the trial as a job to the `Executor` (so
the visitor's limits and the queue apply to it as to any training), reports each finished epoch's
validation score to the trial so that the pruner may stop it, and tells the study the run's
objective when it ends. At most `parallel` trials run at once: the cluster's worker threads, and no
more than the owner may have jobs. Every trial's run is saved in the registry, tagged with its study.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mlcore.classifier import KIND as CLASSIFIER
from mlcore.jobs.executor import CANCELLED, FAILED, Executor, Job, JobRefused
from mlcore.jobs.progress import STOP
from mlcore.registry import Registry
from mlcore.tuning.space import apply, base_values, describe
from mlcore.tuning.study import Budget, StudySpec

RUNNING, DONE, STOPPED = "running", "done", "stopped"
PIXELS = 1024   # an image's pixels: an autoencoder's loss is its squared error summed over them
POLL = 0.5      # seconds between two looks at the trials
MAX_FAILURES = 10   # looks in a row that fail before a search is given up
RETRY_REFUSED = 10.0   # seconds before a trial the queue refused is asked again


@dataclass
class Trial:
    """One trial as the pages and the CLI show it."""
    number: int
    values: dict
    name: str
    recipe: object                # what it trains
    state: str = RUNNING          # running, complete, pruned, fail
    value: float | None = None    # the objective, once told
    epochs: int = 0               # epochs reported
    run_id: str | None = None     # its run in the registry
    reason: str = ""              # why it failed, or ended early
    job: Job | None = field(default=None, repr=False)
    optuna: object = field(default=None, repr=False)
    pruning: bool = False


def epoch_score(record: dict, kind: str) -> float | None:
    """What a finished epoch reports to the pruner: validation accuracy, or an autoencoder's PSNR."""
    if kind == CLASSIFIER:
        return record.get("valid_acc")
    loss = record.get("valid_loss")
    return None if loss is None or loss <= 0 else 10 * math.log10(PIXELS / loss)


class Search:
    def __init__(self, executor: Executor, spec: StudySpec, study, budget: Budget, *, owner: str,
                 registry: Registry | None = None, alive: Callable[[], bool] | None = None,
                 data_dir: str | None = None, check: Callable[[object], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.executor, self.spec, self.study, self.budget = executor, spec, study, budget
        self.owner, self.registry, self.alive, self.data_dir = owner, registry, alive, data_dir
        self.check, self.clock = check, clock
        self.trials: list[Trial] = []
        self.state = RUNNING
        self.message = ""
        self.started = clock()
        self.ended: float | None = None
        self._stopping = False
        self._retry_at = float("-inf")
        self._lock = threading.Lock()
        start = base_values(spec.space, spec.base)
        if start is not None and not study.trials:
            study.enqueue_trial(start)   # a new study tries its starting point first: a baseline to beat

    # ------------------------------------------------------------ what callers do
    def step(self) -> bool:
        """One look: report new epochs, prune, tell finished trials, start new ones; whether it goes on."""
        with self._lock:
            for trial in [t for t in self.trials if t.state == RUNNING]:
                self._follow(trial)
            if self.state == RUNNING and self._out_of_time():
                self._stop_all("the wall-time budget is spent")
            if self.state == RUNNING and not self._stopping:
                self._start_trials()
            if self.state == RUNNING and not any(t.state == RUNNING for t in self.trials) and \
                    (self._stopping or len(self.trials) >= self.budget.trials):
                self.state, self.ended = (STOPPED if self._stopping else DONE), self.clock()
            return self.state == RUNNING

    def run(self, on_step: Callable[["Search"], None] | None = None, poll: float = POLL) -> "Search":
        """Step until the search ends, calling `on_step` after each look. A look that fails (the
        scheduler or the storage out of reach for a moment) is tried again; after MAX_FAILURES in a row
        the search ends, its running trials told failed."""
        failures = 0
        while True:
            try:
                going, failures = self.step(), 0
            except Exception as exc:  # noqa: BLE001 - the page and the CLI show why the search ended
                failures += 1
                going = failures < MAX_FAILURES or self._abandon(f"the search failed: {type(exc).__name__}: {exc}")
            if on_step:
                on_step(self)
            if not going:
                return self
            time.sleep(poll)

    def start(self) -> threading.Thread:
        """Run in a background thread (a server's: the page that started it may come and go)."""
        thread = threading.Thread(target=self.run, name=f"mlcore-search-{self.spec.name}", daemon=True)
        thread.start()
        return thread

    def stop(self, why: str = "stopped by its owner") -> None:
        """Start no more trials and stop those running (each is saved, as a stopped run)."""
        with self._lock:
            self._stop_all(why)

    def follow(self, alive: Callable[[], bool] | None) -> None:
        """Follow the search from another session of its owner (after a reload)."""
        self.alive = alive
        for job in [t.job for t in self.trials]:
            if job is not None and job.running:
                self.executor.follow(job, alive)

    @property
    def parallel(self) -> int:
        """How many trials may run at once: the cluster's worker threads, within the owner's job limit."""
        return max(1, min(self.executor.threads, self.executor.per_owner))

    def best(self) -> Trial | None:
        done = [t for t in self.trials if t.state == "complete" and t.value is not None]
        return max(done, key=lambda t: t.value) if done else None

    # ------------------------------------------------------------ inside
    def _abandon(self, why: str) -> bool:
        """End the search now: its running trials stopped and told failed (never left running in the
        study, where they would skew the sampler). False, for run()."""
        with self._lock:
            self._stop_all(why)
            for trial in [t for t in self.trials if t.state == RUNNING]:
                self._tell(trial, "fail", reason=why)
            self.state, self.ended = STOPPED, self.clock()
        return False

    def _out_of_time(self) -> bool:
        return bool(self.budget.minutes) and self.clock() - self.started >= 60 * self.budget.minutes

    def _stop_all(self, why: str) -> None:
        if self._stopping:
            return
        self._stopping, self.message = True, why
        for trial in self.trials:
            if trial.job is not None and trial.job.running:
                trial.reason = why
                self.executor.control(trial.job, STOP)

    def _start_trials(self) -> None:
        if self.clock() < self._retry_at:
            return
        # A trial whose job ended after this look followed it is told first, at the next look: it may
        # have been stopped from outside (its visitor gone), which ends the search instead. The jobs are
        # counted before that check: the executor marks a job ended before it lets go of it, so a job
        # missing from the count has already ended, and the check sees it.
        free = self.parallel - len(self.executor.jobs_of(self.owner))
        if any(t.state == RUNNING and t.job is not None and not t.job.running for t in self.trials):
            return
        while free > 0 and len(self.trials) < self.budget.trials:
            trial = self._ask()
            self.trials.append(trial)
            if trial.state != RUNNING:
                continue
            try:
                trial.job = self.executor.submit(
                    [(trial.name, trial.recipe)], self.spec.dataset, owner=self.owner,
                    settings={"dataset": self.spec.dataset, "study": self.spec.name, "trial": trial.number},
                    registry=self.registry, alive=self.alive, data_dir=self.data_dir,
                    split_seed=self.spec.split_seed)
            except JobRefused:
                # The queue is full (or the owner's own training got in first): the trial is told
                # failed, as Optuna needs, and asked again with the same values later, budget unspent.
                self._tell(trial, "fail", reason="the queue refused it")
                self.trials.remove(trial)
                self.study.enqueue_trial(trial.values)
                self._retry_at = self.clock() + RETRY_REFUSED
                return
            free -= 1

    def _ask(self) -> Trial:
        ot = self.study.ask()
        values = {r.name: r.suggest(ot) for r in self.spec.space}
        recipe = apply(self.spec.base, values, self.budget.epochs)
        trial = Trial(ot.number, values, f"{self.spec.name} #{ot.number}: {describe(values, recipe)}", recipe,
                      optuna=ot)
        if self.check:
            try:
                self.check(recipe)
            except ValueError as exc:
                self._tell(trial, "fail", reason=f"not started: {exc}")
        return trial

    def _follow(self, trial: Trial) -> None:
        job = trial.job
        run = job.runs[0]
        records = run.outcome.history_records() if run.outcome else run.progress.records
        for record in records[trial.epochs:]:
            score = epoch_score(record, self.spec.kind)
            if score is not None and math.isfinite(score):
                trial.optuna.report(score, step=int(record["epoch"]))
            trial.epochs += 1
            last = record["epoch"] >= self.budget.epochs   # nothing left to save: it ends as it is
            if not trial.pruning and not last and job.running and trial.optuna.should_prune():
                trial.pruning = True
                trial.reason = f"pruned after epoch {record['epoch']}: behind the other trials at that epoch"
                self.executor.control(job, STOP)
        if not job.running:
            self._finish(trial, job)

    def _finish(self, trial: Trial, job: Job) -> None:
        run = job.runs[0]
        trial.run_id = run.saved.id if run.saved else None
        if job.state in (FAILED, CANCELLED) or run.outcome is None:
            self._tell(trial, "fail", reason=job.error or trial.reason or "it never started")
            if job.state == CANCELLED and not self._stopping:
                self._stop_all("its queued trial was cancelled")
            return
        if run.outcome.status == "stopped" and (trial.pruning or self._stopping):
            self._tell(trial, "pruned")
            return
        if run.outcome.status == "stopped":   # stopped by someone else: the visitor left, or an operator
            self._tell(trial, "pruned", reason="stopped before its last epoch")
            self._stop_all("a trial was stopped from outside the search (its visitor left?)")
            return
        value = run.outcome.summary.get(self.spec.objective)
        if value is None or not math.isfinite(value):
            self._tell(trial, "fail", reason=f"no {self.spec.objective} was measured")
            return
        if run.outcome.status == "diverged":
            trial.reason = "diverged: scored with the weights of its last good epoch"
        elif trial.pruning:   # the pruner's stop came after its last epoch: it ran its course
            trial.reason = ""
        self._tell(trial, "complete", value=float(value))

    def _tell(self, trial: Trial, state: str, *, value: float | None = None, reason: str = "") -> None:
        import optuna

        states = {"complete": optuna.trial.TrialState.COMPLETE, "pruned": optuna.trial.TrialState.PRUNED,
                  "fail": optuna.trial.TrialState.FAIL}
        trial.reason = reason or trial.reason
        if trial.run_id:
            trial.optuna.set_user_attr("run_id", trial.run_id)
        if trial.reason:
            trial.optuna.set_user_attr("reason", trial.reason)
        self.study.tell(trial.optuna, value if state == "complete" else None, state=states[state])
        trial.state, trial.value, trial.job = state, value, None

