"""Losses, each reported as the mean over the samples of a batch.

Softmax is fused with cross-entropy: the loss is computed from log-softmax via
log-sum-exp, and the gradient with respect to the logits is (p - onehot)/N,
which never divides by a probability that may have underflowed to zero.
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


LOSSES = {cls.kind: cls for cls in (SoftmaxCrossEntropy, MeanSquaredError)}
