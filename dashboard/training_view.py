"""What the training pages share: a job's curves, drawn live while it trains."""
from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from dashboard.data import usable_datasets
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


def datasets_or_stop() -> dict[str, dict]:
    """Name -> split sizes of the usable datasets; without any, a pointer to the Home page, and stop."""
    sizes_by_name = usable_datasets()
    if not sizes_by_name:
        st.warning("No handwriting data found: see the Home page for how to get it.")
        st.stop()
    return sizes_by_name


def dataset_select(sizes_by_name: dict[str, dict], key: str, disabled: bool) -> None:
    st.selectbox("Dataset", list(sizes_by_name), key=key, disabled=disabled,
                 format_func=lambda n: f"{n} ({sizes_by_name[n]['train']['n']:,} training images)")


def preset_buttons(presets: dict, prefix: str, disabled: bool) -> None:
    """One button per preset; pressing it sets every widget `prefix + field` but the dataset."""
    def apply(name: str) -> None:
        for field, value in asdict(presets[name]).items():
            if field != "dataset":
                st.session_state[f"{prefix}{field}"] = value

    st.subheader("Presets")
    for name in presets:
        st.button(name, key=f"{prefix}preset_{name}", on_click=apply, args=(name,), width="stretch",
                  disabled=disabled)


def run_outcomes(job: TrainingJob) -> None:
    """The job's error, if any, and each run that diverged or was stopped."""
    if job.error:
        st.error(f"Training failed: {job.error}")
    for run in job.runs:
        result = run.trained.result if run.trained is not None else None
        if result is not None and result.status == "diverged":
            st.error(f"**{run.name} diverged.** {result.message} Try a smaller learning rate.")
        elif result is not None and result.status == "stopped":
            st.warning(f"{run.name}: {result.message}. The run keeps what it learned and is saved.")
