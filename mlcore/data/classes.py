"""The 36 classes in the homework's order: A..Z then 0..9."""
import numpy as np

CLASSES: tuple[str, ...] = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def is_letter(labels: np.ndarray) -> np.ndarray:
    """Boolean mask of the labels (indices into CLASSES) that are letters."""
    return np.asarray(labels) < 26
