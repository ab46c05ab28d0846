"""Headless tests of the Streamlit pages (streamlit.testing.v1.AppTest)."""
import json
import sys

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mlcore.data.download import SOURCES
from mlcore.data.paths import pages_dir
from mlcore.ocr.scoring import character_accuracy
from tests.app_helpers import APP, open_page, wait_for_job
from tests.bad_images import BAD, EMPTY_PAGES, encode
from tests.clusters import free_port, small_disk
from tests.known_pages import as_canvas_pixels, drawn_character, written_page


@pytest.mark.slow
@pytest.mark.real_data
def test_home_shows_data_and_the_shipped_classifier():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "handwriting" in text and "letters" in text
    assert {m.label for m in at.metric} == {"Test letters", "Test digits", "Balanced accuracy"}


def test_home_without_data_says_where_to_start_and_offers_the_data(monkeypatch, tmp_path):
    monkeypatch.setenv("MLCORE_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert "Start here" in [h.value for h in at.subheader]
    assert any("No real handwriting here yet" in i.value and "synthetic" in i.value for i in at.info)
    assert [b.label for b in at.button] == [f"Download {s.title}" for s in SOURCES.values()]
    assert any("MNIST" in m.value and "11.6 MB" in m.value for m in at.markdown)
    assert any("MD5 checksum torchvision publishes" in c.value for c in at.caption)


@pytest.mark.slow
@pytest.mark.real_data
def test_ocr_page_reads_a_sample_and_scores_it():
    at = open_page("app_pages/ocr.py")
    at.radio[0].set_value("Sample page").run()
    assert not at.exception
    assert at.selectbox[0].value.name == "photo: 01_list.jpg"
    truth = json.loads((pages_dir() / "ground_truth.json").read_text())["01_list.jpg"]
    assert at.text_area[0].value == truth   # the page's recorded text, scored against the reading
    assert at.metric[0].label == "Character accuracy" and float(at.metric[0].value.rstrip("%")) >= 90.0
    assert len(at.get("plotly_chart")) == 1   # the photo with its boxes; the crops are a grid of images
    [crops] = [h for h in at.get("html") if "<img " in h.proto.body]
    n_true = len(truth.replace(" ", "").replace("\n", ""))
    assert 0.9 * n_true <= crops.proto.body.count("<img ") <= 1.1 * n_true   # one a character read
    assert len(at.get("download_button")) == 1


def test_ocr_page_reads_an_upload():
    at = open_page("app_pages/ocr.py")
    at.file_uploader[0].set_value(("page.png", encode(Image.fromarray(
        (written_page("HELLO THERE") * 255).astype(np.uint8)), "PNG"), "image/png")).run()
    assert not at.exception and not at.error
    text = at.code[0].value   # a stroke-font page: its text is known exactly
    assert [len(word) for word in text.split(" ")] == [5, 5] and character_accuracy(text, "HELLO THERE") >= 0.9


@pytest.mark.parametrize("name", sorted(BAD) + sorted(EMPTY_PAGES))
def test_ocr_page_answers_bad_uploads_with_a_message(name):
    at = open_page("app_pages/ocr.py")
    content = {**BAD, **EMPTY_PAGES}[name]
    at.file_uploader[0].set_value(("photo.png", content, "image/png")).run()
    assert not at.exception
    messages = [e.value for e in at.error] + [w.value for w in at.warning]
    assert len(messages) == 1, messages
    assert ("Could not read this photo" in messages[0]) or ("No writing found" in messages[0])


def _train_page(query: dict | None = None):
    at = AppTest.from_file(APP, default_timeout=120)
    if query:
        at.query_params.update(query)
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    return at


@pytest.mark.slow
@pytest.mark.real_data
def test_train_page_trains_shows_results_and_saves_the_run():
    at = _train_page({"epochs": "2", "hidden": "32"})
    assert at.slider(key="ts_epochs").value == 2 and at.text_input(key="ts_hidden").value == "32"
    next(b for b in at.button if b.label == "Train").click().run()
    wait_for_job(at)
    labels = {m.label for m in at.metric}
    assert {"Train accuracy", "Valid accuracy", "Test accuracy", "Test balanced accuracy"} <= labels
    assert len(at.get("plotly_chart")) == 2  # the curves and the confusion matrix
    grids = [h for h in at.get("html") if "<img " in h.proto.body]
    assert len(grids) == 4                   # the first layer before, after and its change; the mistakes
    assert any("Saved as run" in c.value for c in at.caption)
    runs = AppTest.from_file(APP, default_timeout=60)          # the same visitor (their browser's token)
    runs.session_state["visitor_token"] = at.session_state["visitor_token"]
    runs.switch_page("app_pages/runs.py").run()
    assert not runs.exception
    assert len(runs.dataframe) == 1 and len(runs.dataframe[0].value) == 1
    other = AppTest.from_file(APP, default_timeout=60)         # someone else
    other.switch_page("app_pages/runs.py").run()
    assert not other.dataframe and any("No runs yet" in i.value for i in other.info)


@pytest.mark.slow
@pytest.mark.real_data
def test_train_page_reports_a_diverging_run_and_keeps_its_curves():
    # The homework network on raw pixels, one sample per step, momentum 0.9 at learning rate 1:
    # every step about 10 times the gradient, diverging by construction (test_training.py).
    at = _train_page({"epochs": "2", "lr": "1", "optimizer": "momentum", "batch": "1", "standardize": "0"})
    next(b for b in at.button if b.label == "Train").click().run()
    wait_for_job(at)
    assert any("diverged" in e.value for e in at.error)
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.real_data
def test_train_page_refuses_bad_settings_with_a_message():
    at = _train_page({"hidden": "64,abc", "lr": "banana", "arch": "transformer"})
    assert any("not valid" in w.value for w in at.warning)
    assert at.select_slider(key="ts_lr").value == 0.0175  # fell back to the default
    next(b for b in at.button if b.label == "Train").click().run()
    assert any("hidden layers" in e.value for e in at.error)
    assert "train_job" not in at.session_state


def test_runs_page_without_runs():
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)


