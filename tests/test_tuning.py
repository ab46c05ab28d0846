"""Hyperparameter search: the space and its checks, the study's storage, and searches run on real workers
(an embedded cluster, and `dask scheduler` + `dask worker` processes started here as a class would)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import optuna
import pytest

from mlcore.autoencoder import AutoencoderRecipe
from mlcore.classifier import ClassifierRecipe
from mlcore.cli import main, train_command
from mlcore.data.paths import REPO_ROOT, data_dir
from mlcore.jobs.cluster import ClusterSettings, start_executor
from mlcore.model_io import load_model
from mlcore.registry import Registry
from mlcore.training import TrainConfig
from mlcore.tuning.search import DONE, RUNNING, STOPPED, Search, epoch_score
from mlcore.tuning.space import Range, apply, base_values, check_space, hidden_sizes
from mlcore.tuning.study import ENV_STORAGE, Budget, StudySpec, open_storage, open_study, storage_url
from tests.clusters import dask_cluster

SMALL = ClassifierRecipe(hidden=(16,), activation="relu", init="he", train=TrainConfig(epochs=1, batch_size=32))


# ------------------------------------------------------------------ the space, the budget, the study
@pytest.mark.parametrize("text, message", [
    ("lr=0.1:0.001", "the minimum 0.1 is above the maximum 0.001"),
    ("lr=1e-9:0.1", "must lie within 1e-05 and 1"),
    ("batch=3:4", "no batch size among"),
    ("activation=relu,swish", "unknown: swish"),
    ("activation=", "choose one or more"),
    ("depth=1:3", "a search range looks like"),
    ("layers=one:3", "a range looks like 1:3"),
    ("lr=nan:0.1", "finite minimum and maximum"),
])
def test_a_bad_range_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        Range.parse(text)


def test_ranges_parse_and_print_back():
    for text in ("lr=0.0001:0.1", "batch=16:128", "activation=relu,tanh", "width=64:1024"):
        assert Range.parse(text).text() == text
    assert Range.parse("batch=3:100").batch_sizes() == (5, 8, 16, 32, 64)


def test_the_space_must_be_non_empty_distinct_and_fit_the_model():
    with pytest.raises(ValueError, match="empty"):
        check_space((), "mlp")
    with pytest.raises(ValueError, match="once"):
        check_space((Range("lr", 0.001, 0.1), Range("lr", 0.01, 0.1)), "mlp")
    with pytest.raises(ValueError, match="cannot be searched for a cnn"):
        check_space((Range("activation", choices=("relu",)),), "cnn")


def test_a_budget_of_nothing_is_refused():
    for budget in ({"trials": 0}, {"epochs": 0}, {"minutes": -1}):
        with pytest.raises(ValueError, match="budget"):
            Budget(**budget)


def test_a_search_starts_from_its_base_when_the_space_holds_it():
    funnel = apply(SMALL, {"layers": 2, "width": 512}, epochs=3)
    space = (Range("lr", 1e-3, 0.1), Range("batch", 16, 64), Range("layers", 1, 3), Range("width", 64, 1024))
    assert base_values(space, funnel) == {"lr": 0.0175, "batch": 32, "layers": 2, "width": 512}
    assert base_values((Range("lr", 1e-3, 1e-2),), funnel) is None                  # its lr is outside
    assert base_values(space[2:], ClassifierRecipe(hidden=(64, 64))) is None     # not a funnel


def test_a_trial_changes_only_what_it_searches():
    recipe = apply(SMALL, {"lr": 0.003, "batch": 64, "layers": 3, "width": 256}, epochs=7)
    assert recipe.hidden == (256, 128, 64) and recipe.lr == 0.003
    assert (recipe.train.batch_size, recipe.train.epochs, recipe.activation) == (64, 7, "relu")
    assert apply(SMALL, {"layers": 2}, epochs=1).hidden == (16, 8)
    assert hidden_sizes(4, 3) == (3, 1, 1, 1)
    # An autoencoder's code is its narrowest layer: never wider than the layers either side of it.
    assert apply(AutoencoderRecipe(), {"width": 16, "code": 64}, epochs=1).hidden == (16, 16, 16)


def test_an_autoencoder_epoch_reports_the_psnr_of_its_mean_squared_error():
    # A squared error of 0.01 per pixel, summed over 1024 pixels: 20 dB (10 log10(1 / 0.01)).
    assert epoch_score({"valid_loss": 10.24}, "autoencoder") == pytest.approx(20.0)
    assert epoch_score({"valid_acc": 0.5, "valid_loss": 1.0}, "classifier") == 0.5


def test_the_best_command_trains_the_same_recipe():
    from mlcore.cli import build_parser, recipe_from_args

    recipe = apply(SMALL, {"lr": 0.0007284358486253266, "batch": 16, "layers": 2, "width": 512}, epochs=12)
    argv = train_command(recipe, "handwriting").split()[3:]
    assert recipe_from_args(build_parser().parse_args(argv)) == recipe


def test_a_study_name_is_kept_for_its_own_settings(tmp_path):
    storage = open_storage(f"sqlite:///{tmp_path}/studies.sqlite")
    spec = StudySpec("mine", SMALL, (Range("lr", 1e-3, 1e-1),), epochs=3, dataset="handwriting")
    study = open_study(spec, storage, owner="ann")
    trial = study.ask()
    study.tell(trial, 0.5)
    assert len(open_study(spec, storage, owner="ann").trials) == 1      # the same settings: continued
    assert len(open_study(spec, storage, owner="bob").trials) == 0      # another visitor's study of that name
    other = StudySpec("mine", SMALL, (Range("lr", 1e-3, 1e-1),), epochs=5, dataset="handwriting")
    with pytest.raises(ValueError, match="already exists with other settings \\(epochs differ\\)"):
        open_study(other, storage, owner="ann")
    with pytest.raises(ValueError, match="name"):
        StudySpec("../../etc", SMALL, (Range("lr", 1e-3, 1e-1),), epochs=3, dataset="handwriting")


def test_studies_may_be_kept_in_optuna_s_journal_file_and_a_bad_storage_is_named(tmp_path):
    spec = StudySpec("journal", SMALL, (Range("lr", 1e-3, 1e-1),), epochs=3, dataset="handwriting")
    url = storage_url({ENV_STORAGE: f"journal:{tmp_path}/studies.log"})
    study = open_study(spec, open_storage(url))
    study.tell(study.ask(), 0.25)
    assert open_study(spec, open_storage(url)).best_value == 0.25 and (tmp_path / "studies.log").stat().st_size
    with pytest.raises(ValueError, match=ENV_STORAGE):
        storage_url({ENV_STORAGE: "redis://localhost"})


# ------------------------------------------------------------------ searches on real workers
@pytest.fixture(scope="module")
def one_worker():
    ex = start_executor(ClusterSettings(workers=1, memory="1GiB", grace=1.0))
    yield ex
    ex.close()


def _search(ex, tmp_path, name, space, budget, pruner="median", **kwargs):
    spec = StudySpec(name, SMALL, space, budget.epochs, "handwriting", pruner=pruner)
    study = open_study(spec, open_storage(f"sqlite:///{tmp_path}/studies.sqlite"))
    return Search(ex, spec, study, budget, owner="tester", registry=Registry(), data_dir=str(data_dir()), **kwargs)


@pytest.mark.slow
@pytest.mark.real_data
def test_the_pruner_stops_a_trial_that_falls_behind_and_its_run_is_kept(one_worker, tmp_path):
    space = (Range("lr", 1e-5, 0.1), Range("activation", choices=("relu", "sigmoid")), Range("batch", 5, 32))
    search = _search(one_worker, tmp_path, "pruning", space, Budget(trials=5, epochs=12))
    # The starting point first (its own lr 0.0175, relu, batch 32), three more good trials, then one whose
    # learning rate is far too small to learn in 12 epochs. Its batches of 5 make each of its epochs outlast
    # the stop's way to the worker, as a real trial's do (with batches of 32 an epoch here takes about 0.1 s,
    # and a stop sent after its third arrived after its sixth, its tenth, once after its last).
    for _ in range(3):
        search.study.enqueue_trial({"lr": 0.03, "activation": "relu", "batch": 32})
    search.study.enqueue_trial({"lr": 1e-5, "activation": "sigmoid", "batch": 5})
    search.run()
    assert search.state == DONE
    assert search.trials[0].values == {"lr": SMALL.lr, "activation": SMALL.activation, "batch": 32}
    states = [t.state for t in search.trials]
    assert states == ["complete"] * 4 + ["pruned"], [(t.state, t.reason) for t in search.trials]
    slow = search.trials[4]
    # Not judged in its first fifth of epochs (the warm-up: 2 of 12), pruned at its third, stopped well before
    # its last.
    assert 3 <= slow.epochs < 12 and "pruned after epoch 3" in slow.reason
    stored = search.study.trials
    assert [t.state for t in stored] == [optuna.trial.TrialState.COMPLETE] * 4 + [optuna.trial.TrialState.PRUNED]
    assert search.best().value == max(t.value for t in stored if t.value is not None)
    runs = {r.id: r for r in Registry().list()}
    assert runs[slow.run_id].status == "stopped" and runs[slow.run_id].settings["study"] == "pruning"
    assert {runs[t.run_id].settings["trial"] for t in search.trials} == {0, 1, 2, 3, 4}
    # The objective told to Optuna is the run's own valid balanced accuracy, as the registry keeps it.
    for t in search.trials[:4]:
        assert t.value == runs[t.run_id].metrics["valid_balanced"]


@pytest.mark.slow
@pytest.mark.real_data
def test_the_wall_time_budget_ends_the_search_and_stops_the_running_trial(one_worker, tmp_path):
    long = Budget(trials=50, epochs=200, minutes=0.1)   # 6 seconds for thousands of epochs
    search = _search(one_worker, tmp_path, "timed", (Range("lr", 1e-3, 1e-2),), long, pruner="none")
    search.run()
    assert search.state == STOPPED and "wall-time budget" in search.message
    assert 1 <= len(search.trials) <= 2
    assert search.trials[-1].state == "pruned" and search.trials[-1].epochs < 200
    assert search.ended - search.started < 60


def _ended(search, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while search.state == RUNNING:
        assert time.monotonic() < deadline, "the search did not end"
        time.sleep(0.2)


@pytest.mark.real_data
def test_stopping_a_search_stops_its_running_trial_and_keeps_its_run(one_worker, tmp_path):
    search = _search(one_worker, tmp_path, "stopped", (Range("lr", 1e-3, 1e-2),), Budget(trials=5, epochs=200),
                     pruner="none")
    search.start()
    deadline = time.monotonic() + 60
    while not (search.trials and search.trials[0].epochs >= 1):
        assert time.monotonic() < deadline, "the first trial did not train"
        time.sleep(0.2)
    search.stop()
    _ended(search)
    assert search.state == STOPPED and search.message == "stopped by its owner"
    assert [t.state for t in search.trials] == ["pruned"] and search.trials[0].epochs < 200
    assert Registry().get(search.trials[0].run_id).status == "stopped"
    assert [t.state for t in search.study.trials] == [optuna.trial.TrialState.PRUNED]


@pytest.mark.real_data
def test_a_search_whose_visitor_left_ends_with_its_trial_saved(one_worker, tmp_path):
    # The executor stops the jobs of a visitor gone for its grace period (1 s here); the search ends with them.
    search = _search(one_worker, tmp_path, "left", (Range("lr", 1e-3, 1e-2),), Budget(trials=5, epochs=200),
                     pruner="none", alive=lambda: False)
    search.run()
    assert search.state == STOPPED and "its visitor left" in search.message
    assert len(search.trials) == 1 and Registry().get(search.trials[0].run_id).status == "stopped"


@pytest.mark.slow
@pytest.mark.real_data
def test_a_study_runs_on_a_cluster_of_separate_processes_through_the_cli(tmp_path, capsys):
    """The same CLI a class would use, against `dask scheduler` and two `dask worker` processes: the
    trials run two at a time on both workers, each saved as a run of the study."""
    argv = ["tune", "--study", "cluster", "--search", "lr=0.003:0.1", "--search", "activation=relu,tanh",
            "--trials", "4", "--epochs", "2", "--hidden", "16", "--batch-size", "32", "--pruner", "none",
            "--quiet"]
    with dask_cluster(tmp_path / "logs", n_workers=2) as (address, _, _):
        assert main(argv + ["--scheduler", address, "--out", str(tmp_path / "best.npz")]) == 0
        summary = json.loads(capsys.readouterr().out)
        runs = {r.id: r for r in Registry().list()}
        assert [t["state"] for t in summary["trials"]] == ["complete"] * 4
        assert {runs[t["run"]].settings["worker"] for t in summary["trials"]} and \
            len({runs[t["run"]].settings["worker"] for t in summary["trials"]}) == 2
        starts = sorted((r.created - r.seconds, r.created) for r in runs.values())
        assert any(b[0] < a[1] for a, b in zip(starts, starts[1:])), "no two trials overlapped"
        best = summary["best"]
        assert best["value"] == max(t["value"] for t in summary["trials"])
        assert best["command"].startswith("python -m mlcore train ") and "--epochs 2" in best["command"]
        saved = load_model(tmp_path / "best.npz")
        assert summary["saved"] == str(tmp_path / "best.npz") and saved.metadata["run_id"] == best["run"]
        # The same name with other settings is refused, with a one-line error.
        assert main(argv[:-1] + ["--epochs", "3", "--quiet", "--scheduler", address]) == 2
        assert "already exists with other settings (base, epochs differ)" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["tune"], "--search"),
    (["tune", "--search", "lr=0.1:0.001"], "the minimum 0.1 is above the maximum 0.001"),
    (["tune", "--search", "lr=0.001:0.1", "--trials", "0"], "positive integer"),
    (["tune", "--search", "activation=relu", "--arch", "cnn"], "cannot be searched for a cnn"),
    (["tune", "--search", "lr=0.001:0.1", "--storage", "nowhere"], "a study storage (--storage"),
])
def test_bad_tune_options_exit_2_with_one_line(tmp_path, argv, message):
    out = subprocess.run([sys.executable, "-m", "mlcore", *argv, "--data-dir", str(tmp_path)], cwd=REPO_ROOT,
                         capture_output=True, text=True, env={**os.environ, "MLCORE_RUNS_DIR": str(tmp_path)})
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr

