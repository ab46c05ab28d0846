"""What the training pages share: starting a job on the workers, following it live, and its outcome."""
from __future__ import annotations

import re
from dataclasses import asdict

import numpy as np
import streamlit as st

from dashboard.data import sample_count, usable_datasets
from dashboard.figures import MAX_UNITS, learning_curves, weight_grids
from dashboard.get_data import SYNTHETIC_NOTE, get_data_panel
from dashboard.image_grid import image_grid
from dashboard.jobs import executor, visitor, visitor_alive
from dashboard.runs_view import run_label
from dashboard.state import limits, registry
from mlcore.data.datasets import SYNTHETIC
from mlcore.data.paths import data_dir
from mlcore.jobs.executor import CANCELLED, QUEUED, Job, JobRefused
from mlcore.jobs.progress import EVALUATING, LOADING, PAUSE, PAUSED, RUN, STOP
from mlcore.training import EpochRecord, History

# What the loss of each kind of model is, for the curves' titles.
LOSS_NAMES = {"classifier": "mean cross-entropy", "autoencoder": "squared error per image"}


def start_job(job_key: str, runs: list, dataset: str) -> None:
    """Queue (name, recipe) runs for this visitor and keep the job in st.session_state[job_key];
    a refusal (a training over the server's limits, one job per visitor, a full queue, no workers)
    is shown instead."""
    lim = limits()
    if lim is None:
        return
    n_samples = sample_count(dataset)
    if n_samples is None:
        st.error(f"Not started: there is no {dataset!r} data on this server.")
        return
    try:
        for _, recipe in runs:
            lim.check_training(recipe, n_samples)
    except ValueError as exc:
        st.error(f"Not started: {exc}")
        return
    ex = executor()
    if ex is None:
        return
    try:
        st.session_state[job_key] = ex.submit(runs, dataset, owner=visitor(), settings={"dataset": dataset},
                                              registry=registry(), alive=visitor_alive(), data_dir=str(data_dir()))
    except JobRefused as exc:
        st.error(f"Not started: {exc}.")
        return
    st.rerun()


def histories(job: Job) -> dict:
    """Each run's epochs so far (a finished run's from its outcome, which also holds an epoch that diverged),
    by what tells the job's runs apart (their learning rates, say), or by nothing for a job of one run."""
    names = [run.task.name.split(" · ") for run in job.runs]
    shared = set.intersection(*map(set, names))
    return {" · ".join(p for p in parts if p not in shared): run.outcome.history if run.outcome
            else History([EpochRecord(**r) for r in run.progress.records]).to_dict()
            for parts, run in zip(names, job.runs)}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _waiting(job: Job) -> None:
    when = f"; it should start in about {_duration(job.starts_in)}" if job.starts_in is not None else ""
    cols = st.columns([4, 1])
    cols[0].info(f"Waiting for a free worker: your training is {_ordinal(job.position or 1)} in line{when}. "
                 "You may leave this page: it goes on.")
    cols[1].button("Cancel", on_click=executor().control, args=(job, STOP), width="stretch")


def _status_text(job: Job) -> str:
    run = job.active
    p = run.progress
    if p.phase == LOADING or (p.epoch == 0 and p.batch == 0):
        return f"{run.task.name}: loading the data and building the network on a worker"
    where = f"epoch {min(p.epoch + 1, p.epochs)} of {p.epochs}, batch {p.batch} of {p.n_batches}"
    if job.control.state == STOP:
        return f"{run.task.name}: stopping, then scoring and saving what it learned"
    if p.phase == EVALUATING:
        return f"{run.task.name}: scoring every split"
    if p.phase == PAUSED:
        return f"{run.task.name}: paused at {where}"
    eta = job.eta_seconds()
    return f"{run.task.name}: {where}" + (f" - about {_duration(eta)} left" if eta is not None else "")


def _controls(job: Job) -> None:
    ex, paused = executor(), job.control.state == PAUSE
    stopping = job.control.state == STOP
    cols = st.columns(3)
    cols[0].button("Stop", on_click=ex.control, args=(job, STOP), disabled=stopping, width="stretch",
                   help="End the training now; what it has learned is scored and saved as a stopped run")
    cols[1].button("Resume" if paused else "Pause", on_click=ex.control, args=(job, RUN if paused else PAUSE),
                   disabled=stopping, width="stretch")
    cols[2].button("Step one epoch", on_click=lambda: ex.control(job, step=True), disabled=stopping or not paused,
                   width="stretch", help="While paused: train to the end of the epoch, then pause again")


@st.fragment(run_every=1.0)
def live_progress(job_key: str, kind: str) -> None:
    """The job in st.session_state[job_key] while it waits or trains, redrawn every second: its place
    in the queue, or its progress, controls and curves; the whole page reruns when it ends."""
    job = st.session_state[job_key]
    if not job.running:
        st.rerun()
    # Streamlit's own Stop (in the header while a rerun of this fragment is slow) would only stop the
    # redraw, not the training: one Stop on the page, the one below.
    st.html("<style>[data-testid='stStatusWidget'] button {display: none}</style>")
    if job.state == QUEUED:
        _waiting(job)
        return
    p = job.active.progress
    st.progress(p.fraction if p.phase != LOADING else 0.0, text=_status_text(job))
    _controls(job)
    if p.loss is not None:
        st.caption(f"Loss over this epoch's batches so far: {p.loss:.4f}"
                   + (f" · on worker {p.worker}" if p.worker else ""))
    _live_curves(job, kind)


