from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.autoencoder_settings import (
    AE_BATCH_SIZES,
    AE_LEARNING_RATES,
    BOTTLENECKS,
    DECAY_STEPS,
    OPTIMIZER_NAMES,
    PRESETS,
    WIDTHS,
    AutoencoderSettings,
    comparison,
)
from dashboard.autoencoder_view import (
    COMPARISON_COLUMNS,
    code_map_html,
    hold_model_choices,
    model_row,
    pick_samples,
    show_comparison,
    usable_autoencoder,
)
from dashboard.data import dataset_or_stop
from dashboard.jobs import resume_job
from dashboard.models import autoencoder_choices
from dashboard.train_settings import RANGES, with_current
from dashboard.training_view import (
    dataset_select,
    datasets_offered,
    job_outcome,
    live_progress,
    preset_buttons,
    start_job,
)
from mlcore.jobs.executor import Job
from mlcore.ocr.character import drawing_to_input
from mlcore.ocr.image_io import PHOTO_TYPES, ImageLoadError, load_photo
from mlcore.ocr.page import WORK_SIDE

st.title("Compress characters with an autoencoder")
st.markdown(
    "An autoencoder squeezes each 32x32 character (1024 pixels) through a narrow **code** and rebuilds "
    "the image from it: the homework's Q5 network is 1024-32-32-32-1024, so each character becomes "
    "32 numbers. What it cannot fit through the code is lost: look at what it keeps. Reconstructions "
    "are scored by the peak signal-to-noise ratio, higher is better (+6 dB = half the error):")
st.latex(r"\mathrm{PSNR} = 10 \log_{10} \frac{1}{\frac{1}{1024}\sum_i (x_i - \hat x_i)^2}\ \mathrm{dB}")

sizes_by_name = datasets_offered()
names = list(sizes_by_name)

# ------------------------------------------------------------------ settings
FIELDS = list(asdict(AutoencoderSettings()))
if "ae_dataset" not in st.session_state:
    for field, value in asdict(AutoencoderSettings(dataset=names[0])).items():
        st.session_state[f"ae_{field}"] = value


resume_job("ae_job", "autoencoder")
job: Job | None = st.session_state.get("ae_job")
busy = job is not None and job.running

with st.sidebar:
    preset_buttons(PRESETS, "ae_", busy)
    st.subheader("Train two and compare")
    compare = None
    if st.button("Momentum SGD vs Adam", width="stretch", disabled=busy):
        compare = "optimizer"
    if st.button("Code of 16 vs 64", width="stretch", disabled=busy):
        compare = "bottleneck"

if st.session_state["ae_dataset"] not in names:
    st.session_state["ae_dataset"] = names[0]
left, right = st.columns(2)
with left:
    dataset_select(sizes_by_name, "ae_dataset", busy)
    st.select_slider("Code size (bottleneck)", with_current(BOTTLENECKS, st.session_state["ae_bottleneck"]),
                     key="ae_bottleneck", disabled=busy,
                     help="How many numbers each character is squeezed into")
    st.select_slider("Width of the layers either side of the code",
                     with_current(WIDTHS, st.session_state["ae_width"]), key="ae_width", disabled=busy)
    toggles = st.columns(2)
    toggles[0].toggle("Standardize inputs", key="ae_standardize", disabled=busy,
                      help="Centre and scale the input pixels; the network still rebuilds the pixels themselves")
    toggles[1].toggle("Augmentation", key="ae_augment", disabled=busy,
                      help="Random rotation, scale, shear, shift and stroke width, new every epoch: the network "
                           "rebuilds the distorted image, so it cannot memorise the training set")
    st.number_input("Seed", 0, 10**6, key="ae_seed", disabled=busy)
with right:
    st.selectbox("Optimizer", list(OPTIMIZER_NAMES), format_func=OPTIMIZER_NAMES.get, key="ae_optimizer",
                 disabled=busy)
    st.select_slider("Learning rate", with_current(AE_LEARNING_RATES, st.session_state["ae_lr"]), key="ae_lr",
                     disabled=busy, format_func=lambda v: f"{v:.3g}")
    st.slider("Momentum", 0.0, 0.99, key="ae_momentum", step=0.01, disabled=busy or
              st.session_state["ae_optimizer"] != "momentum")
    st.select_slider("Batch size", with_current(AE_BATCH_SIZES, st.session_state["ae_batch"]), key="ae_batch",
                     disabled=busy)
    st.slider("Epochs", *RANGES["epochs"], key="ae_epochs", disabled=busy)
    st.select_slider("Halve the learning rate every", DECAY_STEPS, key="ae_decay_step", disabled=busy,
                     format_func=lambda n: f"{n} epochs" if n else "never")

