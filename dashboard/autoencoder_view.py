"""Reconstructions for the Autoencoder page: which samples, their images and PSNR, and the code map."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from dashboard.data import dataset
from dashboard.image_grid import image_rows
from dashboard.models import autoencoder
from dashboard.scatter_svg import code_map_svg
from mlcore.autoencoder import code_size, encode, evaluate_autoencoder, reconstruct
from mlcore.data.glyphs import rows_to_images
from mlcore.metrics import psnr
from mlcore.model_io import ModelFileError
from mlcore.projection import principal_components

MAP_SAMPLES = 2000  # enough points to see the clusters, few enough for a light page
# The comparison table: PSNR to two decimals, learning rates exactly as set (0.00108, not 0.0011).
COMPARISON_COLUMNS = {**{c: st.column_config.NumberColumn(format="%.2f")
                         for c in ("valid PSNR (dB)", "letters", "digits", "class-balanced")},
                      "lr": st.column_config.NumberColumn(format="%g")}


def pick_samples(y: np.ndarray, classes: list[int], per_class: int, seed: int = 0) -> np.ndarray:
    """`per_class` indices of each chosen class (fewer if it has fewer), in the order of `classes`."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class] for c in classes]
                          + [np.zeros(0, dtype=np.int64)]).astype(np.int64)


def usable_autoencoder(choices: dict[str, Path], label: str):
    """(path, model) of the chosen autoencoder; a model that cannot be used is said so, and the page stops."""
    path = choices[label]
    try:
        return path, autoencoder(path)
    except ModelFileError as exc:
        st.error(f"This model cannot be used: {exc}")
        st.stop()


def hold_model_choices(choices: dict[str, Path]) -> None:
    """Keep models A and B chosen, or choose the first two, and make their select boxes show them.

    A select box left out of a run (the page stopped before it: no class chosen, a training running) is drawn
    afresh on its first option, while its key keeps the earlier choice: B's box said "shipped: best" while
    B was the homework's model. A value assigned before a box is drawn is what the box shows, so both
    are assigned on every run."""
    for key, default in (("ae_model_a", 0), ("ae_model_b", min(1, len(choices) - 1))):
        kept = st.session_state.get(key)
        st.session_state[key] = kept if kept in choices else list(choices)[default]


def model_row(label: str, path: Path, model, dataset_name: str) -> dict:
    """A model's row of the comparison table: its validation PSNR first (what the models are compared by),
    then how it was trained."""
    report = valid_report(str(path), path.stat().st_mtime, dataset_name)
    training = model.metadata.get("training", {})
    return {"model": label, "valid PSNR (dB)": report["psnr"], "letters": report["letters"],
            "digits": report["digits"], "class-balanced": report["balanced_psnr"], "code": code_size(model.network),
            "network": model.network.describe(), "optimizer": training.get("optimizer"), "lr": training.get("lr"),
            "epochs": training.get("epochs_run")}


@st.cache_data(max_entries=32, show_spinner="Reconstructing the validation split...")
def valid_report(path: str, mtime: float, dataset_name: str) -> dict:
    """PSNR report of a model on a dataset's validation split (mtime: a replaced file is re-scored)."""
    ds = dataset(dataset_name)
    return evaluate_autoencoder(autoencoder(Path(path)).network, ds.valid.X, ds.valid.y, ds.classes)


def reconstruction_rows(network, X: np.ndarray, title: str, difference: bool) -> list[tuple[str, np.ndarray, list]]:
    """Rows for image_grid.image_rows: the reconstructions with each one's PSNR in dB (the number alone: narrow
    enough to fit under its image on a phone) and, optionally, the difference, dark where they disagree."""
    rec = reconstruct(network, X)
    values = psnr(X, rec)
    rows = [(title, rows_to_images(rec), [f"{v:.1f}" for v in values])]
    if difference:
        rows.append(("difference", 1.0 - np.abs(rows_to_images(X) - rows_to_images(rec)), [""] * len(X)))
    return rows


def show_comparison(networks: dict[str, object], X: np.ndarray, labels: list[str]) -> None:
    """The same samples: originals, then each network's reconstructions with their PSNR."""
    rows = [("original", rows_to_images(X), labels)]
    for name, net in networks.items():
        rows += reconstruction_rows(net, X, name, difference=len(networks) == 1)
    image_rows(rows)


@st.cache_data(max_entries=16, show_spinner="Encoding the validation split...")
def code_projection(path: str, mtime: float, dataset_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The codes of up to MAP_SAMPLES validation rows (a fixed random subsample) projected on their first two
    principal components, those rows' labels, and the variance the components explain (mtime as in valid_report)."""
    ds = dataset(dataset_name)
    keep = np.random.default_rng(0).permutation(len(ds.valid.X))[:MAP_SAMPLES]
    points, explained = principal_components(encode(autoencoder(Path(path)).network, ds.valid.X[keep]), 2)
    return points, ds.valid.y[keep], explained


def code_map_html(path: Path, dataset_name: str, highlight) -> tuple[str, np.ndarray]:
    """The map of the model's codes (HTML), the `highlight`ed classes in colour; and the variance it explains."""
    points, labels, explained = code_projection(str(path), path.stat().st_mtime, dataset_name)
    return code_map_svg(points, labels, dataset(dataset_name).classes, highlight), explained
