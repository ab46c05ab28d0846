"""Choosing a model: the shipped classifiers and autoencoders, and any saved run."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import identity
from dashboard.state import registry
from mlcore.data.paths import autoencoders_dir, default_autoencoder_path, default_classifier_path, models_dir
from mlcore.model_io import ModelFileError, load_autoencoder, load_classifier

LOADERS = {"classifier": load_classifier, "autoencoder": load_autoencoder}


@st.cache_resource(max_entries=12)
def _load(path: str, mtime: float, kind: str):
    # mtime in the key: a model file replaced on disk is loaded afresh.
    return LOADERS[kind](path)


def _shared(path: Path, kind: str):
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ModelFileError(f"{path}: no such model file") from None
    return _load(str(path), mtime, kind)


def classifier(path: Path):
    """A classifier shared read-only by all sessions (predicting never changes it).

    Raises ModelFileError for a missing, malformed or non-classifier file."""
    return _shared(path, "classifier")


def autoencoder(path: Path):
    """An autoencoder shared read-only by all sessions; ModelFileError as for classifier()."""
    return _shared(path, "autoencoder")


def _visible_runs(kind: str) -> list:
    """The saved runs of `kind` this visitor may use: theirs and the shared ones (an operator: all)."""
    reg, me = registry(), identity.current()
    if reg is None:
        return []
    return reg.list(kind) if me.operator else reg.list(kind, visible_to=me.owner)


def autoencoder_choices() -> dict[str, Path]:
    """Label -> model file: the shipped autoencoders (the best first), then saved runs, newest first."""
    best = default_autoencoder_path()
    choices = {f"shipped: {best.stem}": best}
    for path in sorted(autoencoders_dir().glob("*.npz")):
        choices.setdefault(f"shipped: {path.stem}", path)
    for run in _visible_runs("autoencoder"):
        psnr = run.metrics.get("valid_psnr")
        # Short enough to read in a select box: the name, the score, and the run's id to tell twins apart.
        choices[f"{run.name}: " + (f"{psnr:.1f} dB " if psnr is not None else "") + f"({run.id[-6:]})"] = run.model_path
    return choices


def classifier_choices() -> dict[str, Path]:
    """Label -> model file: the shipped default first, the other shipped models, then saved runs."""
    default = default_classifier_path()
    choices = {f"default ({default.name})": default}
    for path in sorted(models_dir().glob("*.npz")):
        if path != default:
            choices[path.name] = path
    for run in _visible_runs("classifier"):
        test = run.metrics.get("test_all")
        choices[f"run {run.id} ({run.name}" + (f", test {test:.0%})" if test is not None else ")")] = run.model_path
    return choices


def model_chooser(key: str):
    """A select box of classifiers; returns (path, loaded model), the model None if it cannot be used.

    A model picked elsewhere ("Use for OCR" on the Runs page) is preselected.
    """
    choices = classifier_choices()
    wanted = st.session_state.pop("ocr_model_path", None)
    label = next((label for label, p in choices.items() if str(p) == wanted), None)
    if label is not None:
        st.session_state[key] = label
    if st.session_state.get(key) not in choices:  # e.g. a run deleted since it was chosen
        st.session_state.pop(key, None)
    label = st.selectbox("Classifier", list(choices), key=key,
                         help="The shipped default, the other shipped models, or any run from the Runs page.")
    path = choices[label]
    try:
        model = classifier(path)
    except ModelFileError as exc:
        st.error(f"This model cannot be used: {exc}")
        return path, None
    meta = model.metadata
    test = meta.get("metrics", {}).get("test", {})
    if test:
        st.caption(f"`{meta.get('description', '')}` - test accuracy: letters {test['letters']['accuracy']:.1%}, "
                   f"digits {test['digits']['accuracy']:.1%}")
    return path, model
