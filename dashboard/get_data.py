"""'Get the data': the public sets, each with its size and origin, fetched into the data directory
with a progress bar. One download at a time per server: the files are everyone's."""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from dashboard.data import forget_datasets
from mlcore.data.download import SOURCES, DownloadError, Meter, Source, download, missing
from mlcore.data.paths import data_dir

SYNTHETIC_NOTE = ("No real handwriting is here yet, so this page uses the **synthetic** set: characters the project "
                 "draws itself from stroke fonts, bent and slanted the way hands vary. Real handwriting is one "
                 "click away, and is what makes a network read real pages well.")
EPHEMERAL_NOTE = ("On a host whose disk does not survive a restart (Streamlit Community Cloud), downloaded data "
                  "and saved runs are gone after one: download again, and download the runs you want to keep.")


@contextmanager
def _only_download(root: Path):
    """Holds the data directory's download lock, or yields False when another visitor holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".download.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _size_text(source: Source) -> str:
    return f"{source.size / 1e6:.1f} MB" if source.size else "size not published"


def _fetch(source: Source, root: Path) -> None:
    bar, meter = st.progress(0.0, text=f"Connecting for {source.title}..."), Meter()

    def progress(done: int, total: int | None) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=meter.text(done, total))

    with _only_download(root) as ours:
        if not ours:
            st.warning("Another visitor is downloading data right now: try again in a minute.")
            return
        try:
            result = download(source, root, progress=progress)
        except (DownloadError, OSError) as exc:
            bar.empty()
            st.error(f"{source.title} could not be downloaded: {exc}. Nothing was changed.")
            return
    forget_datasets()
    st.session_state["data_fetched"] = f"{source.title}: {result['bytes'] / 1e6:.1f} MB downloaded and verified."
    st.rerun()


def get_data_panel() -> None:
    """Each public set: what it is, its size and origin, and a button to fetch it (or that it is here)."""
    root = data_dir()
    if fetched := st.session_state.pop("data_fetched", None):
        st.success(fetched, icon=":material/check_circle:")
    for key, source in SOURCES.items():
        with st.container(border=True):
            st.markdown(f"**{source.title}** ({_size_text(source)})  \n{source.about}")
            st.caption(f"From {source.origin}. Verified by {source.verified}.")
            if not missing(source, root):
                st.success("In place.", icon=":material/check_circle:")
            elif st.button(f"Download {source.title}", key=f"get_{key}", icon=":material/download:"):
                _fetch(source, root)
    st.caption(EPHEMERAL_NOTE)