@pytest.mark.real_data
def test_two_sessions_training_at_once_keep_their_own_runs():
    first, second = _train_page({"epochs": "2", "hidden": "16"}), _train_page({"epochs": "2", "hidden": "24"})
    for at in (first, second):
        next(b for b in at.button if b.label == "Train").click().run()
    for at in (first, second):
        wait_for_job(at)
    jobs = [at.session_state["train_job"] for at in (first, second)]
    assert jobs[0] is not jobs[1]
    from mlcore.model_io import load_model
    assert [load_model(job.runs[0].saved.model_path).network.describe() for job in jobs] == [
        "1024-16(sigmoid)-36", "1024-24(sigmoid)-36"]
    from mlcore.registry import Registry
    saved = {r.id: r.settings["hidden"] for r in Registry().list()}
    assert sorted(saved.values()) == [[16], [24]]
    assert {job.runs[0].saved.id for job in jobs} == set(saved)


@pytest.mark.slow
@pytest.mark.real_data
def test_learning_rate_preset_fills_the_homework_form_and_trains_three_runs_named_by_their_rate():
    at = _train_page({"epochs": "3", "lr": "0.001", "hidden": "32", "optimizer": "adam"})
    next(b for b in at.button if b.label == "Learning rate x10 and x0.1").click().run()
    # Like every preset it only fills the form, with the homework's setting (not the form's).
    assert "train_job" not in at.session_state
    form = {f: at.session_state[f"ts_{f}"] for f in ("hidden", "optimizer", "lr", "epochs", "lr_sweep")}
    assert form == {"hidden": "64", "optimizer": "sgd", "lr": 0.0175, "epochs": 30, "lr_sweep": True}
    at.slider(key="ts_epochs").set_value(1).run()
    next(b for b in at.button if b.label == "Train 3 runs").click().run()
    wait_for_job(at)
    names = [run.task.name for run in at.session_state["train_job"].runs]
    assert [n.split(" · ")[1] for n in names] == ["sgd lr 0.0175", "sgd lr 0.175", "sgd lr 0.00175"]
    assert len({n.replace(n.split(" · ")[1], "") for n in names}) == 1   # the rate is all that differs
    from mlcore.registry import Registry
    assert len(Registry().list()) == 3
    assert len([r for r in at.radio if r.label == "Details of"]) == 1


def test_theory_page_computes_every_identity():
    at = open_page("app_pages/theory.py")
    assert len(at.get("plotly_chart")) == 8  # the activations as three figures
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Largest |tanh(x) − (2σ(2x) − 1)|"]) < 1e-12
    assert float(metrics["Stack against single map"]) < 1e-9
    assert float(metrics["First layer / output layer"]) < 1e-4  # sigmoid, xavier, 10 layers
    assert float(next(v for k, v in metrics.items() if k.startswith("Largest relative error"))) < 1e-6
    assert any("NaN" in w.value for w in at.warning)  # the default shift overflows the naive softmax
    assert any("agrees" in s.value for s in at.success)


def test_theory_page_follows_its_controls():
    at = open_page("app_pages/theory.py")
    at.slider(key="th_shift").set_value(0).run()
    assert not at.warning  # no overflow without a shift
    at.selectbox(key="th_act").set_value("relu")
    at.selectbox(key="th_init").set_value("he").run()
    assert 0.1 < float(next(m.value for m in at.metric if m.label == "First layer / output layer")) < 10
    at.slider(key="th_depth").set_value(20)
    at.selectbox(key="th_init").set_value("zeros").run()
    assert not at.exception and any("zero weights" in i.value for i in at.info)
    at.multiselect(key="th_activations").set_value([]).run()
    assert any("at least one" in i.value for i in at.info)


