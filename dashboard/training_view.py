"""What the training pages share: a job's curves, drawn live while it trains."""
from __future__ import annotations

import streamlit as st

from dashboard.figures import learning_curves
from dashboard.training_job import TrainingJob
from mlcore.training import History

# What the loss of each kind of model is, for the curves' titles.
LOSS_NAMES = {"classifier": "mean cross-entropy", "autoencoder": "squared error per image"}


def histories(job: TrainingJob) -> dict:
    return {run.name: History(list(run.records)).to_dict() for run in job.runs}


@st.fragment(run_every=1.0)
def live_progress(job_key: str, kind: str) -> None:
    """Progress bar, ETA, Stop button and curves of the job in st.session_state[job_key],
    redrawn every second; the whole page reruns when the job ends, to show the results."""
    job = st.session_state[job_key]
    if not job.running:
        st.rerun()
    active = next((r for r in job.runs if r.trained is None), job.runs[-1])
    done, total = len(active.records), active.recipe.train.epochs
    batch, n_batches = active.batch
    eta = job.eta_seconds()
    cols = st.columns([3, 1])
    cols[0].progress(min(1.0, (done + batch / n_batches) / total),
                     text=f"{active.name}: epoch {min(done + 1, total)} of {total}"
                          + (f" - about {eta:.0f} s left" if eta is not None else ""))
    cols[1].button("Stop", on_click=job.stop, disabled=job.stop_event.is_set(), width="stretch")
    st.plotly_chart(learning_curves(histories(job), loss_name=LOSS_NAMES[kind]), width="stretch", key="live_curves")