settings = AutoencoderSettings(**{name: st.session_state[f"ae_{name}"] for name in FIELDS})
if st.button("Train", type="primary", disabled=busy) or compare:
    try:
        runs = comparison(settings, compare) if compare else [(settings.name(), settings.recipe())]
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    start_job("ae_job", runs, settings.dataset)

if busy:
    live_progress("ae_job", "autoencoder")
    st.stop()

# ------------------------------------------------------------------ the last job
choices = autoencoder_choices()
labels_by_path = {str(path): label for label, path in choices.items()}
if job is not None:
    job_outcome(job, "autoencoder")
    if st.session_state.get("ae_job_shown") is not job:
        # Show what was just trained: its runs become the models compared below.
        saved = [labels_by_path.get(str(run.saved.model_path)) for run in job.runs if run.saved]
        saved = [label for label in saved if label]
        if saved:
            st.session_state["ae_model_a"] = saved[0]
            if len(saved) > 1:
                st.session_state["ae_model_b"] = saved[1]
        st.session_state["ae_job_shown"] = job

# ------------------------------------------------------------------ reconstructions
ds = dataset_or_stop(settings.dataset)
st.subheader("Reconstructions of validation characters")
hold_model_choices(choices)
cols = st.columns([2, 3, 1])
cols[0].selectbox("Model", list(choices), key="ae_model_a",
                  help="The shipped autoencoders, or any run trained here (also on the Runs page)")
present = [c for c in range(len(ds.classes)) if np.any(ds.valid.y == c)]
default_classes = [ds.classes.index(c) for c in ("S", "T", "W", "4", "7") if ds.classes.index(c) in present]
shown = cols[1].multiselect("Classes", present, default=default_classes, format_func=lambda c: ds.classes[c],
                            key="ae_classes")
per_class = cols[2].number_input("Samples each", 1, 6, 2, key="ae_per_class")
if not shown:
    st.info("Choose at least one class to see its reconstructions.")
    st.stop()
idx = pick_samples(ds.valid.y, shown, per_class)
X = ds.valid.X[idx]
sample_labels = [ds.classes[c] for c in ds.valid.y[idx]]


path_a, model_a = usable_autoencoder(choices, st.session_state["ae_model_a"])
row_a = model_row(st.session_state["ae_model_a"], path_a, model_a, settings.dataset)
metrics = st.columns(3)
metrics[0].metric("Mean validation PSNR", f"{row_a['valid PSNR (dB)']:.2f} dB",
                  help=f"Over all {int((ds.valid.y >= 0).sum())} validation images of {settings.dataset}")
metrics[1].metric("Letters", f"{row_a['letters']:.2f} dB" if row_a["letters"] is not None else "-")
metrics[2].metric("Digits", f"{row_a['digits']:.2f} dB" if row_a["digits"] is not None else "-")
show_comparison({"reconstruction": model_a.network}, X, sample_labels)
st.caption("Top: the validation images. Middle: what the network rebuilds from its code, with each one's PSNR in dB. "
           "Bottom: the difference, dark where they disagree.")

# ------------------------------------------------------------------ comparison
st.subheader("Two models side by side")
st.selectbox("Compare with", list(choices), key="ae_model_b")
path_b, model_b = usable_autoencoder(choices, st.session_state["ae_model_b"])
row_b = model_row(st.session_state["ae_model_b"], path_b, model_b, settings.dataset)
show_comparison({"A": model_a.network, "B": model_b.network}, X, sample_labels)
st.dataframe(pd.DataFrame([row_a, row_b], index=["A", "B"]), width="stretch", column_config=COMPARISON_COLUMNS)

# ------------------------------------------------------------------ codes
st.subheader("The codes, seen from above")
code_map, explained = code_map_html(path_a, settings.dataset, shown)
st.caption(f"Each validation character's code (model A: {row_a['code']} numbers) projected on its first two "
           "principal components, which hold "
           f"{explained.sum():.0%} of the codes' variance; the classes chosen above in colour. Characters that look "
           "alike get nearby codes.")
st.html(code_map)

# ------------------------------------------------------------------ your own character
st.subheader("Your own character")
upload = st.file_uploader("A picture of one character", type=PHOTO_TYPES, key="ae_upload",
                          help="Dark on light or light on dark; it is cropped and scaled as the Draw page does.")
if upload is not None:
    try:
        character = drawing_to_input(load_photo(upload.getvalue(), WORK_SIDE)[0])
    except ImageLoadError as exc:
        st.error(f"Could not read this picture: {exc}")
        st.stop()
    if character is None:
        st.warning("No ink found in this picture: is the character dark on light paper, or light on dark?")
        st.stop()
    show_comparison({"A": model_a.network, "B": model_b.network}, character.row, ["yours"])
    st.caption("Your character as the networks see it (32x32), and what models A and B rebuild from its code.")
