"""The real app in a real browser: `streamlit run` on 127.0.0.1 driven by Playwright and Chromium.

Screenshots of every page go to $MLCORE_SCREENSHOTS (default: a temporary folder).
Without Chromium the tests skip, except where MLCORE_REQUIRE_BROWSER is set (CI),
where they fail: a browser test that silently did not run proves nothing.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from dashboard.figures import LABEL_ROOM
from mlcore.registry import Registry
from tests.app_server import CHROMIUM, FLAGS, need_browser, streamlit_server
from tests.clusters import dask_cluster, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("MLCORE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def _ready_to_train(page, url: str) -> None:
    """Open a Train page link and wait for its form, sliders included: a Train pressed before the sliders
    have mounted can send their lowest steps (seen: lr 1e-05, batch 1, a training that then outlasts the
    test) instead of the link's values. The page's text alone comes earlier on a loaded machine."""
    page.goto(url)
    page.get_by_text("Choose settings (or a preset)").wait_for()
    page.get_by_test_id("stSliderThumbValue").nth(2).wait_for()   # learning rate, batch size, epochs


def _whole_page_screenshot(page, path):
    """Streamlit scrolls inside its main block, so full_page alone stops at the window: grow the window first."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + 50)})
    time.sleep(2)  # Plotly redraws at the new size
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)


def _draw_an_L(page):
    """Two mouse strokes on the Draw page's canvas."""
    box = page.locator("canvas").first.bounding_box()
    x, y = box["x"] + 90, box["y"] + 40
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x, y + 10 * i)
    for i in range(1, 13):
        page.mouse.move(x + 10 * i, y + 200)
    page.mouse.up()


def _read_a_sample(page, url: str, ready_text: str, shot: Path) -> None:
    """Read a page's first sample, read; a screenshot once its figures are drawn."""
    page.goto(f"{url}/ocr")
    page.get_by_text("Sample page").first.click()
    page.get_by_text(ready_text).wait_for(timeout=120_000)
    page.locator(".js-plotly-plot").first.wait_for()
    time.sleep(2)  # Plotly draws after the element appears
    page.screenshot(path=shot, full_page=True)


@pytest.mark.real_data
def test_every_page_and_a_two_epoch_training(browser, shots, tmp_path):
    with streamlit_server(tmp_path / "runs") as (_, url):
        page = _page(browser, url)
        page.get_by_text("Test letters").wait_for()
        time.sleep(1)
        page.screenshot(path=shots / "home.png", full_page=True)

        _ready_to_train(page, f"{url}/train?epochs=2&hidden=32")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Test balanced accuracy").wait_for(timeout=120_000)
        time.sleep(2)
        page.screenshot(path=shots / "train.png", full_page=True)
        assert "Saved as run" in page.inner_text("body")

        page.goto(f"{url}/runs")
        page.get_by_text("Click column headers to sort").wait_for()
        time.sleep(2)
        page.screenshot(path=shots / "runs.png", full_page=True)

        _read_a_sample(page, url, "What the network sees", shots / "ocr.png")
        assert "Download the text" in page.inner_text("body")

        page.goto(f"{url}/theory")
        page.get_by_text("Backprop agrees with the central differences").wait_for()
        _whole_page_screenshot(page, shots / "theory.png")
        assert page.locator(".js-plotly-plot").count() == 8  # the activations as three figures

        page.goto(f"{url}/draw")
        page.get_by_text("Draw a character on the canvas").wait_for()
        # the strokes travel to Python as pixels and come back as the network's reading
        _draw_an_L(page)
        page.get_by_text("The network reads L").wait_for()
        page.get_by_text("Inside the network").wait_for()
        _whole_page_screenshot(page, shots / "draw.png")
        page.get_by_role("button", name="Reset canvas & history").click()
        page.get_by_text("Draw a character on the canvas").wait_for()

        page.goto(f"{url}/autoencoder")
        page.get_by_text("Mean validation PSNR").wait_for(timeout=120_000)
        # the homework's momentum SGD against Adam, then both compared; 10 epochs each (Home, then 9 steps
        # right on the slider) keep the test's time in hand on a busy machine
        slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Epochs", exact=True))
        slider.get_by_role("slider").press("Home")
        for _ in range(9):
            slider.get_by_role("slider").press("ArrowRight")
        slider.get_by_test_id("stSliderThumbValue").get_by_text("10", exact=True).wait_for()
        page.get_by_role("button", name="Momentum SGD vs Adam").click()
        page.get_by_role("button", name="Stop").wait_for()
        # the comparison table (drawn on a canvas; its cells are hidden text) names the new run
        page.get_by_text(re.compile(r"^Adam: [0-9.]+ dB")).first.wait_for(state="attached", timeout=300_000)
        page.get_by_text("The codes, seen from above").wait_for()
        _whole_page_screenshot(page, shots / "autoencoder.png")
        assert page.locator(".js-plotly-plot").count() == 1  # the curves
        page.locator("img[alt^='Codes of']").wait_for()     # the code map
    assert all((shots / f"{name}.png").stat().st_size > 10_000
               for name in ("home", "train", "runs", "ocr", "theory", "draw", "autoencoder"))


