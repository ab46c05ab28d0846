"""Shared handles for the pages: the server's limits and the run registry."""
from __future__ import annotations

import streamlit as st

from mlcore.limits import Limits
from mlcore.registry import ENV_VAR, Quota, Registry, runs_dir


@st.cache_resource
def _limits() -> Limits:
    return Limits.from_env()


def limits() -> Limits | None:
    """This server's limits (from the environment), or None with the reason shown when one is malformed."""
    try:
        return _limits()
    except ValueError as exc:
        st.error(f"This server is misconfigured: {exc}")
        return None


@st.cache_resource
def _registry(root: str, quota: Quota) -> Registry:
    return Registry(root, quota)


def registry() -> Registry | None:
    """The run registry (one object per folder: it holds only paths; SQLite serialises the
    writes), or None with an error shown when its folder cannot be written."""
    lim = limits()
    if lim is None:
        return None
    quota = Quota(lim.runs_per_owner, lim.mb_per_owner * 2**20, lim.registry_mb * 2**20)
    try:
        return _registry(str(runs_dir()), quota)
    except OSError as exc:
        st.error(f"Runs cannot be saved: {exc}. Set {ENV_VAR} to a folder you can write to.")
        return None
