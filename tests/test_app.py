"""Headless tests of the Streamlit pages (streamlit.testing.v1.AppTest)."""
from streamlit.testing.v1 import AppTest

from conftest import need_real_data
from mlcore.data.paths import REPO_ROOT

APP = str(REPO_ROOT / "streamlit_app.py")


def test_home_shows_data_and_the_shipped_classifier():
    need_real_data()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "handwriting" in text and "letters" in text
    assert {m.label for m in at.metric} == {"Test letters", "Test digits", "Balanced accuracy"}


def test_home_without_data_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("MLCORE_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("No handwriting data found" in w.value for w in at.warning)
    assert any("download" in w.value for w in at.warning)
