"""Principal component analysis, for drawing high-dimensional codes in 2-D."""
from __future__ import annotations

import numpy as np


def principal_components(X: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The rows of X projected on their first k principal axes, and the share of the
    variance each axis explains. Signs are fixed (largest loading positive) so that
    the same data always gives the same picture."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2 or not 1 <= k <= min(X.shape):
        raise ValueError(f"need at least 2 rows and 1 <= k <= {min(X.shape) if X.ndim == 2 else '?'}, "
                         f"got data of shape {X.shape} and k={k}")
    centred = X - X.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:k] * np.sign(vt[:k][np.arange(k), np.abs(vt[:k]).argmax(axis=1)])[:, None]
    variance = s**2
    return centred @ axes.T, variance[:k] / max(variance.sum(), 1e-300)
