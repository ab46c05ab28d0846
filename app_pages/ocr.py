import streamlit as st

from dashboard.models import model_chooser
from dashboard.ocr_view import read_photo, sample_pages, show_crops, show_page
from mlcore.model_io import ModelFileError
from mlcore.ocr.image_io import PHOTO_TYPES, ImageLoadError
from mlcore.ocr.page import WORK_SIDE
from mlcore.ocr.scoring import character_accuracy, word_break_accuracy

st.title("Read a handwritten page")
st.markdown("Upload a photo of a page written in **capital letters and digits**, take one with your camera, or "
            "pick a sample. Every character found is boxed (one colour per line) and labelled with what the "
            "network reads just above it; dashed red boxes are the ones it is unsure of.")

source = st.radio("Photo", ["Upload a photo", "Take a photo", "Sample page"], horizontal=True,
                  label_visibility="collapsed")

data, name, known_text = None, None, ""
if source == "Upload a photo":
    upload = st.file_uploader("Photo of a page", type=PHOTO_TYPES)
    if upload is not None:
        data, name = upload.getvalue(), upload.name
elif source == "Take a photo":
    shot = st.camera_input("Photo of a page")
    if shot is not None:
        data, name = shot.getvalue(), "camera.jpg"
else:
    chosen = st.selectbox("Sample page", sample_pages(), format_func=lambda p: p.name)
    data, name, known_text = chosen.data, chosen.name.rsplit(" ", 1)[-1], chosen.truth

with st.sidebar:
    path, model = model_chooser("ocr_model")

with st.expander("Pipeline settings"):
    st.markdown("Defaults are automatic; the values the reader chose for this photo are listed below.")
    work_side = st.slider("Working resolution (longest side, pixels)", 800, 2400, WORK_SIDE, 100,
                          help="Photos are processed at this size: larger is slower but keeps fine strokes.")
    correct = st.toggle("Read each word's letters and digits together", value=True,
                        help="A word reads all letters or all digits unless a character is far surer of the "
                             "other group (mixed tokens such as 4TH).")
    lexicon = st.toggle("Then prefer English words", value=True, disabled=not correct,
                        help="A word that reads almost like an English word (at least 1% as probable to the "
                             "network) becomes that word, and one read as letters that make no English word "
                             "(a postcode's CB2 read CBZ) mixes letters and digits more readily; letters written "
                             "touching are parted the way that makes a word of four letters or more, if the "
                             "likeliest way does not.")
    low = st.slider("Highlight characters below this confidence", 0.0, 1.0, 0.6, 0.05)

if data is None or model is None:
    st.stop()

try:
    view = read_photo(data, str(path), model, work_side, correct, lexicon)
except ImageLoadError as exc:
    st.error(f"Could not read this photo: {exc}")
    st.stop()
except ModelFileError as exc:   # the reader's own verifier or word recogniser (data/models/ocr/) missing or damaged
    st.error(f"The reader cannot run on this server: {exc}")
    st.stop()

if not view.characters:
    st.warning("No writing found on this photo. Is the page in focus and the writing dark enough?")
    st.image(view.photo, caption=name, clamp=True)
    st.stop()

labelled = st.toggle("Show what the network read", value=True, key="ocr_labels",
                     help="Each reading sits just above its box; turn it off to see every stroke of the photo.")
show_page(view, low, labelled)
left, right = st.columns([3, 2])
with left:
    st.subheader("Text")
    st.code(view.text, language=None)
    st.download_button("Download the text", view.text, file_name=f"{name.rsplit('.', 1)[0]}.txt")
    if correct and view.raw_text != view.text:
        with st.popover("Before word correction"):
            st.code(view.raw_text, language=None)
with right:
    st.subheader("Score")
    truth = st.text_area("True text (to score the reading)", value=known_text, key=f"truth_{name}",
                         placeholder="Type what the page says")
    if truth.strip():
        acc = character_accuracy(view.text, truth)
        breaks = word_break_accuracy(view.text, truth)
        cols = st.columns(2)
        cols[0].metric("Character accuracy", f"{acc:.1%}")
        cols[1].metric("Word breaks", "n/a" if breaks is None else f"{breaks:.0%}",
                       help="Only defined when lines and characters per line match the true text.")

st.subheader("What the network sees")
st.caption("Each character cut out, straightened, scaled and centred into 32x32 pixels as in its training data.")
show_crops(view, low)

with st.expander("Automatic settings for this photo"):
    st.write({"working resolution (px)": view.work_side, "skew corrected (degrees)": round(view.skew, 1),
              "median character height (px in the photo)": round(view.char_height, 1),
              "ink threshold (darker than paper by)": round(view.ink_threshold, 3),
              "characters": len(view.characters), "lines": view.text.count("\n") + 1})
