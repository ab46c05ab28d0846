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
    classify = network.loss_name == "softmax_cross_entropy"
    for i in range(0, len(X), batch_size):
        out = network.forward(X[i:i + batch_size], training=False)
        total += network.loss.forward(out, y[i:i + batch_size]) * len(out)
        if classify:
            correct += int((out.argmax(axis=1) == y[i:i + batch_size]).sum())
    return total / len(X), (correct / len(X) if classify else None)


def fit(network, optimizer, X: np.ndarray, y: np.ndarray, config: TrainConfig = TrainConfig(), *,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
        strata: np.ndarray | None = None) -> FitResult:
    """Train `network` in place on (X, y) with minibatches from default_rng(config.seed).

    y holds class indices for a classifier, or target rows for an 'mse' network.
    With config.balance, epochs are balanced over the classes in y (a classifier)
    or in `strata` (the class of each row, for an 'mse' network); without either
    they are plain shuffles. `augment(X, rng)` returns an augmented copy of the
    epoch's samples.
    """
    X = np.asarray(X, dtype=network.dtype)
    rng = np.random.default_rng(config.seed)
    schedule = StepDecay(config.decay_step, config.decay_factor)
    base_lr = optimizer.lr
    classify = network.loss_name == "softmax_cross_entropy"
    groups = y if classify else strata
    history = History()
    good = _snapshot(network)
    initial_loss = None

    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        optimizer.lr = schedule(base_lr, epoch - 1)
        order = balanced_indices(groups, rng) if (config.balance and groups is not None) else rng.permutation(len(X))
        Xe, ye = X[order], y[order]
        if augment is not None:
            Xe = augment(Xe, rng).astype(network.dtype, copy=False)
            if not classify:
                ye = Xe  # a network reconstructing its input reconstructs the augmented one
        if initial_loss is None:
            # Where training starts, on ~2048 samples of the first epoch as it will be seen
            # (balanced, augmented): one batch would be too noisy a reference.
            probe = slice(None, None, max(1, len(Xe) // 2048))
            initial_loss = evaluate_loss(network, Xe[probe], ye[probe])[0]
        n_batches = int(np.ceil(len(Xe) / config.batch_size))
        loss_sum, correct = 0.0, 0
        for b in range(n_batches):
            xb = Xe[b * config.batch_size:(b + 1) * config.batch_size]
            yb = ye[b * config.batch_size:(b + 1) * config.batch_size]
            # Overflow is how a diverging run shows itself; it is detected just below.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, out = network.loss_and_gradients(xb, yb)
            if not np.isfinite(loss):
                return _diverged(network, good, history, f"in epoch {epoch} (the loss became {loss})", optimizer)
            optimizer.step(network)
            loss_sum += loss * len(xb)
            if classify:
                correct += int((out.argmax(axis=1) == yb).sum())
            for cb in callbacks:
                cb.on_batch_end(epoch, b + 1, n_batches, loss)
            if should_stop is not None and should_stop():
                # Keep the weights learned so far, but no record for the unfinished
                # epoch, whose numbers would not be comparable with the others.
                return FitResult(history, "stopped", f"stopped during epoch {epoch}")
        valid_loss, valid_acc = evaluate_loss(network, *valid) if valid is not None else (None, None)
        if valid_loss is not None and not np.isfinite(valid_loss):
            return _diverged(network, good, history, f"in epoch {epoch} (validation loss {valid_loss})", optimizer)
        record = EpochRecord(epoch, loss_sum / len(Xe), correct / len(Xe) if classify else None,
                             valid_loss, valid_acc, optimizer.lr, time.perf_counter() - start)
        history.records.append(record)  # kept even when diverging, so that the curves show it
        not_falling = [r.train_loss > NOT_FALLING * initial_loss for r in history.records[-2:]]
        if record.train_loss > DIVERGENCE_FACTOR * max(initial_loss, 1.0) or (len(not_falling) == 2
                                                                               and all(not_falling)):
            return _diverged(network, good, history, f"in epoch {epoch}: the loss went from {initial_loss:.3g} "
                             f"to {record.train_loss:.3g} instead of down", optimizer)
        if record.train_loss <= NOT_FALLING * initial_loss:
            good = _snapshot(network)
        if any([cb.on_epoch_end(record, network) for cb in callbacks]):
            return FitResult(history, "stopped", f"stopped after epoch {epoch}")
    return FitResult(history, "completed", f"completed {config.epochs} epochs")
