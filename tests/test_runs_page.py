"""The Runs page as three visitors see it: each their own runs, the shared ones read-only, an operator all."""
import json

from streamlit.testing.v1 import AppTest

from dashboard.identity import anonymous_owner
from mlcore.architectures import build_mlp
from mlcore.registry import Registry
from tests.app_helpers import APP

ANN, BOB = "a" * 32, "b" * 32


def _seed(owner_token: str, name: str, hidden: int, lr: float = 0.01):
    net = build_mlp((hidden,), "relu", n_in=1024, n_out=36, seed=1)
    return Registry().add(net, {"classes": [str(i) for i in range(36)]}, kind="classifier", name=name,
                          status="completed", seconds=1.0,
                          settings={"arch": "mlp", "hidden": [hidden], "lr": lr, "train": {"batch_size": 64}},
                          metrics={"test_all": 0.5, "valid_all": hidden / 100},
                          history={"epoch": [1], "train_loss": [1.0]},
                          owner=anonymous_owner(owner_token))


def _runs_page(token: str, operator_key: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["visitor_token"] = token
    if operator_key:
        at.secrets["operator_key"] = operator_key
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception
    return at


def _listed(at: AppTest) -> set[str]:
    return set(at.dataframe[0].value["name"]) if at.dataframe else set()


def test_each_visitor_sees_their_runs_and_only_the_shared_ones_of_others():
    mine = _seed(ANN, "ann private", 8)
    shared = _seed(ANN, "ann shared", 9)
    Registry().publish(shared.id)
    _seed(BOB, "bob private", 10)
    ann, bob = _runs_page(ANN), _runs_page(BOB)
    assert _listed(ann) == {"ann private", "ann shared"}
    assert _listed(bob) == {"ann shared", "bob private"}
    whose = dict(zip(bob.dataframe[0].value["name"], bob.dataframe[0].value["whose"]))
    assert whose == {"ann shared": "shared", "bob private": "yours"}
    assert mine.model_path.exists()


def test_an_operator_sees_and_manages_every_run():
    _seed(ANN, "ann private", 8)
    _seed(BOB, "bob private", 10)
    at = _runs_page(BOB, operator_key="teacher")
    assert _listed(at) == {"bob private"}
    at.text_input(key="operator_key_entered").set_value("wrong").run()
    assert any("not the operator key" in e.value for e in at.error) and _listed(at) == {"bob private"}
    at.text_input(key="operator_key_entered").set_value("teacher").run()
    assert _listed(at) == {"ann private", "bob private"}


def test_without_an_operator_key_nobody_is_offered_to_sign_in():
    _seed(BOB, "bob private", 10)
    at = _runs_page(BOB)
    assert not at.get("expander") and len(at.text_input) == 0


def _tick(at: AppTest, *rows: int) -> AppTest:
    """Tick rows of the runs table, as a click on their checkboxes does."""
    at.session_state["runs"] = {"selection": {"rows": list(rows), "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    return at


def _buttons(at: AppTest) -> dict[str, bool]:
    """Every button's label -> whether it can be clicked, download buttons included."""
    return {b.proto.label: not b.proto.disabled for b in [*at.button, *at.get("download_button")]}


def test_names_and_scores_come_first_and_learning_rates_are_shown_exactly():
    _seed(ANN, "ann", 8, lr=0.00175)
    at = _runs_page(ANN)
    assert list(at.dataframe[0].value.columns[:3]) == ["name", "test acc", "valid acc"]  # no PSNR: no autoencoder
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["name"]["pinned"] and config["lr"]["type_config"]["format"] == "%g"
    assert at.dataframe[0].value["lr"][0] == 0.00175


def test_the_ticked_runs_are_compared_side_by_side_their_differences_highlighted():
    _seed(ANN, "small", 8, lr=0.00175)
    _seed(ANN, "large", 9)
    at = _tick(_runs_page(ANN), 0, 1)
    compared = at.dataframe[1].value
    assert [c.split(" (")[0] for c in compared.columns] == ["large", "small"]   # newest first, as in the table
    assert set(compared.index) == {"metric: test all", "metric: valid all", "hidden", "lr"}
    assert list(compared.loc["lr"]) == ["0.01", "0.00175"]
    at.toggle(key="runs_only_differ").set_value(False).run()
    assert {"arch", "train.batch_size"} <= set(at.dataframe[1].value.index)


def test_actions_say_what_they_need_instead_of_hiding():
    _seed(ANN, "one", 8)
    _seed(ANN, "two", 9)
    at = _runs_page(ANN)
    assert _buttons(at) == {"Download": False, "Use for OCR": False}
    assert any("Tick runs in the table" in c.value for c in at.caption)
    _tick(at, 0, 1)
    assert _buttons(at) == {"Download 2 models": True, "Use for OCR": False, "Share": True, "Delete 2 run(s)": True}
    assert any("tick exactly one classifier run" in c.value for c in at.caption)
    assert _buttons(_tick(at, 1))["Use for OCR"]


def test_another_visitor_may_copy_a_shared_run_but_not_share_or_delete_it():
    Registry().publish(_seed(ANN, "ann shared", 8).id)
    _seed(BOB, "bob private", 10)
    at = _tick(_runs_page(BOB), 0, 1)
    assert _buttons(at) == {"Download 2 models": True, "Use for OCR": False, "Copy to your runs": True}
