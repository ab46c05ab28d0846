"""Shared fixtures, and the markers' rules: a test marked `real_data` needs the real handwriting in the
data directory; without it, it is skipped (failed in CI, where MLCORE_REQUIRE_DATA is set)."""
import os

import pytest

from mlcore.data.datasets import available_datasets, load_dataset
from mlcore.data.paths import data_dir


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Runs before the test's fixtures, so that none of them reads data that is not there."""
    if item.get_closest_marker("real_data") is None or "handwriting" in available_datasets(data_dir()):
        return
    reason = f"no 'handwriting' data in {data_dir()} (set MLCORE_DATA_DIR to the real data)"
    if os.environ.get("MLCORE_REQUIRE_DATA"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_dataset():
    return load_dataset("handwriting")


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def _cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _runs_in_a_temporary_folder(tmp_path, monkeypatch, _cache):
    """No test writes runs into the data directory (which may be read-only, as in CI), nor its cache (the
    synthetic set, drawn once per session) into the home folder."""
    monkeypatch.setenv("MLCORE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("MLCORE_CACHE_DIR", str(_cache))
