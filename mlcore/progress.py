"""A text progress bar for the command line (no third-party dependency)."""
from __future__ import annotations

import sys
import time

from mlcore.training import Callback, EpochRecord


def bar(fraction: float, width: int = 24) -> str:
    filled = int(round(max(0.0, min(1.0, fraction)) * width))
    return "#" * filled + "." * (width - filled)


class ProgressBar(Callback):
    """Redraws one line per batch (at most ~10 times a second) and prints a line per epoch."""

    def __init__(self, epochs: int | None, stream=None):
        self.epochs = epochs      # None: no total to show (several trainings in turn, each its own)
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._losses: list[float] = []

    def on_batch_end(self, epoch, batch, n_batches, loss):
        self._losses.append(loss)
        now = time.monotonic()
        if now - self._last < 0.1 and batch < n_batches:
            return
        self._last = now
        recent = sum(self._losses[-50:]) / len(self._losses[-50:])
        self.stream.write(f"\r{self._epoch(epoch)} [{bar(batch / n_batches)}] "
                          f"{batch}/{n_batches} loss {recent:.4f}")
        self.stream.flush()

    def _epoch(self, epoch: int) -> str:
        return f"epoch {epoch}" if self.epochs is None else f"epoch {epoch}/{self.epochs}"

    def on_epoch_end(self, record: EpochRecord, network):
        self._losses.clear()
        parts = [self._epoch(record.epoch), f"loss {record.train_loss:.4f}"]
        if record.train_acc is not None:
            parts.append(f"acc {record.train_acc:.4f}")
        if record.valid_loss is not None:
            parts.append(f"valid loss {record.valid_loss:.4f}")
        if record.valid_acc is not None:
            parts.append(f"valid acc {record.valid_acc:.4f}")
        parts.append(f"{record.seconds:.1f}s")
        self.stream.write("\r" + " | ".join(parts) + " " * 10 + "\n")
        self.stream.flush()
        return None
