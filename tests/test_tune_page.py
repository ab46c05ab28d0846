"""The Tune page, headless: its bad inputs each get a message, and a small study runs to its best trial,
which opens in the Train page with its exact settings."""
import time

import pytest

from mlcore.registry import Registry
from mlcore.tuning.search import RUNNING
from tests.app_helpers import open_page

pytestmark = pytest.mark.real_data


def _start(at):
    next(b for b in at.button if b.label == "Start the search").click().run()
    assert not at.exception


def _ended(at):
    """The search this session started, once it has ended, and the page run again."""
    search = at.session_state["tune_followed"]
    deadline = time.monotonic() + 180
    while search.state == RUNNING:
        assert time.monotonic() < deadline, "the search did not end"
        time.sleep(0.5)
    at.run()
    return search


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def _small_study(at, epochs: int = 1) -> None:
    """Two trials of the homework network over the learning rate alone, `epochs` each."""
    at.checkbox(key="tune_mlp_batch_on").uncheck()
    at.number_input(key="tune_trials").set_value(2)
    at.number_input(key="tune_epochs").set_value(epochs)
    at.text_input(key="tune_name").input("page test")
    at.run()


def test_bad_inputs_each_get_a_clear_message():
    at = open_page("app_pages/tune.py")
    at.checkbox(key="tune_mlp_lr_on").uncheck().run()
    at.checkbox(key="tune_mlp_batch_on").uncheck().run()
    _start(at)
    assert "the search space is empty" in _errors(at)
    at.checkbox(key="tune_mlp_layers_on").check().run()
    at.number_input(key="tune_mlp_layers_low").set_value(3)
    at.number_input(key="tune_mlp_layers_high").set_value(1).run()
    _start(at)
    assert "hidden layers: the minimum 3 is above the maximum 1" in _errors(at)
    at.number_input(key="tune_mlp_layers_high").set_value(3)
    at.number_input(key="tune_trials").set_value(0).run()
    _start(at)
    assert "the budget's trials must be between 1 and 500, got 0" in _errors(at)
    at.number_input(key="tune_trials").set_value(3)
    at.number_input(key="tune_epochs").set_value(0).run()
    _start(at)
    assert "epochs per trial must be a positive integer" in _errors(at)
    assert "tune_followed" not in at.session_state


@pytest.mark.slow
def test_a_study_runs_to_its_best_trial_which_opens_in_train():
    at = open_page("app_pages/tune.py")
    _small_study(at)
    _start(at)
    search = _ended(at)
    assert not at.exception
    assert [t.state for t in search.trials] == ["complete", "complete"]
    best = search.best()
    assert at.metric[0].label == f"Best: trial {best.number}" and at.metric[0].value == f"{best.value:.1%}"
    table = at.dataframe[0].value
    assert list(table["trial"]) == [0, 1] and list(table["state"]) == ["finished", "finished"]
    assert {r.settings.get("study") for r in Registry().list()} == {"page test"}
    # The same name with other settings is refused.
    _small_study(at, epochs=2)
    _start(at)
    assert "a study named 'page test' already exists with other settings (epochs differ)" in _errors(at)
    # Open in Train: the Train page, with the best trial's exact learning rate.
    next(b for b in at.button if b.label == "Open in Train").click().run()
    assert not at.exception
    assert at.session_state["ts_lr"] == best.values["lr"] and at.session_state["ts_epochs"] == 1


@pytest.mark.slow
def test_an_autoencoder_study_is_scored_by_psnr_and_opens_in_the_autoencoder_page():
    at = open_page("app_pages/tune.py")
    at.radio(key="tune_kind").set_value("autoencoder").run()
    assert [c.label for c in at.checkbox] == ["Learning rate", "Batch size", "First hidden layer's width",
                                              "Code size", "Optimizer"]
    at.checkbox(key="tune_autoencoder_batch_on").uncheck()
    at.checkbox(key="tune_autoencoder_code_on").check()
    at.number_input(key="tune_trials").set_value(2)
    at.number_input(key="tune_epochs").set_value(1)
    at.text_input(key="tune_name").input("codes").run()
    _start(at)
    search = _ended(at)
    best = search.best()
    assert search.spec.objective == "valid_psnr" and at.metric[0].value == f"{best.value:.2f} dB"
    assert best.value == Registry().get(best.run_id).metrics["valid_psnr"]
    assert not [b for b in at.button if b.label == "Use for OCR"]
    next(b for b in at.button if b.label == "Open in Autoencoder").click().run()
    assert not at.exception
    assert at.session_state["ae_bottleneck"] == best.recipe.bottleneck
    assert at.session_state["ae_lr"] == best.values["lr"]