@pytest.mark.real_data
def test_killing_the_server_during_training_keeps_every_earlier_run(browser, shots, tmp_path):
    runs = tmp_path / "runs"
    with streamlit_server(runs) as (_, url):
        page = _page(browser, url)
        _ready_to_train(page, f"{url}/train?epochs=1&hidden=16")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Saved as run").wait_for(timeout=120_000)
        before = [(r.id, r.model_path.read_bytes()) for r in Registry(runs).list()]
        assert len(before) == 1
        _ready_to_train(page, f"{url}/train?epochs=100&hidden=256")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_role("button", name="Stop").wait_for()
        time.sleep(3)  # well into the long run
    # the context manager SIGKILLed the server mid-training; start it again, and come back with the same
    # browser (its cookie makes the runs this visitor's)
    with streamlit_server(runs) as (_, url):
        page.goto(f"{url}/runs")
        page.get_by_text("Click column headers to sort").wait_for()
        time.sleep(2)  # the table draws itself on a canvas after the page is ready
        page.screenshot(path=shots / "runs_after_kill.png", full_page=True)
    reg = Registry(runs)
    assert reg.integrity_ok()
    after = [(r.id, r.model_path.read_bytes()) for r in reg.list()]
    assert after == before


@pytest.mark.real_data
def test_closing_the_tab_stops_its_training_after_the_grace_period(browser, tmp_path):
    runs, grace = tmp_path / "runs", 3.0
    with streamlit_server(runs, MLCORE_ORPHAN_GRACE=str(grace)) as (_, url):
        page = _page(browser, url)
        _ready_to_train(page, f"{url}/train?epochs=100&hidden=64&batch=1")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text(re.compile(r"epoch 1 of 100, batch [1-9]")).wait_for(timeout=120_000)
        page.close()
        closed = time.monotonic()
        while not Registry(runs).list():
            assert time.monotonic() - closed < 60, "the training of a closed tab went on"
            time.sleep(0.2)
        took = time.monotonic() - closed
    [run] = Registry(runs).list()
    assert run.status == "stopped" and len(run.history["epoch"]) < 100
    # the grace, then the stop reaching the worker, the scoring of every split and the save
    assert grace <= took < grace + 15, took


@pytest.mark.real_data
def test_visitors_train_on_a_separate_dask_cluster(browser, tmp_path):
    # The load test's setting in small (bench/load_test.py --cluster external): `dask scheduler` and two
    # `dask worker` processes, a server that only submits to them, and three visitors training at once.
    runs = tmp_path / "runs"
    links = ["epochs=2&hidden=16", "epochs=2&hidden=24", "arch=cnn&optimizer=adam&lr=0.001&batch=64&epochs=1"]
    with dask_cluster(tmp_path / "cluster") as (address, workers, _), \
            streamlit_server(runs, MLCORE_DASK_SCHEDULER=address) as (_, url):
        pages = []
        for link in links:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(180_000)
            _ready_to_train(page, f"{url}/train?{link}")
            page.get_by_role("button", name="Train", exact=True).click()
            pages.append(page)
        for page in pages:
            page.get_by_text("Test balanced accuracy").wait_for()
            assert "trained on worker tcp://127.0.0.1:" in page.inner_text("body")
            page.context.close()
    saved = Registry(runs).list()
    assert sorted(r.status for r in saved) == ["completed"] * 3
    assert {r.settings["worker"] for r in saved} <= workers
    assert len({tuple(r.history["train_loss"]) for r in saved}) == 3   # each its own curves


