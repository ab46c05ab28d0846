import streamlit as st

from dashboard.data import usable_datasets
from dashboard.models import classifier
from mlcore.data.paths import ENV_VAR, data_dir, default_classifier_path
from mlcore.model_io import ModelFileError

st.title("How neural networks read handwriting")
st.markdown(
    "Neural networks written from scratch in numpy (`mlcore`): fully connected and convolutional, "
    "trained on real handwritten letters (NIST) and digits (MNIST). Every step - initialisation, "
    "backpropagation, optimizers - is our own code, checked against numerical gradients."
)

cols = st.columns(3)
cols[0].page_link("app_pages/theory.py", label="**Theory**: why networks work, live", icon=":material/functions:")
cols[1].page_link("app_pages/train.py", label="**Train** a network and watch it learn",
                  icon=":material/model_training:")
cols[2].page_link("app_pages/runs.py", label="Compare your **runs**", icon=":material/table_chart:")
cols[0].page_link("app_pages/draw.py", label="**Draw** a character for the network", icon=":material/draw:")
cols[1].page_link("app_pages/ocr.py", label="**Read** a photographed page", icon=":material/document_scanner:")
cols[2].page_link("app_pages/autoencoder.py", label="**Compress** characters with an autoencoder",
                  icon=":material/compress:")

sizes_by_name = usable_datasets()
if not sizes_by_name:
    st.warning(
        f"No handwriting data found in `{data_dir()}`. Point the `{ENV_VAR}` environment variable "
        "at a folder with letter `.mat` files and/or MNIST IDX files, or fetch the homework's "
        "full NIST36 set with `python -m mlcore download`."
    )
else:
    st.subheader("Data")
    for name, sizes in sizes_by_name.items():
        st.write(f"**{name}**: " + ", ".join(
            f"{split} {s['n']:,} ({s['letters']:,} letters, {s['digits']:,} digits)" for split, s in sizes.items()))
    if "nist36" not in sizes_by_name:
        st.caption("The homework's full NIST36 set (10,800 training images) is not here: "
                   "`python -m mlcore download` fetches it into the data directory.")

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
training = meta.get("training", {})
if training.get("command"):
    st.caption(f"Made by: `{training['command']}`")
for k, member in enumerate(training.get("ensemble_of") or []):
    st.caption(f"Member {k + 1} trained by: `{member}`")
