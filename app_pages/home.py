import streamlit as st

from dashboard.data import dataset_names, dataset_sizes
from dashboard.models import load_classifier
from mlcore.data.paths import ENV_VAR, data_dir, default_classifier_path

st.title("How neural networks read handwriting")
st.markdown(
    "Neural networks written from scratch in numpy (`mlcore`): fully connected and convolutional, "
    "trained on real handwritten letters (NIST) and digits (MNIST). Every step - initialisation, "
    "backpropagation, optimizers - is our own code, checked against numerical gradients."
)

cols = st.columns(3)
cols[0].page_link("app_pages/train.py", label="**Train** a network and watch it learn",
                  icon=":material/model_training:")
cols[1].page_link("app_pages/runs.py", label="Compare your **runs**", icon=":material/table_chart:")
cols[2].page_link("app_pages/ocr.py", label="**Read** a photographed page", icon=":material/document_scanner:")

names = dataset_names()
if not names:
    st.warning(
        f"No handwriting data found in `{data_dir()}`. Point the `{ENV_VAR}` environment variable "
        "at a folder with letter `.mat` files and/or MNIST IDX files, or fetch the homework's "
        "full NIST36 set with `python -m mlcore download`."
    )
else:
    st.subheader("Data")
    for name in names:
        sizes = dataset_sizes(name)
        st.write(f"**{name}**: " + ", ".join(
            f"{split} {s['n']:,} ({s['letters']:,} letters, {s['digits']:,} digits)" for split, s in sizes.items()))
    if "nist36" not in names:
        st.caption("The homework's full NIST36 set (10,800 training images) is not here: "
                   "`python -m mlcore download` fetches it into the data directory.")

st.subheader("The shipped classifier")
model = load_classifier(default_classifier_path())
meta = model.metadata
test = meta["metrics"]["test"]
st.write(f"`{meta['description']}`, {meta['n_parameters']:,} parameters, trained on the "
         f"`{meta['data']['dataset']}` dataset.")
cols = st.columns(3)
cols[0].metric("Test letters", f"{test['letters']['accuracy']:.1%}")
cols[1].metric("Test digits", f"{test['digits']['accuracy']:.1%}")
cols[2].metric("Balanced accuracy", f"{test['balanced_accuracy']:.1%}")
st.caption("Trained by: `" + meta["training"]["command"] + "`")
