from dataclasses import asdict

import streamlit as st

from dashboard.figures import confusion_heatmap
from dashboard.image_grid import image_grid
from dashboard.jobs import resume_job
from dashboard.train_settings import (
    ARCHS,
    BATCH_SIZES,
    CHOICES,
    ELASTIC,
    LEARNING_RATES,
    PRESETS,
    RANGES,
    TrainSettings,
    from_query,
    with_current,
)
from dashboard.training_view import (
    accuracy_note,
    dataset_select,
    datasets_offered,
    first_layer_change,
    job_outcome,
    live_progress,
    preset_buttons,
    start_job,
)
from mlcore.data.glyphs import rows_to_images
from mlcore.jobs.executor import Job

st.title("Train a network")

sizes_by_name = datasets_offered()
names = list(sizes_by_name)

# ------------------------------------------------------------------ settings
FIELDS = [f for f in asdict(TrainSettings())]
if "train_settings_loaded" not in st.session_state:
    # First run of this session: the URL (a shared link) decides, then the defaults.
    settings, problems = from_query(st.query_params.to_dict(), TrainSettings(dataset=names[0]))
    if settings.dataset not in names:
        settings = TrainSettings(**{**asdict(settings), "dataset": names[0]})
    for name in FIELDS:
        st.session_state[f"ts_{name}"] = getattr(settings, name)
    st.session_state["train_settings_loaded"] = True
    if problems:
        st.warning("Some settings in the link were not valid and were reset: " + ", ".join(problems))


resume_job("train_job", "classifier")
job: Job | None = st.session_state.get("train_job")
busy = job is not None and job.running

with st.sidebar:
    preset_buttons(PRESETS, "ts_", busy)
    st.caption("A preset fills the form; nothing trains until you press Train.")

left, right = st.columns(2)
with left:
    dataset_select(sizes_by_name, "ts_dataset", busy)
    st.radio("Model", list(ARCHS), format_func=ARCHS.get, key="ts_arch", horizontal=True, disabled=busy)
    if st.session_state["ts_arch"] == "mlp":
        st.text_input("Hidden layer sizes", key="ts_hidden", disabled=busy, help="Comma-separated, e.g. 512,256")
        st.selectbox("Activation", CHOICES["activation"], key="ts_activation", disabled=busy)
        st.selectbox("Initialisation", CHOICES["init"], key="ts_init", disabled=busy,
                     help="xavier: Var[W] = 2/(n_in+n_out); he: 2/n_in; normal: N(0, 0.01²); zeros: no learning")
    else:
        st.caption("CNN: conv 3x3 (32) - pool - ReLU - conv 3x3 (64) - pool - ReLU - dense 128 - 36, He init.")
with right:
    st.selectbox("Optimizer", CHOICES["optimizer"], key="ts_optimizer", disabled=busy)
    st.select_slider("Learning rate", with_current(LEARNING_RATES, st.session_state["ts_lr"]), key="ts_lr",
                     disabled=busy, format_func=lambda v: f"{v:g}")
    st.select_slider("Batch size", BATCH_SIZES, key="ts_batch", disabled=busy)
    st.slider("Epochs", *RANGES["epochs"], key="ts_epochs", disabled=busy)
    cols = st.columns(2)
    cols[0].toggle("Augmentation", key="ts_augment", disabled=busy,
                   help="Random rotation, scale, shear, shift and stroke width, new every epoch")
    cols[0].select_slider("Elastic distortion (px)", ELASTIC, key="ts_elastic",
                          disabled=busy or not st.session_state["ts_augment"], format_func=lambda v: f"{v:g}",
                          help="Part of the augmentation: bends the strokes by a smooth random field of this "
                               "average size (Simard et al., 2003). Helps the letters most, of which we have "
                               "few; 0 switches it off.")
    cols[1].toggle("Standardize inputs", key="ts_standardize", disabled=busy,
                   help="Centre and scale the pixels (mean 0, std 1 over the training set). The homework fed "
                        "raw pixels, mostly white: the offset slows learning a lot.")
    st.number_input("Seed", 0, 10**6, key="ts_seed", disabled=busy)
    st.toggle("Also at x10 and x0.1 this learning rate", key="ts_lr_sweep", disabled=busy,
              help="Trains three runs that differ only in the learning rate and overlays their curves: "
                   "the homework's Q3.2 experiment.")

settings = TrainSettings(**{name: st.session_state[f"ts_{name}"] for name in FIELDS})
st.query_params.from_dict(settings.to_query())  # the URL now reproduces this page

if st.button("Train 3 runs" if settings.lr_sweep else "Train", type="primary", disabled=busy):
    try:
        runs = settings.runs()
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    start_job("train_job", runs, settings.dataset)

if job is None:
    st.info("Choose settings (or a preset) and press **Train**. Curves are drawn live, epoch by epoch.")
    st.stop()


if job.running:
    live_progress("train_job", "classifier")
    st.stop()

# ------------------------------------------------------------------ results
job_outcome(job, "classifier")

finished = [run.outcome for run in job.runs if run.outcome is not None]
if not finished:
    st.stop()
outcome = finished[0]
if len(finished) > 1:
    shown = st.radio("Details of", [o.name for o in finished], horizontal=True)
    outcome = next(o for o in finished if o.name == shown)
metrics = outcome.metrics
cols = st.columns(4)
for col, split in zip(cols, ("train", "valid", "test")):
    col.metric(f"{split.capitalize()} accuracy", f"{metrics[split]['accuracy']:.1%}",
               help=f"letters {metrics[split]['letters']['accuracy']:.1%}, "
                    f"digits {metrics[split]['digits']['accuracy']:.1%}")
cols[3].metric("Test balanced accuracy", f"{metrics['test']['balanced_accuracy']:.1%}",
               help="Mean of the 36 per-class accuracies: letters and digits count equally")
st.caption(accuracy_note(outcome))
saved = next(run.saved for run in job.runs if run.outcome is outcome)
if saved:
    st.caption(f"Saved as run `{saved.id}` (see the Runs page), trained on worker `{outcome.worker}`.")

tabs = st.tabs(["First-layer weights", "Confusion matrix", "Misclassified test samples"])
with tabs[0]:
    first_layer_change(outcome.first_layer)
review = outcome.review
with tabs[1]:
    st.plotly_chart(confusion_heatmap(review["confusion"], review["classes"]), width="stretch")
    pairs = metrics["test"]["most_confused"][:8]
    st.markdown("**Most confused:** " + ", ".join(f"{p['true']} taken for {p['predicted']} ({p['count']})"
                                                  for p in pairs))
with tabs[2]:
    classes = review["classes"]
    captions = [f"{classes[t]}→{classes[p]} {c:.0%}" for t, p, c in zip(review["true"], review["pred"],
                                                                       review["confidence"])]
    st.caption(f"{review['n_wrong']} of {review['n_test']} test samples are misclassified; "
               f"the first {len(captions)} are shown as true→predicted with the network's confidence.")
    image_grid(rows_to_images(review["X"]), captions, width=56)