def _tick_row(page, row: int) -> None:
    """Tick a row of the Runs table, which is drawn on a canvas: its checkbox is in the first column."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 35 * (row + 1) + 17)   # rows of 35 px below a header of 35


def _table_text(page, timeout: float = 30) -> str:
    time.sleep(2)   # the table redraws after a rerun
    table, deadline = page.locator('[data-testid="stDataFrame"]').first, time.monotonic() + timeout
    while not (text := table.text_content()).strip() and time.monotonic() < deadline:
        time.sleep(0.5)   # a loaded machine draws its cells later
    return text


@pytest.mark.real_data
def test_visitors_see_only_their_runs_and_the_shared_ones_and_an_operator_sees_all(browser, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('operator_key = "teacher-key"\n')
    with streamlit_server(tmp_path / "runs", secrets) as (_, url):
        ann = _page(browser, url)
        for lr in ("0.0175", "0.175"):                    # the runs' names give their learning rate
            _ready_to_train(ann, f"{url}/train?epochs=1&hidden=16&lr={lr}")
            ann.get_by_role("button", name="Train", exact=True).click()
            ann.get_by_text("Saved as run").wait_for(timeout=120_000)
        ann.goto(f"{url}/runs")
        ann.get_by_text("Click column headers to sort").wait_for()
        _tick_row(ann, 1)                                 # the older run: lr 0.0175
        ann.get_by_role("button", name="Share", exact=True).click()
        ann.get_by_text("Click column headers to sort").wait_for()
        assert "yours, shared" in _table_text(ann)
        ann.screenshot(path=tmp_path / "ann.png")

        bob = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()   # another browser
        bob.set_default_timeout(60_000)
        bob.goto(f"{url}/runs")
        bob.get_by_text("Click column headers to sort").wait_for()
        table = _table_text(bob)
        assert "lr 0.0175" in table and "lr 0.175" not in table and "yours" not in table
        _tick_row(bob, 0)
        bob.get_by_role("button", name="Copy to your runs").wait_for()
        buttons = bob.get_by_role("button").all_inner_texts()
        assert not any(b.startswith(("Delete", "Share", "Stop sharing")) for b in buttons), buttons

        teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        teacher.set_default_timeout(60_000)
        teacher.goto(f"{url}/runs")
        teacher.get_by_text("Operator (teacher) sign-in").click()
        teacher.get_by_label("Operator key").fill("teacher-key")
        teacher.get_by_label("Operator key").press("Enter")
        teacher.get_by_text("As an operator you see and manage every run").wait_for()
        table = _table_text(teacher)
        assert "lr 0.0175" in table and "lr 0.175" in table
        _tick_row(teacher, 0)                             # ann's private run, lr 0.175
        teacher.get_by_role("button", name="Delete 1 run(s)").wait_for()
    owners = {r.owner for r in Registry(tmp_path / "runs").list()}
    assert len(owners) == 1 and next(iter(owners)).startswith("anon:")


def test_a_first_start_with_no_data_and_no_network(browser, shots, tmp_path):
    # A fresh checkout: an empty data directory, no cache, and every HTTP(S) request sent to a closed port.
    runs, data = tmp_path / "runs", tmp_path / "data"
    dead = f"http://127.0.0.1:{free_port()}"
    offline = {"MLCORE_DATA_DIR": str(data), "MLCORE_CACHE_DIR": str(tmp_path / "cache"),
               "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead}
    with streamlit_server(runs, **offline) as (_, url):
        page = _page(browser, url)
        page.get_by_text("No real handwriting here yet").wait_for()
        page.get_by_role("button", name="Download MNIST digits").click()
        page.get_by_text("MNIST digits could not be downloaded").wait_for(timeout=120_000)
        assert "offline" in page.inner_text("body")
        page.screenshot(path=shots / "home_offline.png", full_page=True)
        assert not [p for p in data.rglob("*") if p.is_file() and p.name != ".download.lock"]

        _ready_to_train(page, f"{url}/train")
        page.get_by_text("so this page uses the").wait_for()
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Test balanced accuracy").wait_for(timeout=300_000)
        time.sleep(2)
        page.screenshot(path=shots / "train_offline.png", full_page=True)
        assert page.locator(".js-plotly-plot").count() >= 1
        [run] = Registry(runs).list()
        assert run.status == "completed" and run.settings["dataset"] == "synthetic"

        _read_a_sample(page, url, "Character accuracy", shots / "ocr_offline.png")
        accuracy = float(re.search(r"Character accuracy\s*([0-9.]+)%", page.inner_text("body")).group(1))
        assert accuracy >= 80.0, accuracy

        page.goto(f"{url}/autoencoder")
        slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Epochs", exact=True))
        slider.get_by_role("slider").press("Home")
        slider.get_by_test_id("stSliderThumbValue").get_by_text("1", exact=True).wait_for()
        page.get_by_role("button", name="Train", exact=True).click()
        # the registry says when it is saved (Streamlit's own Stop button shares the page's name while it runs)
        deadline = time.monotonic() + 300
        while not Registry(runs).list("autoencoder"):
            assert time.monotonic() < deadline, "the autoencoder did not finish"
            time.sleep(1)
        page.get_by_text("Mean validation PSNR").wait_for()
        page.screenshot(path=shots / "autoencoder_offline.png", full_page=True)
    [ae] = Registry(runs).list("autoencoder")
    assert ae.status == "completed" and ae.settings["dataset"] == "synthetic"


# ---- issue 18: the Train page's figures agree, presets only fill the form

def _plotly_traces(page) -> list[dict]:
    """Every trace drawn on the page: its name and its y values, as Plotly holds them."""
    return page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap("
                         "p => p.data.map(t => ({name: t.name, y: Array.from(t.y || [])})))")


def _metric(page, label: str) -> float:
    card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return float(card.get_by_test_id("stMetricValue").inner_text().rstrip("%")) / 100


@pytest.mark.real_data
def test_the_train_pages_accuracy_figures_agree_with_its_curves(browser, tmp_path):
    with streamlit_server(tmp_path / "runs") as (_, url):
        page = _page(browser, url)
        _ready_to_train(page, f"{url}/train?epochs=2&hidden=32")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Test balanced accuracy").wait_for(timeout=120_000)
        page.get_by_text("The dashed train curve").wait_for()
        curves = {t["name"]: t["y"] for t in _plotly_traces(page) if t["name"] in ("train", "valid")}
        assert len(curves["valid"]) == 2
        valid = _metric(page, "Valid accuracy")
        assert valid == pytest.approx(curves["valid"][-1], abs=0.0005)   # the metric shows one decimal
        note = page.get_by_text("The dashed train curve").inner_text()
        last = float(re.search(r"last epoch: ([0-9.]+)%", note).group(1)) / 100
        assert last == pytest.approx(curves["train"][-1], abs=0.0005)
        assert f"Valid accuracy, {valid:.1%}" in note and "train balanced accuracy" in note


@pytest.mark.real_data
def test_presets_fill_the_form_and_the_learning_rate_one_trains_three_named_runs(browser, tmp_path):
    with streamlit_server(tmp_path / "runs") as (_, url):
        page = _page(browser, url)
        _ready_to_train(page, f"{url}/train?epochs=3&lr=0.001&optimizer=adam&hidden=32")
        page.get_by_role("button", name="Learning rate x10 and x0.1").click()
        page.get_by_role("button", name="Train 3 runs").wait_for()
        assert "optimizer=sgd" in page.url and "lr=0.0175" in page.url and "epochs=30" in page.url
        assert "hidden=64" in page.url and "lr_sweep=1" in page.url
        time.sleep(1)
        assert page.get_by_text("Choose settings (or a preset)").is_visible()   # nothing started
        page.get_by_role("button", name="CNN", exact=True).click()
        page.get_by_role("button", name="Train", exact=True).wait_for()        # another preset: one run again
        page.get_by_role("button", name="Learning rate x10 and x0.1").click()
        # The form must show the preset before another widget is touched, or that widget's rerun can send
        # the toggle's old value back.
        page.get_by_role("button", name="Train 3 runs").wait_for()
        time.sleep(1)
        slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Epochs", exact=True))
        slider.get_by_role("slider").press("Home")
        slider.get_by_test_id("stSliderThumbValue").get_by_text("1", exact=True).wait_for()
        page.get_by_role("button", name="Train 3 runs").click()
        page.get_by_text("Test balanced accuracy").wait_for(timeout=180_000)
        legend = {t["name"] for t in _plotly_traces(page)}
        assert {"sgd lr 0.0175 train", "sgd lr 0.175 valid", "sgd lr 0.00175 valid"} <= legend, legend
        names = sorted(r.name for r in Registry(tmp_path / "runs").list())
        assert names == sorted(f"MLP 64 sigmoid · sgd lr {lr} · batch 5 · 1 epoch · raw pixels"
                               for lr in ("0.0175", "0.175", "0.00175"))


# ---- issue 18: autoencoder compare

def _compared_row(page, row: str, timeout: float = 30) -> str:
    """A row ("A" or "B") of the Autoencoder page's comparison table, as text: its name, then its cells."""
    table, deadline = page.locator('[data-testid="stDataFrame"]').last, time.monotonic() + timeout
    while not (rows := [r for r in table.locator("tr").all_inner_texts() if r.startswith(row)]):
        assert time.monotonic() < deadline, f"no row {row} in the comparison table"
        time.sleep(0.5)   # the table's cells are drawn after it
    return rows[0]


