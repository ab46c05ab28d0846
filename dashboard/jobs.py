"""The server's one training executor, shared by every session, and who a visitor is to it."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import astuple

import streamlit as st

from mlcore.jobs.cluster import ClusterSettings, start_executor
from mlcore.jobs.executor import Executor


@st.cache_resource(show_spinner="Starting the training workers...")
def _executor(settings: tuple) -> Executor:
    # One per server and per setting: started by the first visitor who trains, then shared.
    return start_executor(ClusterSettings(*settings))


def executor() -> Executor | None:
    """The shared executor, or None with the reason shown when the settings or the cluster fail."""
    try:
        settings = ClusterSettings.from_env()
    except ValueError as exc:
        st.error(f"Training is not available: {exc}")
        return None
    try:
        return _executor(astuple(settings))
    except (OSError, TimeoutError) as exc:
        where = f"the Dask scheduler at {settings.scheduler}" if settings.scheduler else "the local workers"
        st.error(f"Training is not available: {where} could not be reached ({exc}).")
        return None


def visitor() -> str:
    """This browser session's identity to the executor: whose jobs are whose."""
    return st.session_state.setdefault("visitor_id", uuid.uuid4().hex)


def visitor_alive() -> Callable[[], bool] | None:
    """Whether this session is still connected, asked by the executor from its own thread; None when the
    app does not run in a Streamlit server (a headless test), where sessions have no connection."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if not runtime.exists() or ctx is None:
        return None
    instance, session = runtime.get_instance(), ctx.session_id
    return lambda: instance.is_active_session(session)