@pytest.mark.parametrize("logits", ["", "1, two", "1e999"])
def test_theory_page_answers_bad_logits_with_a_message(logits):
    at = open_page("app_pages/theory.py")
    at.text_input(key="th_logits").input(logits).run()
    assert not at.exception
    assert any(e.value.startswith("Logits:") for e in at.error)


def _drawing_png(char: str) -> bytes:
    return encode(Image.fromarray(as_canvas_pixels(drawn_character(char))), "PNG")


def test_draw_page_with_an_empty_canvas_invites_a_drawing():
    at = open_page("app_pages/draw.py")
    assert not at.error and not at.warning  # the canvas component loaded
    assert any("Draw a character on the canvas" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_draw_page_without_the_canvas_component_says_so_and_still_reads_uploads(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", None)  # import fails
    monkeypatch.delitem(sys.modules, "dashboard.canvas", raising=False)  # so the page imports it afresh
    at = open_page("app_pages/draw.py")
    assert any("canvas is not available" in w.value for w in at.warning)
    at.radio(key="draw_source").set_value("Upload a picture").run()
    at.file_uploader(key="draw_upload").set_value(("L.png", _drawing_png("L"), "image/png")).run()
    assert not at.exception and any("reads **L**" in m.value for m in at.markdown)


def test_draw_page_reads_an_uploaded_character_and_shows_the_convolutions():
    at = open_page("app_pages/draw.py")
    at.radio(key="draw_source").set_value("Upload a picture").run()
    at.file_uploader(key="draw_upload").set_value(("L.png", _drawing_png("L"), "image/png")).run()
    assert not at.exception and not at.error
    assert any("reads **L**" in m.value for m in at.markdown)
    inputs, maps = at.get("image")  # the 32x32 input; the feature maps, one image each
    assert len(inputs.proto.imgs) == 1 and len(maps.proto.imgs) == 32
    assert len(at.get("plotly_chart")) == 2  # top 5, the dense hidden layer
    assert any("feature maps" in m.value for m in at.markdown)


def test_draw_page_shows_an_mlps_hidden_units():
    at = open_page("app_pages/draw.py")
    at.selectbox(key="draw_model").set_value("mlp.npz").run()
    at.radio(key="draw_source").set_value("Upload a picture").run()
    at.file_uploader(key="draw_upload").set_value(("7.png", _drawing_png("7"), "image/png")).run()
    assert not at.exception and not at.error
    assert any("reads **7**" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 3  # top 5 and the two hidden layers
    assert not any("feature maps" in m.value for m in at.markdown)


@pytest.mark.parametrize("name", ["non-image bytes", "truncated JPEG", "blank white page"])
def test_draw_page_answers_a_bad_upload_with_a_message(name):
    at = open_page("app_pages/draw.py")
    at.radio(key="draw_source").set_value("Upload a picture").run()
    at.file_uploader(key="draw_upload").set_value(("x.png", {**BAD, **EMPTY_PAGES}[name], "image/png")).run()
    assert not at.exception
    messages = [e.value for e in at.error] + [i.value for i in at.info]
    assert len(messages) == 1 and ("Could not read this picture" in messages[0] or "No ink" in messages[0]), messages


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("env, message", [
    ({"MLCORE_WORKERS": "many"}, "Training is not available: MLCORE_WORKERS must be a number"),
    ({"MLCORE_DASK_SCHEDULER": "tcp://127.0.0.1:{port}"}, "could not be reached"),
])
def test_train_page_says_when_training_is_not_available(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(port=free_port()))  # nothing listens on a free port
    at = _train_page({"epochs": "1"})
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert "train_job" not in at.session_state


@pytest.mark.real_data
def test_a_crafted_link_for_a_huge_network_is_refused_before_training_with_the_numbers():
    at = _train_page({"arch": "mlp", "hidden": "4096,4096,4096,4096,4096,4096", "optimizer": "adam",
                      "batch": "256", "epochs": "200"})
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "this network has 88,252,452 parameters and needs about" in error and "allows 4,000,000" in error
    assert "train_job" not in at.session_state


@pytest.mark.real_data
def test_a_run_that_cannot_be_saved_on_a_full_disk_is_offered_for_download(monkeypatch, tmp_path):
    with small_disk(tmp_path / "runs") as runs:
        monkeypatch.setenv("MLCORE_RUNS_DIR", str(runs))
        at = _train_page({"epochs": "1", "hidden": "64"})     # a model file of 250 KB on a disk of 256 KB
        next(b for b in at.button if b.label == "Train").click().run()
        wait_for_job(at)
        assert any("could not be saved (the server's disk is full). Download the model below to keep it." in e.value
                   for e in at.error), [e.value for e in at.error]
        [download] = at.get("download_button")
        assert download.label == "Download MLP 64 sigmoid · sgd lr 0.0175 · batch 5 · 1 epoch"
        assert not any(p.name.endswith(".tmp") for p in (runs / "models").iterdir())
