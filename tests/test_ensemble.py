"""Ensembles: several networks averaged as one Network, saved and loaded like any other."""
import json

import numpy as np
import pytest

from mlcore.architectures import build_mlp
from mlcore.cli import main
from mlcore.data.paths import autoencoders_dir, default_classifier_path, models_dir
from mlcore.ensemble import Average, ensemble, members
from mlcore.gradcheck import gradient_check
from mlcore.losses import softmax
from mlcore.metrics import balanced_accuracy
from mlcore.model_io import ModelFileError, load_classifier, load_model, save_model
from mlcore.optimizers import SGD
from tests.tiny_data import tiny_data_dir


def _nets(dtype=np.float32):
    return [build_mlp((8,), "tanh", n_in=12, n_out=5, seed=1, dtype=dtype),
            build_mlp((6, 4), "relu", n_in=12, n_out=5, seed=2, dtype=dtype)]


def test_a_classifier_ensemble_predicts_the_mean_of_its_members_probabilities(rng):
    nets = _nets(np.float64)
    x = rng.standard_normal((9, 12)) * 30  # large logits: some probabilities underflow
    expected = np.mean([softmax(net.forward(x)) for net in nets], axis=0)
    np.testing.assert_allclose(ensemble(nets).predict_proba(x), expected, atol=1e-12)
    assert ensemble(nets).describe() == "mean of (12-8(tanh)-5) and (12-6(relu)-4(relu)-5)"
    assert ensemble([nets[0], nets[0]]).describe() == "mean of 2 x 12-8(tanh)-5"


def test_an_ensemble_of_other_networks_averages_their_outputs(rng):
    nets = [build_mlp((4,), "relu", n_in=6, n_out=6, output_activation="sigmoid", loss="mse", seed=s,
                      dtype=np.float64) for s in (0, 1, 2)]
    x = rng.random((5, 6))
    np.testing.assert_allclose(ensemble(nets).output(x), np.mean([n.output(x) for n in nets], axis=0), atol=1e-12)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mse"])
def test_ensemble_gradients_match_central_differences(rng, loss):
    nets = [build_mlp(hidden, act, n_in=12, n_out=5, seed=s, dtype=np.float64, loss=loss)
            for s, (hidden, act) in enumerate([((8,), "tanh"), ((6, 4), "relu"), ((3,), "sigmoid")])]
    y = rng.integers(0, 5, 4) if loss != "mse" else rng.random((4, 5))
    results = gradient_check(ensemble(nets), rng.standard_normal((4, 12)) * 2, y)
    assert max(r.rel_error for r in results) < 1e-6


def test_members_share_the_ensembles_weights_and_originals_are_untouched(rng):
    nets = _nets()
    net = ensemble(nets)
    first = members(net)[0]
    first.layers[0].params["W"][...] = 0.0
    weights = {key: owner.params[name] for key, owner, name in net.parameters()}
    assert not np.any(weights["0.0.0.W"]) and np.any(nets[0].layers[0].params["W"])
    assert members(nets[0]) == [nets[0]]


def test_a_training_step_and_a_restore_act_on_the_members_themselves(rng):
    # The optimizer and fit's divergence restore replace or change arrays through net.parameters():
    # the members must compute with exactly those (no copy of them left behind).
    net = ensemble(_nets(np.float64))
    x, y = rng.standard_normal((6, 12)), rng.integers(0, 5, 6)
    start = [owner.params[name].copy() for _, owner, name in net.parameters()]
    outputs = net.output(x)
    net.loss_and_gradients(x, y)
    SGD(lr=0.5).step(net)
    assert not np.allclose(net.output(x), outputs)
    assert all(not np.array_equal(a, owner.params[name]) for a, (_, owner, name) in zip(start, net.parameters())
               if name == "W")
    for value, (_, owner, name) in zip(start, net.parameters()):
        owner.params[name] = value.copy()          # as training restores the last good epoch
    np.testing.assert_allclose(net.output(x), outputs, atol=1e-12)
    np.testing.assert_allclose(members(net)[0].output(x), ensemble(_nets(np.float64)[:1] * 2).output(x), atol=1e-12)


def test_round_trip_through_a_model_file(tmp_path, rng):
    net = ensemble(_nets())
    x = rng.standard_normal((5, 12)).astype(np.float32)
    path = save_model(tmp_path / "e.npz", net, {"classes": list("ABCDE")})
    loaded = load_classifier(path)
    np.testing.assert_array_equal(loaded.network.predict_proba(x), net.predict_proba(x))


