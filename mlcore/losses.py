"""Losses, each reported as the mean over the samples of a batch.

Softmax is fused with cross-entropy: the loss is computed from log-softmax via
log-sum-exp, and the gradient with respect to the logits is (p - onehot)/N,
which never divides by a probability that may have underflowed to zero.
CTC (a sequence of frames read as a shorter sequence of labels, mlcore.ocr.words) is computed in log space
by the forward-backward recursion, in float64.
"""
from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row max leaves it unchanged (Q1.1) and prevents overflow."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer class labels."""

    kind = "softmax_cross_entropy"

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        logp = log_softmax(logits)
        self._p = np.exp(logp)
        self._y = y
        return float(-logp[np.arange(len(y)), y].mean())

    def backward(self) -> np.ndarray:
        grad = self._p.copy()
        grad[np.arange(len(self._y)), self._y] -= 1.0
        return grad / len(self._y)

    @staticmethod
    def output(logits: np.ndarray) -> np.ndarray:
        """What the network predicts from its last layer: class probabilities."""
        return softmax(logits)


class MeanSquaredError:
    """Squared error summed over the features of a sample, averaged over samples."""

    kind = "mse"

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        self._diff = pred - target
        return float((self._diff**2).sum() / len(pred))

    def backward(self) -> np.ndarray:
        return 2.0 * self._diff / len(self._diff)

    @staticmethod
    def output(pred: np.ndarray) -> np.ndarray:
        return pred


def _shifted(a: np.ndarray, k: int) -> np.ndarray:
    """a (N, S) moved k states along its last axis (right for k > 0, left for k < 0), -inf let in."""
    out = np.full_like(a, -np.inf)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


class _Lattice:
    """The CTC lattice of a batch: each label sequence (N, L), padded with -1, with a blank (class `blank`)
    before, between and after its labels: S = 2L + 1 states, of which 2 * length + 1 are the sequence's."""

    def __init__(self, y: np.ndarray, blank: int):
        y = np.asarray(y)
        if y.ndim != 2 or not np.issubdtype(y.dtype, np.integer) or (y >= blank).any() or (y < -1).any():
            raise ValueError(f"CTC labels are (N, L) class indices below the blank {blank}, padded with -1")
        self.lengths = (y >= 0).sum(axis=1)
        n, states = len(y), 2 * y.shape[1] + 1
        self.ext = np.full((n, states), blank, dtype=np.int64)
        self.ext[:, 1::2] = np.where(y >= 0, y, blank)
        self.inside = np.arange(states)[None] < (2 * self.lengths + 1)[:, None]
        # A label may follow the label two states back directly, skipping the blank, unless it repeats it.
        self.skip = np.zeros((n, states), dtype=bool)
        self.skip[:, 2:] = (self.ext[:, 2:] != blank) & (self.ext[:, 2:] != self.ext[:, :-2])

    def emissions(self, log_probs: np.ndarray) -> np.ndarray:
        """log p(state's class) at every frame, (N, T, S)."""
        n, t, _ = log_probs.shape
        return np.take_along_axis(log_probs, np.broadcast_to(self.ext[:, None], (n, t, self.ext.shape[1])), axis=2)

    def forward(self, emit: np.ndarray) -> np.ndarray:
        """alpha (N, T, S): log P(the first t + 1 frames end in state s, having read the labels before it)."""
        alpha = np.full(emit.shape, -np.inf)
        alpha[:, 0, :2] = emit[:, 0, :2]
        alpha[:, 0] = np.where(self.inside, alpha[:, 0], -np.inf)
        for t in range(1, emit.shape[1]):
            a = alpha[:, t - 1]
            came = np.logaddexp.reduce([a, _shifted(a, 1), np.where(self.skip, _shifted(a, 2), -np.inf)])
            alpha[:, t] = np.where(self.inside, came + emit[:, t], -np.inf)
        return alpha

    def backward(self, emit: np.ndarray) -> np.ndarray:
        """beta (N, T, S): log P(the frames from t on read the rest, starting in state s)."""
        beta = np.full(emit.shape, -np.inf)
        rows, end = np.arange(len(emit)), 2 * self.lengths
        beta[rows, -1, end] = emit[rows, -1, end]
        some = self.lengths > 0
        beta[rows[some], -1, end[some] - 1] = emit[rows[some], -1, end[some] - 1]
        skip_to = _shifted(np.where(self.skip, 0.0, -np.inf), -2) == 0.0
        for t in range(emit.shape[1] - 2, -1, -1):
            b = beta[:, t + 1]
            went = np.logaddexp.reduce([b, _shifted(b, -1), np.where(skip_to, _shifted(b, -2), -np.inf)])
            beta[:, t] = np.where(self.inside, went + emit[:, t], -np.inf)
        return beta

    def total(self, alpha: np.ndarray) -> np.ndarray:
        """log P(labels | frames) (N,): the paths ending in the last label or the blank after it."""
        rows, end = np.arange(len(alpha)), 2 * self.lengths
        last_label = np.where(self.lengths > 0, alpha[rows, -1, np.maximum(end - 1, 0)], -np.inf)
        return np.logaddexp(alpha[rows, -1, end], last_label)


def ctc_log_likelihood(log_probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log P(y | frames) (N,) under CTC, from per-frame log-probabilities (N, T, K) whose last class is the
    blank, for label sequences y (N, L) padded with -1 (an impossible sequence: -inf)."""
    lattice = _Lattice(y, log_probs.shape[2] - 1)
    return lattice.total(lattice.forward(lattice.emissions(log_probs.astype(np.float64))))


class ConnectionistTemporalClassification:
    """Mean over a batch of -log P(labels | frames) (Graves et al. 2006), summed over every alignment of the
    labels to the frames by the forward-backward recursion, in log space. logits (N, T, K), the last class
    the blank; labels (N, L) class indices padded with -1. Read back, the frames' classes with repeats
    merged and blanks dropped are the sequence."""

    kind = "ctc"

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        log_probs = log_softmax(logits.astype(np.float64))
        lattice = _Lattice(y, logits.shape[2] - 1)
        emit = lattice.emissions(log_probs)
        alpha, beta = lattice.forward(emit), lattice.backward(emit)
        total = lattice.total(alpha)
        if not np.isfinite(total).all():
            raise ValueError("a label sequence is longer than its frames can read (too many labels, or repeats "
                             "without frames between them)")
        # Each state's share of the probability at each frame, summed into its class.
        share = np.exp(alpha + beta - emit - total[:, None, None])
        onehot = np.eye(logits.shape[2])[lattice.ext]                     # (N, S, K)
        self._grad = (np.exp(log_probs) - np.einsum("nts,nsk->ntk", share, onehot)) / len(logits)
        self._dtype = logits.dtype
        return float(-total.mean())

    def backward(self) -> np.ndarray:
        return self._grad.astype(self._dtype)

    @staticmethod
    def output(logits: np.ndarray) -> np.ndarray:
        """Each frame's class probabilities (N, T, K)."""
        return softmax(logits)


LOSSES = {cls.kind: cls for cls in (SoftmaxCrossEntropy, MeanSquaredError, ConnectionistTemporalClassification)}
