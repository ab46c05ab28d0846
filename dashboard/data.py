"""Cached access to datasets and models for the pages.

The data directory is part of every cache key, so that changing
MLCORE_DATA_DIR never serves data from another folder.
"""
from __future__ import annotations

import streamlit as st

from mlcore.data.datasets import available_datasets, dataset_summary, load_dataset
from mlcore.data.formats import DataFormatError
from mlcore.data.paths import data_dir


@st.cache_resource(max_entries=2, show_spinner="Loading handwriting data...")
def _dataset(name: str, root: str):
    # One copy shared by every session (st.cache_data would hand each call a copy of its own, tens of
    # MB a rerun), made read-only so that no session can change what the others see.
    ds = load_dataset(name, root)
    for split in ds.splits().values():
        split.X.flags.writeable = split.y.flags.writeable = False
    return ds


def dataset(name: str):
    """The dataset, shared read-only by all sessions."""
    return _dataset(name, str(data_dir()))


def _unreadable(name: str, exc: Exception) -> None:
    st.error(f"The {name!r} data cannot be read: {exc}")


def dataset_or_stop(name: str):
    """The dataset; if its files cannot be read, the page says why and stops."""
    try:
        return dataset(name)
    except (DataFormatError, OSError) as exc:
        _unreadable(name, exc)
        st.stop()


@st.cache_data
def _dataset_names(root: str) -> list[str]:
    return list(available_datasets(root))


def dataset_names() -> list[str]:
    return _dataset_names(str(data_dir()))


@st.cache_data
def _sizes(name: str, root: str) -> dict:
    return dataset_summary(name, root)


def dataset_sizes(name: str) -> dict:
    """Split sizes, computed once per server (the pool's from the dataset as loaded, its labels audited)."""
    return _sizes(name, str(data_dir()))


def usable_datasets() -> dict[str, dict]:
    """Name -> split sizes of every dataset whose files read; an error is shown for the others."""
    usable = {}
    for name in dataset_names():
        try:
            usable[name] = dataset_sizes(name)
        except (DataFormatError, OSError) as exc:
            _unreadable(name, exc)
    return usable


def forget_datasets() -> None:
    """After the data directory changed (a download): every session sees what is there now."""
    for cached in (_dataset, _dataset_names, _sizes):
        cached.clear()


def sample_count(name: str) -> int | None:
    """All the samples of a usable dataset (what a training's memory is judged by), or None without it."""
    sizes = usable_datasets().get(name)
    return None if sizes is None else sum(split["n"] for split in sizes.values())
