"""Minibatch training with per-epoch callbacks, stop requests and divergence detection.

`fit` never raises for a run that goes wrong numerically. It ends with status
'diverged', and the weights of the last good epoch, when the loss becomes NaN
or infinite, when an epoch's mean loss is more than DIVERGENCE_FACTOR times the
loss the network started with, or when two epochs in a row end higher than
where training started (the classic symptom of a learning rate so high that
every step overshoots). A run that merely fails to improve is not diverged:
the rule agrees with gradient descent's closed-form stability limit on a
quadratic loss (tests/test_training.py).
A stop request ends it with status 'stopped' and what it has learned so far.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mlcore.network import INFERENCE_BATCH
from mlcore.optimizers import StepDecay

# A loss 10x above where training began is a run that is going the wrong way:
# for a 36-class softmax that is a mean cross-entropy of ~36 nats, i.e. confidently wrong.
DIVERGENCE_FACTOR = 10.0
# Two epochs in a row above where training began (by this margin, so that a run that
# simply cannot improve on its start is not called diverged) is overshooting.
NOT_FALLING = 1.02


@dataclass
class EpochRecord:
    epoch: int           # 1-based
    train_loss: float    # mean over the epoch's minibatches, as they were seen
    train_acc: float | None
    valid_loss: float | None
    valid_acc: float | None
    lr: float
    seconds: float


@dataclass
class History:
    records: list[EpochRecord] = field(default_factory=list)

    def column(self, name: str) -> list:
        return [getattr(r, name) for r in self.records]

    def to_dict(self) -> dict[str, list]:
        return {k: self.column(k) for k in EpochRecord.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, list]) -> "History":
        n = len(d.get("epoch", []))
        return cls([EpochRecord(**{k: d[k][i] for k in EpochRecord.__dataclass_fields__}) for i in range(n)])


@dataclass
class FitResult:
    history: History
    status: str          # 'completed', 'stopped' or 'diverged'
    message: str = ""

    @property
    def epochs_run(self) -> int:
        return len(self.history.records)


class Callback:
    """Hooks into `fit`. Return True from on_epoch_end to stop after that epoch."""

    def on_epoch_end(self, record: EpochRecord, network) -> bool | None:
        return None

    def on_batch_end(self, epoch: int, batch: int, n_batches: int, loss: float) -> None:
        return None


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32
    seed: int = 0
    balance: bool = True       # resample each epoch so every class is seen equally often
    decay_step: int = 0        # epochs between learning-rate decays; 0 = constant
    decay_factor: float = 0.5

    def __post_init__(self):
        if not isinstance(self.epochs, (int, np.integer)) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise ValueError(f"batch size must be a positive integer, got {self.batch_size!r}")
        StepDecay(self.decay_step, self.decay_factor)  # validates both


def balanced_indices(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One epoch's sample indices with every class equally represented.

    Each class contributes ceil(N / n_classes) samples: rare classes are
    repeated (in a fresh order each time), common ones subsampled, so the epoch
    keeps the dataset's size and the network no prior favouring common classes.
    """
    classes = np.unique(y)
    per_class = int(np.ceil(len(y) / len(classes)))
    chosen = []
    for c in classes:
        idx = np.flatnonzero(y == c)
        reps = int(np.ceil(per_class / len(idx)))
        pool = np.concatenate([rng.permutation(idx) for _ in range(reps)])
        chosen.append(pool[:per_class])
    return rng.permutation(np.concatenate(chosen))


def _snapshot(network) -> list[np.ndarray]:
    return [layer.params[name].copy() for _, layer, name in network.parameters()]


def _restore(network, snapshot) -> None:
    for (_, layer, name), value in zip(network.parameters(), snapshot):
        layer.params[name] = value


def _diverged(network, good, history, why: str, optimizer) -> "FitResult":
    _restore(network, good)
    return FitResult(history, "diverged", f"diverged {why}; the learning rate {optimizer.lr:g} is probably too "
                     "high. The weights are those of the last good epoch.")


def evaluate_loss(network, X, y, batch_size: int = INFERENCE_BATCH) -> tuple[float, float | None]:
    """Mean loss and (for a classifier) accuracy, in evaluation mode."""
    total, correct = 0.0, 0
    classify = network.is_classifier
    for i in range(0, len(X), batch_size):
        out = network.forward(X[i:i + batch_size], training=False)
        total += network.loss.forward(out, y[i:i + batch_size]) * len(out)
        if classify:
            correct += int((out.argmax(axis=1) == y[i:i + batch_size]).sum())
    return total / len(X), (correct / len(X) if classify else None)


