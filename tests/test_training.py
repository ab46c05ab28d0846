import numpy as np
import pytest

from mlcore.architectures import build_mlp
from mlcore.optimizers import SGD, Adam
from mlcore.training import Callback, History, TrainConfig, balanced_indices, fit


def _blobs(rng, n_per_class=(40, 40, 40), dim=8):
    centers = rng.standard_normal((len(n_per_class), dim)) * 3
    X = np.concatenate([c + rng.standard_normal((n, dim)) for c, n in zip(centers, n_per_class)])
    y = np.concatenate([np.full(n, k) for k, n in enumerate(n_per_class)])
    return X.astype(np.float32), y


def _net(seed=0):
    return build_mlp((16,), "tanh", n_in=8, n_out=3, seed=seed)


def test_fit_learns_separable_blobs_and_records_history(rng):
    X, y = _blobs(rng)
    net = _net()
    result = fit(net, Adam(0.01), X, y, TrainConfig(epochs=15, batch_size=16), valid=(X, y))
    assert result.status == "completed" and result.epochs_run == 15
    h = result.history
    assert h.column("epoch") == list(range(1, 16))
    assert h.column("train_loss")[-1] < h.column("train_loss")[0] / 3
    assert h.column("valid_acc")[-1] > 0.95
    assert all(s > 0 for s in h.column("seconds"))
    assert History.from_dict(h.to_dict()) == h


def test_same_seed_same_run_different_seed_different_run(rng):
    X, y = _blobs(rng)
    runs = []
    for seed in (3, 3, 4):
        net = _net(seed)
        fit(net, SGD(0.05), X, y, TrainConfig(epochs=3, batch_size=7, seed=seed))
        runs.append(net.layers[0].params["W"])
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_stop_request_keeps_what_was_learned(rng):
    X, y = _blobs(rng)
    net = _net()
    before = net.layers[0].params["W"].copy()

    class StopAfterTwo(Callback):
        def on_epoch_end(self, record, network):
            return record.epoch == 2

    result = fit(net, SGD(0.05), X, y, TrainConfig(epochs=50, batch_size=8), callbacks=[StopAfterTwo()])
    assert result.status == "stopped" and result.epochs_run == 2
    assert not np.array_equal(before, net.layers[0].params["W"])

    calls = iter(range(10**6))
    result = fit(net, SGD(0.05), X, y, TrainConfig(epochs=50, batch_size=8), should_stop=lambda: next(calls) >= 20)
    assert result.status == "stopped" and "during epoch" in result.message


def test_diverging_run_is_reported_and_keeps_last_good_weights(rng):
    X, y = _blobs(rng)
    # ReLU units do not saturate: with a huge learning rate the logits overflow within a few steps.
    net = build_mlp((16,), "relu", n_in=8, n_out=3, seed=0)
    result = fit(net, SGD(1e6), X, y, TrainConfig(epochs=20, batch_size=4))
    assert result.status == "diverged"
    assert "learning rate" in result.message
    for _, layer, name in net.parameters():
        assert np.isfinite(layer.params[name]).all()


def test_sgd_at_learning_rate_1_on_the_homework_network_is_reported_as_diverged(real_dataset):
    # The loss stays finite but never comes down from where it started.
    net = build_mlp((64,), "sigmoid", seed=0)
    result = fit(net, SGD(1.0), real_dataset.train.X, real_dataset.train.y, TrainConfig(epochs=5, batch_size=5))
    assert result.status == "diverged" and "learning rate" in result.message
    assert all(np.isfinite(result.history.column("train_loss")))
    assert all(np.isfinite(layer.params[name]).all() for _, layer, name in net.parameters())


def test_balanced_indices_equalise_classes(rng):
    y = np.array([0] * 200 + [1] * 10 + [2] * 30)
    idx = balanced_indices(y, rng)
    counts = np.bincount(y[idx])
    assert len(idx) == 3 * 80 and (counts == 80).all()
    # every sample of a rare class is used, and a common class is subsampled without repeats
    assert set(np.flatnonzero(y == 1)) <= set(idx)
    common = idx[y[idx] == 0]
    assert len(np.unique(common)) == len(common)


def test_balancing_removes_the_prior_of_a_common_class():
    # Inputs that carry no information: the best the net can do is predict the
    # class frequencies it was trained on, 20/420 for the rare class unbalanced
    # and 1/2 balanced.
    X = np.ones((420, 8), dtype=np.float32)
    y = np.array([0] * 400 + [1] * 20)
    for balance, expected in ((False, 20 / 420), (True, 0.5)):
        net = _net()
        fit(net, SGD(0.05), X, y, TrainConfig(epochs=30, batch_size=30, balance=balance))
        p_rare = net.predict_proba(X[:1])[0, 1]
        assert p_rare == pytest.approx(expected, abs=0.03), balance


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 0}, "batch size"),
    ({"decay_step": -2}, "decay step"),
])
def test_train_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)
