import streamlit as st

from dashboard.data import usable_datasets
from dashboard.get_data import get_data_panel
from dashboard.models import classifier
from dashboard.training_view import dataset_label
from mlcore.data.datasets import SYNTHETIC
from mlcore.data.paths import data_dir, default_classifier_path
from mlcore.model_io import ModelFileError

st.title("How neural networks read handwriting")
st.markdown(
    "Neural networks written from scratch in numpy (`mlcore`): fully connected and convolutional, "
    "trained on real handwritten letters (NIST), digits (MNIST) and pen-written characters (Chars74K). "
    "Every step - initialisation, "
    "backpropagation, optimizers - is our own code, checked against numerical gradients."
)

st.subheader("Start here")
# Short labels: a page link does not wrap, and a phone shows about 35 characters of it.
START = [("app_pages/draw.py", "**Draw** a character, see it read", ":material/draw:",
          "The shipped network's five best guesses, and what each of its layers sees."),
         ("app_pages/train.py", "**Train** a network, watch it learn", ":material/model_training:",
          "Pick the *Homework baseline* preset and press Train: the curves are drawn as it learns."),
         ("app_pages/runs.py", "**Compare** your runs", ":material/table_chart:",
          "Change one setting at a time and see what it does."),
         ("app_pages/ocr.py", "**Read** a photographed page", ":material/document_scanner:",
          "Capitals written on paper, read line by line by the network you choose.")]
for step, (page, label, icon, hint) in enumerate(START, 1):
    st.page_link(page, label=f"{step}. {label}", icon=icon)
    st.caption(hint)
st.caption("Going further:")
FURTHER = [("app_pages/theory.py", "**Theory**: why networks work, live", ":material/functions:"),
           ("app_pages/tune.py", "**Tune** hyperparameters with Optuna", ":material/tune:"),
           ("app_pages/autoencoder.py", "**Compress** characters with an autoencoder", ":material/compress:")]
for col, (page, label, icon) in zip(st.columns(3), FURTHER):
    col.page_link(page, label=label, icon=icon)

sizes_by_name = usable_datasets()
real = {name: sizes for name, sizes in sizes_by_name.items() if name != SYNTHETIC}
if not real:
    st.info(f"**No real handwriting here yet** (in `{data_dir()}`): the Train page trains on the **synthetic** "
            "set the project draws itself from stroke fonts; real letters and digits are one click away below.",
            icon=":material/flag:")
st.subheader("Data")
for name, sizes in sizes_by_name.items():
    st.write(f"**{dataset_label(name, sizes)}**: " + ", ".join(
        f"{split} {s['n']:,} ({s['letters']:,} letters, {s['digits']:,} digits)" for split, s in sizes.items()))
with st.expander("Get the data", expanded=not real, icon=":material/download:"):
    get_data_panel()

st.subheader("The shipped classifier")
try:
    model = classifier(default_classifier_path())
except ModelFileError as exc:
    st.error(f"The shipped classifier cannot be loaded: {exc}")
    st.stop()
meta = model.metadata
st.write(f"`{model.network.describe()}`, {model.network.n_parameters():,} parameters, trained on the "
         f"`{meta.get('data', {}).get('dataset', '?')}` dataset.")
test = meta.get("metrics", {}).get("test")
if test:
    cols = st.columns(3)
    cols[0].metric("Test letters", f"{test['letters']['accuracy']:.1%}")
    cols[1].metric("Test digits", f"{test['digits']['accuracy']:.1%}")
    cols[2].metric("Balanced accuracy", f"{test['balanced_accuracy']:.1%}")
    within = test.get("within_group")
    if within:
        st.caption(f"Told whether each character is a letter or a digit, it reads letters "
                   f"{within['letters']['accuracy']:.1%} and digits {within['digits']['accuracy']:.1%}: the rest "
                   "of the gap is look-alikes across the groups (0/O, 1/I, 2/Z, 5/S), which a word's context "
                   "settles on a page.")
    if test.get("sources"):
        st.caption("Test accuracy per source: " + ", ".join(
            f"{name} {s['accuracy']:.1%} ({s['n']:,})" for name, s in test["sources"].items()) + ".")
training = meta.get("training", {})
if training.get("command"):
    with st.expander("How it was trained", icon=":material/terminal:"):
        # One flag a line, as a shell reads it: copyable, and never broken inside a flag on a phone.
        for k, command in enumerate([training["command"], *(training.get("ensemble_of") or [])]):
            if k:
                st.caption(f"Member {k}:")
            st.code(command.replace(" --", " \\\n  --"), language="bash")