@pytest.mark.real_data
def test_the_compare_chooser_shows_the_model_it_compares(browser, tmp_path):
    """With no class chosen the page stops above "Compare with"; drawn again, the box showed its first model
    while B stayed the one chosen before (the homework's): it must show the model in row B."""
    with streamlit_server(tmp_path / "runs") as (_, url):
        page = _page(browser, f"{url}/autoencoder")
        page.get_by_text("Two models side by side").wait_for()
        for label in ("S", "T", "W", "4", "7"):
            page.get_by_role("button", name=f"Remove {label}").click()
        page.get_by_text("Choose at least one class").wait_for()
        page.get_by_role("combobox", name="Classes").click()
        page.keyboard.type("S")
        page.keyboard.press("Enter")
        page.get_by_text("Two models side by side").wait_for()
        time.sleep(2)   # the box is redrawn with the rerun's value
        shown = page.get_by_role("combobox", name="Compare with").input_value()
        assert _compared_row(page, "B").startswith(f"B{shown}"), (shown, _compared_row(page, "B"))
        assert shown == "shipped: homework"


# ---- issue 18: read/theory/draw

WIDTHS = [1400, 400]   # a laptop, and a phone
# The screen rectangle [left, top, right, bottom] of every element a locator finds.
RECTS = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom] })"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("runs")) as (_, url):
        yield url