def _forged(tmp_path, members_spec, weights: dict) -> str:
    """A model file whose one layer is an ensemble of `members_spec`, holding `weights` (name -> shape)."""
    arrays = {f"param/0.{key}": np.zeros(shape, np.float32) for key, shape in weights.items()}
    meta = {"format": "mlcore-model", "format_version": 1, "classes": list("ABCDE"),
            "architecture": {"input_shape": [12], "loss": "softmax_cross_entropy",
                             "layers": [{"kind": "average", "members": members_spec}]}}
    arrays["__metadata__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "forged.npz", **arrays)
    return tmp_path / "forged.npz"


def test_a_well_formed_hand_written_ensemble_file_loads(tmp_path):
    members_spec = [[{"kind": "dense", "n_in": 12, "n_out": 5}]] * 2
    path = _forged(tmp_path, members_spec, Average.parameter_shapes(members_spec))
    assert load_model(path).network.describe() == "mean of 2 x 12-5"


@pytest.mark.parametrize("members_spec, message", [
    ("not a list", "between 2 and 16 members"),
    ([[{"kind": "dense", "n_in": 12, "n_out": 5}]], "between 2 and 16 members"),
    ([[{"kind": "relu"}]] * 17, "between 2 and 16 members"),
    ([[{"kind": "relu"}] * 20] * 15, "more than the 256"),   # cheap in bytes, not in memory
    ([[{"kind": "average", "members": []}], [{"kind": "relu"}]], "cannot be nested"),
])
def test_malformed_or_oversized_ensembles_are_refused(tmp_path, members_spec, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(_forged(tmp_path, members_spec, {}))


def test_metadata_nested_beyond_the_stack_is_refused(tmp_path):
    path = save_model(tmp_path / "m.npz", _nets()[0], {"classes": list("ABCDE")})
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["__metadata__"] = np.frombuffer(("[" * 100_000 + "]" * 100_000).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)


def test_members_must_agree():
    with pytest.raises(ValueError, match="between 2 and 16"):
        ensemble(_nets()[:1])
    with pytest.raises(ValueError, match="must agree"):
        ensemble([_nets()[0], build_mlp((8,), n_in=12, n_out=7)])
    with pytest.raises(ValueError, match="nested"):
        Average([[Average([net.layers for net in _nets()])], _nets()[0].layers])


def test_an_ensemble_trains_through_fit_like_any_network(rng):
    from mlcore.optimizers import make_optimizer
    from mlcore.training import TrainConfig, fit

    net = ensemble(_nets())
    x, y = rng.standard_normal((40, 12)).astype(np.float32), rng.integers(0, 5, 40)
    result = fit(net, make_optimizer("adam", 1e-2), x, y, TrainConfig(epochs=3, batch_size=8))
    losses = result.history.column("train_loss")
    assert result.status == "completed" and losses[-1] < losses[0]


def test_cli_refuses_members_trained_on_other_data(tmp_path, capsys):
    paths = []
    for seed in (0, 1):
        data = tiny_data_dir(tmp_path / str(seed), seed=seed)
        paths.append(tmp_path / f"m{seed}.npz")
        assert main(["train", "--data-dir", str(data), "--epochs", "1", "--hidden", "8", "--quiet",
                     "--out", str(paths[-1])]) == 0
    capsys.readouterr()
    assert main(["ensemble", *map(str, paths), "--data-dir", str(tmp_path / "0"), "--out",
                 str(tmp_path / "e.npz")]) == 2
    assert "not all trained on this" in capsys.readouterr().err


def test_cli_combines_trained_classifiers(tmp_path, capsys):
    data = tiny_data_dir(tmp_path)
    paths = []
    for seed in (0, 1):
        paths.append(tmp_path / f"m{seed}.npz")
        assert main(["train", "--data-dir", str(data), "--epochs", "1", "--hidden", "8", "--seed", str(seed),
                     "--quiet", "--out", str(paths[-1])]) == 0
    capsys.readouterr()
    out = tmp_path / "ens.npz"
    assert main(["ensemble", *map(str, paths), "--data-dir", str(data), "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "mean of 2 x 1024-8(sigmoid)-36" and 0 <= summary["test"]["accuracy"] <= 1
    meta = load_classifier(out).metadata
    assert len(meta["training"]["ensemble_of"]) == 2 and set(meta["metrics"]) == {"train", "valid", "test"}
    assert main(["ensemble", str(paths[0]), str(default_classifier_path().parent / "autoencoders" / "best.npz"),
                 "--data-dir", str(data), "--out", str(out)]) == 2
    assert "not a classifier" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.real_data
def test_the_shipped_ensemble_beats_each_member_on_valid(real_dataset):
    """Chosen on the validation split: its balanced accuracy there, computed now, is above every member's."""
    net = load_model(default_classifier_path()).network
    X, y = real_dataset.valid.X, real_dataset.valid.y
    ours = balanced_accuracy(y, net.predict(X))
    each = [balanced_accuracy(y, member.predict(X)) for member in members(net)]
    assert len(each) >= 2 and ours > max(each), (ours, each)


@pytest.mark.slow
@pytest.mark.real_data
def test_every_shipped_model_was_trained_on_todays_data_and_its_figures_are_true(real_dataset):
    """A model's recorded test figures describe a clean test split only if the data it was trained on is
    the data the split is made from today; and the recorded figures are what the model scores."""
    for path in [*models_dir().glob("*.npz"), *autoencoders_dir().glob("*.npz")]:
        assert load_model(path).metadata["data"]["fingerprint"] == real_dataset.fingerprint(), path
    model = load_model(default_classifier_path())
    recorded = model.metadata["metrics"]["test"]
    pred = model.network.predict(real_dataset.test.X)
    letters = real_dataset.test.y < 26
    assert recorded["letters"]["accuracy"] == pytest.approx(np.mean(pred[letters] == real_dataset.test.y[letters]))
    assert recorded["digits"]["accuracy"] == pytest.approx(np.mean(pred[~letters] == real_dataset.test.y[~letters]))
    chars74k = real_dataset.test.source == real_dataset.source_names.index("chars74k")
    assert recorded["sources"]["chars74k"]["accuracy"] == pytest.approx(
        np.mean(pred[chars74k] == real_dataset.test.y[chars74k]))
