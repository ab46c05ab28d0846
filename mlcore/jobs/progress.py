"""What a training on a worker reports and obeys: its progress, its controls, its ETA.

Plain data, no Dask: the worker fills a `Progress` and the server reads it; the
server sets a `Control` and the worker obeys it through a `Pacer`. Both travel
as dicts of plain values (Dask Variables carry msgpack-encodable data only).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

RUN, PAUSE, STOP = "run", "pause", "stop"
# Phases of a run as the worker reports them, in order.
QUEUED, LOADING, TRAINING, PAUSED, EVALUATING = "queued", "loading", "training", "paused", "evaluating"


@dataclass
class Control:
    """What the visitor asked for: run, pause or stop, and how many "step one epoch" requests so far."""
    state: str = RUN
    steps: int = 0

    def __post_init__(self):
        if self.state not in (RUN, PAUSE, STOP):
            raise ValueError(f"unknown control state {self.state!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Control":
        return cls(**d) if d else cls()


class Pacer:
    """The worker's side of the controls: whether to go on, wait or stop, at a batch or an epoch's end.

    A step request (while paused) lets training run to the end of the current epoch, then pause again.
    """

    def __init__(self):
        self._steps_honoured = 0
        self._stepping = False

    def decide(self, control: Control, at_epoch_end: bool) -> str:
        if control.state == STOP:
            return STOP
        if control.state == RUN:
            self._stepping = False
            self._steps_honoured = control.steps
            return RUN
        if control.steps > self._steps_honoured:
            self._steps_honoured = control.steps
            self._stepping = True
            return RUN
        if self._stepping and not at_epoch_end:
            return RUN
        self._stepping = False
        return PAUSE


@dataclass
class Progress:
    """One run's progress, as its worker last reported it."""
    phase: str = QUEUED
    worker: str | None = None
    epochs: int = 1                   # planned
    epoch: int = 0                    # epochs finished
    batch: int = 0                    # batches done in the epoch under way
    n_batches: int = 1
    loss: float | None = None         # mean loss of the epoch's batches so far
    records: list[dict] = field(default_factory=list)   # each finished epoch's EpochRecord, as a dict
    train_seconds: float = 0.0        # time spent training so far, pauses left out
    batch_seconds: float | None = None   # one batch, at the steady pace (an epoch's first batch left out)
    first_batch_seconds: float | None = None  # the latest epoch's start to its first batch's end
    eval_seconds: float | None = None  # the last validation pass
    batch_size: int = 1
    valid_samples: int = 0
    eval_ratio: float = 3.0           # samples the final evaluation scores, per validation sample
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Progress":
        return cls(**d) if d else cls()

    @property
    def fraction(self) -> float:
        """The part of the training done: finished epochs plus the finished part of the one under way."""
        return min(1.0, (self.epoch + self.batch / max(1, self.n_batches)) / self.epochs)

    def _pace(self) -> tuple[float, float] | None:
        """Seconds per batch and the extra seconds an epoch's start takes (drawing its samples,
        augmenting them); None until two batches have been timed. With one batch an epoch (no steady
        pace to measure), the average over the epochs so far, with no extra."""
        if self.batch_seconds is not None:
            return self.batch_seconds, max(0.0, (self.first_batch_seconds or 0.0) - self.batch_seconds)
        done = self.epoch * self.n_batches + self.batch
        if self.epoch == 0 or self.train_seconds <= 0:
            return None
        validation = self._validation_seconds(self.train_seconds / done)
        return max(0.0, self.train_seconds - self.epoch * validation) / done, 0.0

    def _validation_seconds(self, per_batch: float) -> float:
        """The measured validation pass, or before the first one, a guess: a forward pass over the
        validation set, a third of what training costs per sample (the backward pass costs twice as much)."""
        if self.eval_seconds is not None:
            return self.eval_seconds
        return self.valid_samples * per_batch / max(1, self.batch_size) / 3

    def eta_seconds(self) -> float | None:
        """Seconds left, as of this report: the rest of the epoch under way, each later epoch (its
        start, its batches, its validation pass), and the final scoring of every split. None before
        the first batch has been timed."""
        if self.phase == EVALUATING:
            return (self.eval_seconds or 0.0) * self.eval_ratio
        pace = self._pace()
        if pace is None:
            return None
        per_batch, epoch_start = pace
        validation = self._validation_seconds(per_batch)
        epoch = self.n_batches * per_batch + epoch_start + validation
        this_epoch = (self.n_batches - self.batch) * per_batch + validation + (epoch_start if self.batch == 0 else 0)
        later = max(0, self.epochs - self.epoch - 1) * epoch
        return this_epoch + later + self.eval_ratio * validation

    def duration_estimate(self) -> float | None:
        """The whole run's expected seconds, once it has been timed."""
        eta = self.eta_seconds()
        return None if eta is None else eta + self.train_seconds


def queue_starts(running_left: list[float | None], slots: int, queued_need: list[float | None]) -> list[float | None]:
    """When each queued job should start, in seconds from now: the running jobs end after
    `running_left` seconds, the idle slots are free now, and each queued job in turn takes the
    slot that frees up first for its `queued_need` seconds. None where a job ahead of it (or
    the one running in its slot) has never been timed."""
    never = float("inf")
    free = [never if t is None else t for t in running_left] + [0.0] * max(0, slots - len(running_left))
    starts = []
    for need in queued_need:
        if not free:
            starts.append(None)
            continue
        free.sort()
        starts.append(free[0] if free[0] < never else None)
        free[0] += never if need is None else need
    return starts
