import numpy as np
import streamlit as st

from dashboard.canvas import drawing
from dashboard.draw_figures import TOP_K, feature_map_images, top_classes_figure, units_figure
from dashboard.models import model_chooser
from mlcore.data.glyphs import SIZE
from mlcore.ensemble import members
from mlcore.ocr.character import drawing_to_input
from mlcore.ocr.image_io import PHOTO_TYPES, ImageLoadError, load_photo
from mlcore.ocr.page import WORK_SIDE

SHOWN_SCALE = 6   # the 32x32 input is shown at 192x192, each pixel a crisp square

st.title("Draw a character")
st.markdown("Draw a **capital letter or a digit**. The network sees your drawing exactly as it sees a character "
            "cut from a photographed page: cropped to its ink, scaled to 25 pixels and centred in 32x32.")

with st.sidebar:
    path, model = model_chooser("draw_model")

source = st.radio("Input", ["Draw", "Upload a picture"], horizontal=True, label_visibility="collapsed",
                  key="draw_source")
drawn, seen, verdict = st.columns([1.3, 0.9, 1.6])
with drawn:
    if source == "Draw":
        pen = st.slider("Pen width", 6, 40, 18, key="draw_pen",
                        help="Any width works: the networks were trained on pens from fine to thick.")
        pixels = drawing(pen)
        st.caption("Undo, redo and clear are in the toolbar above the canvas (it shows while the pointer is on it).")
        missing = "Draw a character on the canvas: the network's reading appears here."
    else:
        upload = st.file_uploader("A picture of one character", type=PHOTO_TYPES, key="draw_upload",
                                  help="Dark on light or light on dark; one character, not a page.")
        pixels = None
        missing = "Upload a picture of one character: the network's reading appears here."
        if upload is not None:
            try:
                pixels = load_photo(upload.getvalue(), WORK_SIDE)[0]
            except ImageLoadError as exc:
                st.error(f"Could not read this picture: {exc}")
                st.stop()
            missing = "No ink found in this picture: is the character dark on light paper, or light on dark?"

if model is None:
    st.stop()
if model.network.input_shape != (SIZE * SIZE,):
    st.error(f"This model takes inputs of shape {model.network.input_shape}, not the {SIZE}x{SIZE} characters "
             "drawn here.")
    st.stop()

character = drawing_to_input(pixels) if pixels is not None else None
if character is None:
    seen.info(missing)
    st.stop()

probs = model.network.predict_proba(character.row)[0]
best = int(np.argmax(probs))
with seen:
    st.markdown("**What the network sees**")
    st.image(np.kron(character.image, np.ones((SHOWN_SCALE, SHOWN_SCALE))), clamp=True,
             caption=f"{SIZE}x{SIZE} input, enlarged")
with verdict:
    st.markdown(f"#### The network reads **{model.classes[best]}** ({probs[best]:.0%})")
    st.plotly_chart(top_classes_figure(probs, model.classes), width="stretch")
    st.caption(f"The {TOP_K} most probable of {len(model.classes)} classes.")

st.subheader("Inside the network")
inner = members(model.network)
if len(inner) > 1:
    st.caption(f"This classifier averages the probabilities of {len(inner)} networks; here is the inside of "
               "the first.")
activations = inner[0].hidden_activations(character.row)
dense = [(i, out[0]) for i, out in activations if out.ndim == 2]
maps = [(i, out[0]) for i, out in activations if out.ndim == 4]
if maps:
    i, first = maps[0]
    st.markdown(f"The first convolution's **{first.shape[-1]} feature maps** ({first.shape[0]}x{first.shape[1]} after "
                "pooling and ReLU): each kernel's response across the drawing, dark where it responds most.")
    # A list of images wraps to the screen's width: a phone shows fewer per row, each as large.
    st.container(key="feature_maps").image(feature_map_images(first), clamp=True,
                                           caption=[str(k + 1) for k in range(first.shape[-1])])
if dense:
    st.markdown("Each square is one hidden unit of a fully connected layer; its colour is the unit's activation for "
                "this drawing. Different characters light up different units.")
    for k, ((i, units), col) in enumerate(zip(dense, st.columns(len(dense)))):
        kind = inner[0].layers[i].kind
        col.plotly_chart(units_figure(units, f"hidden layer {k + 1}: {len(units)} {kind} units"), width="stretch")
