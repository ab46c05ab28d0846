import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcore.data.datasets import available_datasets, load_dataset  # noqa: E402
from mlcore.data.paths import data_dir  # noqa: E402


def need_real_data(what: str = "handwriting"):
    """Skip (or, in CI, fail) when the real data is not in the data directory."""
    if what in available_datasets(data_dir()):
        return
    reason = f"no '{what}' data in {data_dir()} (set MLCORE_DATA_DIR to the real data)"
    if os.environ.get("MLCORE_REQUIRE_DATA"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_dataset():
    need_real_data()
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
