"""Headless tests of the Autoencoder page (streamlit.testing.v1.AppTest)."""
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mlcore.registry import Registry
from tests.app_helpers import APP, open_page, wait_for_job
from tests.bad_images import encode
from tests.known_pages import as_canvas_pixels, drawn_character


def _page():
    return open_page("app_pages/autoencoder.py")


def _image_rows(at) -> list:
    """The page's rows of images (originals and reconstructions), drawn as HTML."""
    return [h for h in at.get("html") if "<img " in h.proto.body and "image/png" in h.proto.body]


def _code_maps(at) -> list:
    return [h for h in at.get("html") if "image/svg+xml" in h.proto.body]


@pytest.mark.real_data
def test_page_shows_the_shipped_models_reconstructions_table_and_code_map():
    at = _page()
    assert [m.label for m in at.metric] == ["Mean validation PSNR", "Letters", "Digits"]
    assert at.metric[0].value.endswith(" dB") and float(at.metric[0].value.split()[0]) > 15
    assert len(_code_maps(at)) == 1
    assert len(_image_rows(at)) == 2         # one model's reconstructions, two side by side
    table = at.dataframe[0].value
    assert list(table["model"]) == ["shipped: best", "shipped: homework"]
    assert (table["valid PSNR (dB)"] > 15).all()
    at.multiselect(key="ae_classes").set_value([]).run()
    assert any("at least one class" in i.value for i in at.info)


@pytest.mark.slow
@pytest.mark.real_data
def test_momentum_against_adam_trains_two_runs_and_compares_them():
    at = _page()
    at.slider(key="ae_epochs").set_value(1).run()
    next(b for b in at.button if b.label == "Momentum SGD vs Adam").click().run()
    wait_for_job(at, "ae_job")
    runs = Registry().list("autoencoder")
    assert sorted(r.name for r in runs) == ["Adam", "momentum SGD"]
    assert {r.settings["optimizer"] for r in runs} == {"momentum", "adam"}
    table = at.dataframe[0].value
    assert [name.split(":")[0] for name in table["model"]] == ["momentum SGD", "Adam"]
    runs_page = AppTest.from_file(APP, default_timeout=60)         # the same visitor
    runs_page.session_state["visitor_token"] = at.session_state["visitor_token"]
    runs_page.switch_page("app_pages/runs.py").run()
    assert not runs_page.exception
    assert runs_page.dataframe[0].value["valid PSNR"].notna().sum() == 2


@pytest.mark.slow
@pytest.mark.real_data
def test_a_diverging_run_is_reported_and_nothing_breaks():
    at = _page()
    at.selectbox(key="ae_optimizer").set_value("sgd").run()
    at.select_slider(key="ae_lr").set_value(1.0).run()
    at.slider(key="ae_epochs").set_value(3).run()
    next(b for b in at.button if b.label == "Train").click().run()
    wait_for_job(at, "ae_job")
    assert any("diverged" in e.value for e in at.error)
    # the curves; the models and their code map still shown
    assert len(at.get("plotly_chart")) == 1 and len(_image_rows(at)) == 2 and len(_code_maps(at)) == 1


@pytest.mark.slow
def test_page_without_data_uses_the_synthetic_set_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("MLCORE_DATA_DIR", str(tmp_path))
    at = _page()
    assert any("synthetic" in i.value for i in at.info)
    assert at.selectbox(key="ae_dataset").value == "synthetic"


@pytest.mark.real_data
def test_an_uploaded_character_is_rebuilt_by_both_models():
    at = _page()
    png = encode(Image.fromarray(as_canvas_pixels(drawn_character("S"))), "PNG")
    at.file_uploader(key="ae_upload").set_value(("S.png", png, "image/png")).run()
    assert not at.exception and not at.error
    assert len(_image_rows(at)) == 3
    assert "<div" in _image_rows(at)[-1].proto.body and ">yours<" in _image_rows(at)[-1].proto.body


@pytest.mark.real_data
def test_a_picture_that_is_not_an_image_gets_a_message():
    at = _page()
    at.file_uploader(key="ae_upload").set_value(("S.png", b"certainly not a PNG", "image/png")).run()
    assert not at.exception
    assert any("Could not read this picture" in e.value for e in at.error)
