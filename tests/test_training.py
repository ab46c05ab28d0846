import numpy as np
import pytest

from mlcore.architectures import build_mlp
from mlcore.optimizers import SGD, Adam
from mlcore.training import Callback, History, TrainConfig, balanced_indices, evaluate_loss, fit


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

    start_loss = evaluate_loss(net, X, y)[0]
    result = fit(net, SGD(0.05), X, y, TrainConfig(epochs=50, batch_size=8), callbacks=[StopAfterTwo()])
    assert result.status == "stopped" and result.epochs_run == 2
    assert not np.array_equal(before, net.layers[0].params["W"])
    after_two = evaluate_loss(net, X, y)[0]
    assert after_two < 0.8 * start_loss   # the stopped network is the trained one, not its start

    calls = iter(range(10**6))
    result = fit(net, SGD(0.05), X, y, TrainConfig(epochs=50, batch_size=8), should_stop=lambda: next(calls) >= 20)
    assert result.status == "stopped" and "during epoch" in result.message
    assert evaluate_loss(net, X, y)[0] < after_two   # the 20 steps of the unfinished epoch are kept


def test_diverging_run_is_reported_and_keeps_last_good_weights(rng):
    X, y = _blobs(rng)
    # ReLU units do not saturate: with a huge learning rate the logits overflow within a few steps.
    net = build_mlp((16,), "relu", n_in=8, n_out=3, seed=0)
    result = fit(net, SGD(1e6), X, y, TrainConfig(epochs=20, batch_size=4))
    assert result.status == "diverged"
    assert "learning rate" in result.message
    for _, layer, name in net.parameters():
        assert np.isfinite(layer.params[name]).all()


def _weights(net) -> list[np.ndarray]:
    return [layer.params[name].copy() for _, layer, name in net.parameters()]


@pytest.mark.slow
@pytest.mark.real_data
def test_momentum_at_learning_rate_1_on_the_homework_network_is_reported_as_diverged(real_dataset):
    # Diverging by construction, whatever the data: momentum 0.9 makes each step about
    # 1 / (1 - 0.9) = 10 times the gradient, one sample at a time, on raw pixels (~900 of
    # 1024 white): every step moves the logits by tens of nats. Measured on the shared data:
    # epoch 1 ends at 48x the starting loss, 4.8x over the rule's 10x.
    net = build_mlp((64,), "sigmoid", seed=0)
    start = _weights(net)
    result = fit(net, SGD(1.0, momentum=0.9), real_dataset.train.X, real_dataset.train.y,
                 TrainConfig(epochs=3, batch_size=1))
    assert result.status == "diverged" and "learning rate" in result.message
    assert result.epochs_run == 1 and np.isfinite(result.history.column("train_loss")).all()
    # No epoch ended below where training began, so the last good weights are the initial ones.
    for before, after in zip(start, _weights(net)):
        np.testing.assert_array_equal(before, after)


def _least_squares(rng, n=64, dim=6):
    """Full-batch linear regression on an 'mse' network, with the largest eigenvalue of the
    loss's Hessian: gradient descent converges for lr < 2 / lambda_max and blows up above it."""
    X = rng.standard_normal((n, dim)).astype(np.float32)
    targets = (X @ rng.standard_normal((dim, 1)) + 0.1 * rng.standard_normal((n, 1))).astype(np.float32)
    Xb = np.hstack([X, np.ones((n, 1), np.float32)]).astype(np.float64)  # the bias is a weight too
    lambda_max = float(np.linalg.eigvalsh(2.0 / n * Xb.T @ Xb).max())
    return X, targets, lambda_max


@pytest.mark.parametrize("step, status", [(0.5, "completed"), (0.95, "completed"), (1.1, "diverged"),
                                          (1.5, "diverged")])
def test_divergence_rule_agrees_with_the_closed_form_stability_limit(rng, step, status):
    # lr = step * 2 / lambda_max: below 1 every error component shrinks by |1 - lr*lambda| < 1
    # per step, above 1 the top one grows by that factor; the rule must tell the two apart.
    X, targets, lambda_max = _least_squares(rng)
    net = build_mlp((), n_in=X.shape[1], n_out=1, loss="mse", seed=0)
    result = fit(net, SGD(step * 2.0 / lambda_max), X, targets,
                 TrainConfig(epochs=200, batch_size=len(X), balance=False))
    assert result.status == status, result.message
    if status == "completed":
        assert result.history.column("train_loss")[-1] < result.history.column("train_loss")[0]


@pytest.mark.parametrize("seed", range(5))
def test_a_run_that_cannot_learn_is_not_called_diverged(seed):
    # A learning rate of 1e-9 leaves the weights as they were: the loss stays where it started,
    # up to the sampling of each epoch's batches. A run that does not improve does not overshoot.
    rng = np.random.default_rng(seed)
    X, y = _blobs(rng)
    result = fit(_net(seed), SGD(1e-9), X, y, TrainConfig(epochs=20, batch_size=8, seed=seed))
    assert result.status == "completed"


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
