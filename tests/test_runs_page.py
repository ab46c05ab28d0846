"""The Runs page as three visitors see it: each their own runs, the shared ones read-only, an operator all."""
from app_helpers import APP
from streamlit.testing.v1 import AppTest

from dashboard.identity import anonymous_owner
from mlcore.architectures import build_mlp
from mlcore.registry import Registry

ANN, BOB = "a" * 32, "b" * 32


def _seed(owner_token: str, name: str, hidden: int):
    net = build_mlp((hidden,), "relu", n_in=1024, n_out=36, seed=1)
    return Registry().add(net, {"classes": [str(i) for i in range(36)]}, kind="classifier", name=name,
                          status="completed", seconds=1.0, settings={"arch": "mlp", "hidden": [hidden]},
                          metrics={"test_all": 0.5}, history={"epoch": [1], "train_loss": [1.0]},
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