def _at_width(browser, width: int):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.set_default_timeout(120_000)
    return page


def _overlap(a, b, slack: float = 0.5) -> bool:
    return a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack


@pytest.mark.real_data
@pytest.mark.parametrize("width", WIDTHS)
def test_read_a_page_shows_each_reading_beside_its_ink_on_a_photo_as_wide_as_the_page(browser, app_url, width):
    page = _at_width(browser, width)
    page.goto(f"{app_url}/ocr")
    page.get_by_text("Sample page").first.click()
    photo = page.locator(".st-key-ocr_photo")
    photo.locator(".js-plotly-plot").wait_for()
    time.sleep(1)
    labels = photo.locator("g.annotation").evaluate_all(RECTS)
    boxes = photo.locator(".scatterlayer path.js-line").evaluate_all(RECTS)   # one per character, in order
    assert len(labels) == len(boxes) > 20
    assert not [i for i, (label, box) in enumerate(zip(labels, boxes)) if _overlap(label, box)]
    if width >= 1400:   # a photo drawn wide enough: no reading covers any ink (on a phone, the toggle below)
        assert not [i for i, label in enumerate(labels) if any(_overlap(label, box) for box in boxes)]
    # the photo fills the figure's width, and the figure ends where the photo does (a strip above it holds
    # the first line's labels)
    image, figure = photo.locator(".imagelayer image").bounding_box(), photo.bounding_box()
    assert image["width"] >= 0.98 * figure["width"], (image, figure)
    assert figure["height"] - image["height"] <= LABEL_ROOM + 2, (image, figure)
    page.get_by_text("Show what the network read").click()   # off: every stroke visible
    page.wait_for_function("() => !document.querySelector('.st-key-ocr_photo g.annotation')")
    page.close()


