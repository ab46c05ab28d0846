"""Choosing a classifier: the shipped ones and any saved model file."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from mlcore.data.paths import default_classifier_path, models_dir
from mlcore.model_io import ModelFileError, load_model


@st.cache_resource(max_entries=8)
def _load(path: str, mtime: float):
    # mtime in the key: a model file replaced on disk is loaded afresh.
    return load_model(path)


def load_classifier(path: Path):
    """A classifier shared read-only by all sessions (predicting never changes it)."""
    return _load(str(path), path.stat().st_mtime)


def classifier_choices() -> dict[str, Path]:
    """Label -> model file, the default first."""
    default = default_classifier_path()
    choices = {f"default ({default.name})": default}
    for path in sorted(models_dir().glob("*.npz")):
        if path != default:
            choices[path.name] = path
    return choices


def model_chooser(key: str):
    """A select box of classifiers; returns (path, loaded model), the model None if it cannot be used."""
    choices = classifier_choices()
    label = st.selectbox("Classifier", list(choices), key=key,
                         help="The shipped default, or any saved model (data/models).")
    path = choices[label]
    try:
        model = load_classifier(path)
    except ModelFileError as exc:
        st.error(f"This model cannot be used: {exc}")
        return path, None
    meta = model.metadata
    test = meta.get("metrics", {}).get("test", {})
    if test:
        st.caption(f"`{meta.get('description', '')}` - test accuracy: letters {test['letters']['accuracy']:.1%}, "
                   f"digits {test['digits']['accuracy']:.1%}")
    return path, model
