"""Classification metrics, and PSNR for reconstructions."""
from __future__ import annotations

import numpy as np

from mlcore.data.classes import CLASSES, is_letter


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true = np.asarray(y_true)
    return float(np.mean(y_true == np.asarray(y_pred))) if len(y_true) else float("nan")


def confusion_matrix(y_true, y_pred, n_classes: int = len(CLASSES)) -> np.ndarray:
    """counts[i, j] = number of samples of class i predicted as class j."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def per_class_accuracy(y_true, y_pred, n_classes: int = len(CLASSES)) -> np.ndarray:
    """Recall of each class; NaN for classes absent from y_true."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    support = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(cm) / support, np.nan)


def balanced_accuracy(y_true, y_pred, n_classes: int = len(CLASSES)) -> float:
    """Mean recall over the classes present: immune to class imbalance."""
    return float(np.nanmean(per_class_accuracy(y_true, y_pred, n_classes)))


def most_confused_pairs(cm: np.ndarray, classes=CLASSES, top: int = 10) -> list[dict]:
    """The largest off-diagonal entries: which true class is taken for which."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    pairs = []
    for flat in order:
        i, j = np.unravel_index(flat, cm.shape)
        if off[i, j] == 0:
            break
        pairs.append({"true": classes[i], "predicted": classes[j], "count": int(off[i, j]),
                      "rate": float(off[i, j] / cm[i].sum())})
    return pairs


def within_group_accuracy(y_true, proba) -> dict:
    """Accuracy when the reader is told whether each character is a letter or a digit: the best class
    within the true group. What remains is shape within the group; the rest of the 36-way error is
    look-alikes across groups (0/O, 1/I, 2/Z, 5/S), which only context can settle.

    y_true: (n,) class indices; proba: (n, 36) class probabilities."""
    y_true, proba = np.asarray(y_true), np.asarray(proba)
    letters = is_letter(y_true)
    letter_cols = is_letter(np.arange(proba.shape[1]))
    out = {}
    for name, rows, cols in (("letters", letters, letter_cols), ("digits", ~letters, ~letter_cols)):
        pred = np.where(cols, proba[rows], -np.inf).argmax(axis=1)
        out[name] = {"n": int(rows.sum()), "accuracy": accuracy(y_true[rows], pred)}
    return out


def source_report(y_true, y_pred, source, source_names) -> dict:
    """Accuracy (all, letters, digits) on each source's samples; source: (n,) indices into source_names."""
    y_true, y_pred, source = np.asarray(y_true), np.asarray(y_pred), np.asarray(source)
    out = {}
    for k, name in enumerate(source_names):
        rows = source == k
        if rows.any():
            out[name] = _group_accuracies(y_true[rows], y_pred[rows])
    return out


def _group_accuracies(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    letters = is_letter(y_true)
    return {"n": int(len(y_true)), "accuracy": accuracy(y_true, y_pred),
            "letters": {"n": int(letters.sum()), "accuracy": accuracy(y_true[letters], y_pred[letters])},
            "digits": {"n": int((~letters).sum()), "accuracy": accuracy(y_true[~letters], y_pred[~letters])}}


def evaluate_splits(network, dataset) -> tuple[dict, dict]:
    """Predictions and a classification_report (with within-group and per-source accuracies) for
    every split of a dataset; network is anything with predict_proba."""
    predictions, reports = {}, {}
    for name, split in dataset.splits().items():
        proba = network.predict_proba(split.X)
        predictions[name] = proba.argmax(axis=1)
        reports[name] = classification_report(split.y, predictions[name], dataset.classes)
        if len(split.y):
            reports[name]["within_group"] = within_group_accuracy(split.y, proba)
        if split.source is not None:
            reports[name]["sources"] = source_report(split.y, predictions[name], split.source,
                                                     dataset.source_names)
    return predictions, reports


def classification_report(y_true, y_pred, classes=CLASSES) -> dict:
    """Everything the CLI and the dashboard report about a classifier on labelled data."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    cm = confusion_matrix(y_true, y_pred, len(classes))
    per_class = per_class_accuracy(y_true, y_pred, len(classes))
    return {
        **_group_accuracies(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy(y_true, y_pred, len(classes)),
        "per_class": {c: (None if np.isnan(a) else float(a)) for c, a in zip(classes, per_class)},
        "most_confused": most_confused_pairs(cm, classes),
    }


PSNR_ROWS = 2048


def psnr(reference: np.ndarray, reconstruction: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio of each image (one per row), in dB: 10 log10(peak^2 / MSE).

    A perfect reconstruction has infinite PSNR.
    """
    ref, rec = np.asarray(reference), np.asarray(reconstruction)
    if ref.shape != rec.shape:
        raise ValueError(f"images and reconstructions differ in shape: {ref.shape} vs {rec.shape}")
    n = len(ref)
    ref, rec = ref.reshape(n, -1), rec.reshape(n, -1)
    mse = np.empty(n, np.float64)
    # In float64 for accuracy, a few thousand rows at a time: a whole split in float64 would take
    # four times the memory of its float32 images, several times over.
    for start in range(0, n, PSNR_ROWS):
        diff = ref[start:start + PSNR_ROWS].astype(np.float64) - rec[start:start + PSNR_ROWS]
        mse[start:start + PSNR_ROWS] = np.einsum("ij,ij->i", diff, diff) / max(1, diff.shape[1])
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(peak**2 / mse)


def psnr_report(y_true, reference: np.ndarray, reconstruction: np.ndarray, classes=CLASSES) -> dict:
    """Mean PSNR over the images, over the letters and the digits, per class, and the mean of
    the per-class means (which counts letters and digits alike however many of each there are)."""
    y_true = np.asarray(y_true)
    values = psnr(reference, reconstruction)
    letters = is_letter(y_true)
    per_class = {c: float(values[y_true == i].mean()) for i, c in enumerate(classes) if np.any(y_true == i)}

    def mean(mask):
        return float(values[mask].mean()) if mask.any() else None

    return {
        "n": int(len(values)),
        "psnr": float(values.mean()) if len(values) else None,
        "balanced_psnr": float(np.mean(list(per_class.values()))) if per_class else None,
        "letters": mean(letters),
        "digits": mean(~letters),
        "per_class": per_class,
    }
