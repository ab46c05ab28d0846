"""The server's one training executor, shared by every session, and who a visitor is to it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple

import streamlit as st

from dashboard import identity
from mlcore.jobs.cluster import ClusterSettings, start_executor
from mlcore.jobs.executor import Executor


@st.cache_resource
def _started() -> dict:
    """The executors started so far, by their settings: asked without starting one."""
    return {}


@st.cache_resource(show_spinner="Starting the training workers...")
def _executor(settings: tuple) -> Executor:
    # One per server and per setting: started by the first visitor who trains, then shared.
    ex = _started()[settings] = start_executor(ClusterSettings(*settings))
    return ex


def executor_if_started() -> Executor | None:
    """The shared executor if a visitor has started it (a page that only looks never starts workers)."""
    try:
        return _started().get(astuple(ClusterSettings.from_env()))
    except ValueError:
        return None


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
    """This visitor's identity to the executor: whose jobs are whose (the owner of their runs)."""
    return identity.current().owner


def resume_job(job_key: str, kind: str) -> None:
    """After a reload (a new session), follow this visitor's queued or running job of `kind` again."""
    ex = executor_if_started()
    if job_key in st.session_state or ex is None:
        return
    # A search's trials are followed on the Tune page, not taken over by a training page.
    job = next((j for j in ex.jobs_of(visitor()) if j.kind == kind and "study" not in j.settings), None)
    if job is not None:
        ex.follow(job, visitor_alive())
        st.session_state[job_key] = job


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
