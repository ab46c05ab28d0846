import json
import shlex
import subprocess
import sys

import pytest

from mlcore.cli import main
from mlcore.data.paths import REPO_ROOT, data_dir, default_classifier_path
from mlcore.model_io import load_model
from tests.tiny_data import tiny_data_dir


def test_train_saves_a_model_with_its_command(tmp_path, capsys):
    data = tiny_data_dir(tmp_path)
    out = tmp_path / "m.npz"
    argv = ["train", "--data-dir", str(data), "--epochs", "2", "--hidden", "16", "8", "--activation", "relu",
            "--optimizer", "adam", "--lr", "0.001", "--batch-size", "16", "--augment", "--out", str(out)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0
    summary = json.loads(captured.out)
    assert summary["status"] == "completed" and summary["epochs_run"] == 2
    assert "epoch 2/2" in captured.err
    model = load_model(out)
    meta = model.metadata
    assert model.network.describe() == "1024-16(relu)-8(relu)-36"
    assert meta["training"]["hidden"] == [16, 8] and meta["training"]["augmentation"]["rotation"] > 0
    assert shlex.split(meta["training"]["command"]) == ["python", "-m", "mlcore", *argv]  # what main was given
    assert meta["data"]["dataset"] == "handwriting" and len(meta["data"]["fingerprint"]) == 16
    assert len(meta["history"]["train_loss"]) == 2
    assert set(meta["metrics"]) == {"train", "valid", "test"}


def test_train_reports_divergence_cleanly(tmp_path, capsys):
    data = tiny_data_dir(tmp_path)
    code = main(["train", "--data-dir", str(data), "--epochs", "3", "--lr", "1e4", "--batch-size", "4", "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["status"] == "diverged"
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("argv, message", [
    (["train", "--lr", "-1"], "learning rate"),
    (["train", "--momentum", "2", "--optimizer", "momentum"], "momentum"),
    (["train", "--decay-factor", "3"], "decay factor"),
    (["train", "--out", "model.pkl"], ".npz"),
    (["train", "--elastic", "1"], "add --augment"),
    (["train", "--augment", "--elastic", "9"], "elastic"),
    (["evaluate", "--data", "nowhere.mat", "--model", "nowhere.npz"], "no such model file"),
])
def test_bad_options_give_one_line_errors(tmp_path, capsys, argv, message):
    data = tiny_data_dir(tmp_path)
    if argv[0] == "train":
        argv = argv + ["--data-dir", str(data), "--epochs", "1", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    # refused before any data is read: the error is all that is said
    assert err.startswith("error: ") and len(err.splitlines()) == 1 and message in err


def test_argparse_rejects_non_numbers(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--epochs", "zero"])
    assert exc.value.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_evaluate_with_a_named_model_and_a_corrupt_data_file(tmp_path, capsys):
    data = tiny_data_dir(tmp_path)
    model = tmp_path / "m.npz"
    main(["train", "--data-dir", str(data), "--epochs", "1", "--quiet", "--out", str(model)])
    capsys.readouterr()
    assert main(["evaluate", "--data", str(data / "letters.mat"), "--model", str(model)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 260 and 0 <= report["accuracy"] <= 1
    assert set(report["per_class"]) >= {"A", "Z", "0"} and report["per_class"]["0"] is None
    (tmp_path / "bad.mat").write_bytes(b"garbage")
    assert main(["evaluate", "--data", str(tmp_path / "bad.mat"), "--model", str(model)]) == 2
    assert "not a readable MATLAB file" in capsys.readouterr().err


def test_gradcheck_command_passes(capsys):
    assert main(["gradcheck"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] and max(result["max_rel_error"].values()) <= 1e-6
    assert {"dense", "sigmoid", "tanh", "relu"} <= set(result["max_rel_error"])


@pytest.mark.slow
def test_every_command_has_help():
    for command in ("train", "tune", "evaluate", "ensemble", "autoencoder", "ocr", "gradcheck", "download"):
        out = subprocess.run([sys.executable, "-m", "mlcore", command, "--help"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout
        assert out.startswith("usage: python -m mlcore " + command)


def test_shipped_default_classifier_loads_and_records_its_commands():
    model = load_model(default_classifier_path())
    training = model.metadata["training"]
    assert training["command"].startswith("python -m mlcore ensemble")
    assert len(training["ensemble_of"]) == 3
    assert all(c.startswith("python -m mlcore train") for c in training["ensemble_of"])
    assert len(model.classes) == 36


@pytest.mark.slow
@pytest.mark.real_data
def test_evaluate_letters_without_model_uses_the_default_classifier(capsys):
    letters = data_dir() / "nist26" / "nist26_valid_subset.mat"
    assert main(["evaluate", "--data", str(letters)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == str(default_classifier_path())
    assert report["n"] == 1040 and report["letters"]["n"] == 1040
    assert report["accuracy"] > 0.5