class _Halt(Exception):
    """Ends `fit` early with `status` ('diverged' or 'stopped') and its reason as the message."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status


def _epoch_samples(network, X, y, groups, balance: bool, augment, rng, classify: bool):
    """The epoch's (inputs, targets) in the order they will be seen: balanced over `groups` or shuffled,
    then augmented (a network reconstructing its input then reconstructs the augmented one)."""
    order = balanced_indices(groups, rng) if (balance and groups is not None) else rng.permutation(len(X))
    Xe, ye = X[order], y[order]
    if augment is not None:
        Xe = augment(Xe, rng).astype(network.dtype, copy=False)
        if not classify:
            ye = Xe
    return Xe, ye


def _starting_loss(network, Xe, ye) -> float:
    """Where training starts, on ~2048 samples of the first epoch as it will be seen (balanced,
    augmented): one batch would be too noisy a reference."""
    probe = slice(None, None, max(1, len(Xe) // 2048))
    return evaluate_loss(network, Xe[probe], ye[probe])[0]


def _train_epoch(network, optimizer, Xe, ye, batch_size: int, epoch: int, classify: bool, callbacks,
                 should_stop) -> tuple[float, int]:
    """One pass of minibatch steps: the summed loss and (for a classifier) the count of correct outputs."""
    n_batches = int(np.ceil(len(Xe) / batch_size))
    loss_sum, correct = 0.0, 0
    for b in range(n_batches):
        xb, yb = Xe[b * batch_size:(b + 1) * batch_size], ye[b * batch_size:(b + 1) * batch_size]
        # Overflow is how a diverging run shows itself; it is detected just below.
        with np.errstate(over="ignore", invalid="ignore"):
            loss, out = network.loss_and_gradients(xb, yb)
        if not np.isfinite(loss):
            raise _Halt("diverged", f"in epoch {epoch} (the loss became {loss})")
        optimizer.step(network)
        loss_sum += loss * len(xb)
        if classify:
            correct += int((out.argmax(axis=1) == yb).sum())
        for cb in callbacks:
            cb.on_batch_end(epoch, b + 1, n_batches, loss)
        if should_stop is not None and should_stop():
            # Keep the weights learned so far, but no record for the unfinished
            # epoch, whose numbers would not be comparable with the others.
            raise _Halt("stopped", f"stopped during epoch {epoch}")
    return loss_sum, correct


def _validate(network, valid, epoch: int) -> tuple[float | None, float | None]:
    valid_loss, valid_acc = evaluate_loss(network, *valid) if valid is not None else (None, None)
    if valid_loss is not None and not np.isfinite(valid_loss):
        raise _Halt("diverged", f"in epoch {epoch} (validation loss {valid_loss})")
    return valid_loss, valid_acc


def _check_divergence(history: History, initial_loss: float) -> None:
    """The rule of the module's docstring, on the epochs recorded so far."""
    last = history.records[-1]
    not_falling = [r.train_loss > NOT_FALLING * initial_loss for r in history.records[-2:]]
    if last.train_loss > DIVERGENCE_FACTOR * max(initial_loss, 1.0) or (len(not_falling) == 2 and all(not_falling)):
        raise _Halt("diverged", f"in epoch {last.epoch}: the loss went from {initial_loss:.3g} "
                                f"to {last.train_loss:.3g} instead of down")


def fit(network, optimizer, X: np.ndarray, y: np.ndarray, config: TrainConfig = TrainConfig(), *,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
        strata: np.ndarray | None = None) -> FitResult:
    """Train `network` in place on X (N, ...) and y with minibatches from default_rng(config.seed).

    y (N,) holds class indices for a classifier, y (N, D) target rows for an 'mse' network.
    With config.balance, epochs are balanced over the classes in y (a classifier) or in
    `strata` (N,) (each row's class, for an 'mse' network); without either they are plain
    shuffles. `augment(X, rng)` returns an augmented copy of the epoch's samples.
    """
    X = np.asarray(X, dtype=network.dtype)
    rng = np.random.default_rng(config.seed)
    schedule, base_lr = StepDecay(config.decay_step, config.decay_factor), optimizer.lr
    classify = network.is_classifier
    history, good, initial_loss = History(), _snapshot(network), None
    try:
        for epoch in range(1, config.epochs + 1):
            start = time.perf_counter()
            optimizer.lr = schedule(base_lr, epoch - 1)
            Xe, ye = _epoch_samples(network, X, y, y if classify else strata, config.balance, augment, rng, classify)
            initial_loss = _starting_loss(network, Xe, ye) if initial_loss is None else initial_loss
            loss_sum, correct = _train_epoch(network, optimizer, Xe, ye, config.batch_size, epoch, classify,
                                             callbacks, should_stop)
            record = EpochRecord(epoch, loss_sum / len(Xe), correct / len(Xe) if classify else None,
                                 *_validate(network, valid, epoch), optimizer.lr, time.perf_counter() - start)
            history.records.append(record)  # kept even when diverging, so that the curves show it
            _check_divergence(history, initial_loss)
            if record.train_loss <= NOT_FALLING * initial_loss:
                good = _snapshot(network)
            if any([cb.on_epoch_end(record, network) for cb in callbacks]):
                return FitResult(history, "stopped", f"stopped after epoch {epoch}")
    except _Halt as halt:
        if halt.status == "diverged":
            return _diverged(network, good, history, str(halt), optimizer)
        return FitResult(history, halt.status, str(halt))
    return FitResult(history, "completed", f"completed {config.epochs} epochs")