def _live_curves(job: Job, kind: str) -> None:
    # Curves change once an epoch, the fragment reruns every second: the figure is rebuilt only when
    # an epoch has ended (building it costs 20 ms, for every visitor following a training).
    stamp = (job.key, tuple(len(r.progress.records) for r in job.runs))
    cached = st.session_state.get("live_curves")
    if cached is None or cached[0] != stamp:
        cached = st.session_state["live_curves"] = (stamp, learning_curves(histories(job), loss_name=LOSS_NAMES[kind]))
    st.plotly_chart(cached[1], width="stretch", key="live_curves_chart")


def datasets_offered() -> dict[str, dict]:
    """Name -> split sizes of the usable datasets; with only the synthetic one, real data offered."""
    sizes_by_name = usable_datasets()
    if set(sizes_by_name) <= {SYNTHETIC}:
        st.info(SYNTHETIC_NOTE, icon=":material/info:")
        with st.expander("Get real handwriting"):
            get_data_panel()
    return sizes_by_name


def dataset_label(name: str, sizes: dict) -> str:
    kind = " - drawn from stroke fonts, not real handwriting" if name == SYNTHETIC else ""
    return f"{name}{kind} ({sizes['train']['n']:,} training images)"


def dataset_select(sizes_by_name: dict[str, dict], key: str, disabled: bool) -> None:
    st.selectbox("Dataset", list(sizes_by_name), key=key, disabled=disabled,
                 format_func=lambda n: dataset_label(n, sizes_by_name[n]))


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


def job_outcome(job: Job, kind: str) -> None:
    """How the job ended: its failure, if any; each run that diverged, was stopped or could not be
    saved; and the curves of every epoch trained."""
    if job.state == CANCELLED:
        st.info("Your training left the queue before it started." + (f" ({job.error})" if job.error else ""))
        return
    if job.error:
        st.error(f"Training failed: {job.error}.")
    for run in job.runs:
        outcome = run.outcome
        if outcome is not None and outcome.status == "diverged":
            st.error(f"**{outcome.name} diverged.** {outcome.message} Try a smaller learning rate.")
        elif outcome is not None and outcome.status == "stopped":
            st.warning(f"{outcome.name}: {outcome.message}. The run keeps what it learned and is saved.")
        if run.save_error:
            st.error(f"{outcome.name}: {run.save_error}. Download the model below to keep it.")
            st.download_button(f"Download {outcome.name}", outcome.model,
                               file_name=re.sub(r"[^\w.,-]+", "_", outcome.name) + ".npz",
                               key=f"save_failed_{run.task.key}")
        if run.evicted:
            st.info("To stay within what each visitor may keep, your oldest unpublished runs were removed: "
                    + ", ".join(map(run_label, run.evicted)) + ". Publish a run on the Runs "
                    "page to keep it.")
    curves = histories(job)
    if any(h["epoch"] for h in curves.values()):
        st.plotly_chart(learning_curves(curves, loss_name=LOSS_NAMES[kind]), width="stretch")


def accuracy_note(outcome) -> str:
    """Why a classifier's train curve and its Train accuracy differ, with the numbers to compare."""
    train, valid = outcome.metrics["train"], outcome.metrics["valid"]
    curve = [a for a in outcome.history.get("train_acc") or [] if a is not None]
    note = (f"Train accuracy is scored after training, on the whole training split as it is "
            f"({train['digits']['n']:,} digits, {train['letters']['n']:,} letters).")
    if curve:
        note += (f" The dashed train curve (last epoch: {curve[-1]:.1%}) is the accuracy on each epoch's batches while "
                 "they were being learned, with every class seen equally often (rare letters repeated) and, when "
                 "augmentation is on, distorted: compare it with the train balanced accuracy, "
                 f"{train['balanced_accuracy']:.1%}, rather than with the Train accuracy.")
    if outcome.status == "completed":
        note += f" The valid curve ends at the Valid accuracy, {valid['accuracy']:.1%}."
    return note


def first_layer_change(first_layer: dict) -> None:
    """The first weighted layer before and after training, and what changed, with how much it moved."""
    kind, before, after = (first_layer[k] for k in ("kind", "before", "after"))
    moved = float(np.linalg.norm(after - before) / max(float(np.linalg.norm(before)), 1e-12))
    what = ("each hidden unit's 1024 input weights as a 32x32 image (the first 128 units)" if kind == "dense"
            else "the first convolution's 3x3 kernels, enlarged")
    st.caption(f"The first layer: {what}. Before and after share each unit's grey scale; the change is on one "
               f"scale for all (mid-grey: unchanged, lighter: the weight grew). Training moved this layer by "
               f"{moved:.0%} of its starting size (the norm of after - before over the norm of before).")
    captions = [str(i + 1) for i in range(min(before.shape[1], MAX_UNITS))]
    for col, title, images in zip(st.columns(3), ("Before training", "After training", "Change"),
                                  weight_grids(before, after, kind)):
        with col:
            st.markdown(f"**{title}**")
            image_grid(images, captions, width=36)
