"""Entry point: `streamlit run streamlit_app.py`.

The pages live in app_pages/, not pages/: Streamlit treats a folder named
pages/ beside the entry point as a legacy multipage app, and then a link
straight to a page on a freshly started server shows the legacy navigation
instead of this one.
"""
import streamlit as st

from dashboard import identity
from dashboard.memory import return_freed_memory

st.set_page_config(page_title="Handwriting networks", page_icon=":material/edit:", layout="wide")
return_freed_memory()
identity.remember_browser()

pages = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/theory.py", title="Theory", icon=":material/functions:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/tune.py", title="Tune", icon=":material/tune:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/table_chart:"),
    st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:"),
    st.Page("app_pages/ocr.py", title="Read a page", icon=":material/document_scanner:"),
    st.Page("app_pages/autoencoder.py", title="Autoencoder", icon=":material/compress:"),
]
st.navigation(pages).run()