# Per Plotly figure: pairs of its texts (titles, annotations, legend entries) that overlap, and texts
# that sit on a plotted curve (its visible points, 2 px apart along every line).
CLASHES = """p => {
    const rect = e => e.getBoundingClientRect();
    const texts = [...p.querySelectorAll('.gtitle, g.annotation, .legendtext')].map(rect);
    const clashes = [];
    texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) clashes.push('texts');
    }));
    const inside = (x, y, r) => x > r.left && x < r.right && y > r.top && y < r.bottom;
    for (const line of p.querySelectorAll('.scatterlayer path.js-line')) {
        const m = line.getScreenCTM(), length = line.getTotalLength();
        // its subplot's plot area (the line is clipped beyond it), e.g. subplot "x2y2"
        const subplot = [...line.closest('.subplot').classList].find(c => c !== 'subplot');
        const area = rect(p.querySelector(`.draglayer .${subplot} .nsewdrag`));
        for (let s = 0; s <= length; s += 2) {
            const q = line.getPointAtLength(s), x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
            if (inside(x, y, area)) texts.forEach(r => { if (inside(x, y, r)) clashes.push('curve'); });
        }
    }
    return clashes;
}"""


@pytest.mark.real_data
@pytest.mark.parametrize("width", WIDTHS)
def test_theory_texts_sit_on_no_curve_and_the_contents_lead_to_each_section(browser, app_url, width):
    page = _at_width(browser, width)
    page.goto(f"{app_url}/theory")
    page.get_by_text("Backprop agrees with the central differences").wait_for()
    figures = page.locator(".js-plotly-plot")
    figures.first.wait_for()
    time.sleep(1)
    clashes = {i: figures.nth(i).evaluate(CLASHES) for i in range(figures.count())}
    assert not any(clashes.values()), clashes
    assert figures.count() == 8
    sizes = page.locator(".js-plotly-plot text").evaluate_all("ts => ts.map(t => getComputedStyle(t).fontSize)")
    assert min(float(size.removesuffix("px")) for size in sizes) >= 11
    page.get_by_role("link", name="Vanishing gradients").click()
    heading = page.get_by_role("heading", name="Vanishing gradients")
    page.wait_for_function("h => { const r = h.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight }",
                           arg=heading.element_handle())
    page.close()


@pytest.mark.real_data
@pytest.mark.parametrize("width", WIDTHS)
def test_draw_toolbar_clears_the_slider_and_feature_maps_stay_large_on_a_phone(browser, app_url, width):
    page = _at_width(browser, width)
    page.goto(f"{app_url}/draw")
    page.locator("canvas").first.wait_for()
    _draw_an_L(page)
    page.get_by_text("Inside the network").wait_for()
    canvas = page.locator("canvas").first.bounding_box()
    page.mouse.move(canvas["x"] + 100, canvas["y"] + 100)   # the toolbar shows while the pointer is on the canvas
    toolbar = page.get_by_role("button", name="Undo").bounding_box()
    slider = page.get_by_test_id("stSlider").filter(has_text="Pen width").bounding_box()
    assert toolbar["y"] >= slider["y"] + slider["height"], (toolbar, slider)
    maps = page.locator(".st-key-feature_maps img")
    # Measured once all 32 have loaded: a busy machine lays out an image before its pixels arrive.
    page.wait_for_function("() => { const imgs = document.querySelectorAll('.st-key-feature_maps img');"
                           " return imgs.length === 32 && [...imgs].every(i => i.complete && i.naturalWidth > 0) }")
    widths = maps.evaluate_all("imgs => imgs.map(i => i.getBoundingClientRect().width)")
    assert len(widths) == 32 and min(widths) >= 48, widths
    page.close()
