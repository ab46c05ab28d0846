"""Shared handles for the pages."""
from __future__ import annotations

import streamlit as st

from mlcore.registry import ENV_VAR, Registry, runs_dir


@st.cache_resource
def _registry(root: str) -> Registry:
    return Registry(root)


def registry() -> Registry | None:
    """The run registry (one object per folder: it holds only paths; SQLite serialises the
    writes), or None with an error shown when its folder cannot be written."""
    try:
        return _registry(str(runs_dir()))
    except OSError as exc:
        st.error(f"Runs cannot be saved: {exc}. Set {ENV_VAR} to a folder you can write to.")
        return None
