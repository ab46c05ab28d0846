"""The jobs' plain parts, without a cluster: controls, progress reports, ETAs and the queue's estimates."""
import numpy as np
import pytest

from mlcore.architectures import build_mlp
from mlcore.jobs.cluster import ClusterSettings
from mlcore.jobs.progress import EVALUATING, PAUSE, PAUSED, RUN, STOP, TRAINING, Control, Pacer, Progress, queue_starts
from mlcore.jobs.worker import PUBLISH_EVERY, Reporter
from mlcore.optimizers import SGD
from mlcore.training import EpochRecord, TrainConfig, fit


def test_pacer_runs_pauses_steps_to_the_end_of_the_epoch_and_stops():
    pacer = Pacer()
    assert pacer.decide(Control(RUN), at_epoch_end=False) == RUN
    assert pacer.decide(Control(PAUSE), at_epoch_end=False) == PAUSE
    assert pacer.decide(Control(PAUSE), at_epoch_end=False) == PAUSE        # stays paused
    step = Control(PAUSE, steps=1)
    assert pacer.decide(step, at_epoch_end=False) == RUN                    # the step starts
    assert pacer.decide(step, at_epoch_end=False) == RUN                    # ... goes on mid-epoch
    assert pacer.decide(step, at_epoch_end=True) == PAUSE                   # ... and ends with the epoch
    assert pacer.decide(step, at_epoch_end=False) == PAUSE                  # one request, one epoch
    assert pacer.decide(Control(PAUSE, steps=2), at_epoch_end=False) == RUN  # a second request
    assert pacer.decide(Control(RUN, steps=2), at_epoch_end=True) == RUN
    assert pacer.decide(Control(STOP, steps=2), at_epoch_end=False) == STOP


def test_control_refuses_an_unknown_state():
    with pytest.raises(ValueError, match="control state"):
        Control("faster")


def test_eta_is_exact_for_a_steady_pace():
    # 10 epochs of 100 batches of 10 samples at 0.01 s each, each epoch's start taking 0.3 s more (its
    # samples drawn and augmented), a validation pass of 0.2 s after each epoch, and a final scoring of
    # three times the validation set: 10 * (0.3 + 1 + 0.2) + 0.6 = 15.6 s.
    total = 10 * (0.3 + 100 * 0.01 + 0.2) + 3 * 0.2
    run = dict(phase=TRAINING, epochs=10, n_batches=100, batch_size=10, valid_samples=600, eval_ratio=3.0)
    for epoch, batch in ((1, 0), (4, 50), (9, 100)):
        elapsed = epoch * 1.5 + (batch > 0) * 0.3 + batch * 0.01
        p = Progress(**run, epoch=epoch, batch=batch, train_seconds=elapsed, eval_seconds=0.2,
                     batch_seconds=0.01, first_batch_seconds=0.31)
        assert p.eta_seconds() == pytest.approx(total - elapsed, rel=1e-9)
    # One batch tells nothing yet: its time includes the epoch's start.
    assert Progress(**run, batch=1, train_seconds=0.31, first_batch_seconds=0.31).eta_seconds() is None
    assert Progress(**run).eta_seconds() is None
    # With one batch an epoch there is no steady pace: the average over the epochs so far (1 s, then
    # 0.2 s of validation), so 9 more epochs and the final scoring.
    whole = dict(run, n_batches=1, batch_size=1000)
    p = Progress(**whole, epoch=1, train_seconds=1.2, eval_seconds=0.2)
    assert p.eta_seconds() == pytest.approx(9 * 1.2 + 0.6, rel=1e-9)
    assert Progress(phase=EVALUATING, epochs=2, epoch=2, eval_seconds=0.5, eval_ratio=4).eta_seconds() == 2.0


def test_reporter_times_an_epochs_start_apart_from_its_steady_batches():
    clock = _Clock()
    reporter = Reporter(lambda d: None, lambda: Control().to_dict(), Progress(epochs=3), clock, clock.sleep)
    for epoch in (1, 2):
        clock.now += 0.5                       # the epoch's start
        for batch in range(1, 11):
            clock.now += 0.02
            reporter.on_batch_end(epoch, batch, 10, 1.0)
        clock.now += 0.1                       # its validation pass
        reporter.on_epoch_end(EpochRecord(epoch, 1.0, 0.5, 1.0, 0.5, 0.1, 1.0), None)
    p = reporter.progress
    assert p.batch_seconds == pytest.approx(0.02) and p.first_batch_seconds == pytest.approx(0.52)
    assert p.eval_seconds == pytest.approx(0.1)
    # the last epoch: its start, its batches and its validation pass, then the final scoring
    assert p.eta_seconds() == pytest.approx(0.5 + 10 * 0.02 + 0.1 + 3 * 0.1)


def test_queue_starts_fill_the_slot_that_frees_first():
    # Two slots: jobs running for 10 s and 30 s more; queued jobs of 5, 20 and 1 s.
    assert queue_starts([10.0, 30.0], 2, [5.0, 20.0, 1.0]) == [10.0, 15.0, 30.0]
    assert queue_starts([], 2, [4.0, 4.0, 4.0]) == [0.0, 0.0, 4.0]
    # A job nobody has timed yet: what waits behind it in its slot has no estimate.
    assert queue_starts([None, 8.0], 2, [2.0, None, 3.0]) == [8.0, 10.0, None]
    assert queue_starts([], 0, [1.0]) == [None]


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_reporter_publishes_at_most_every_quarter_second_and_at_every_epoch():
    clock, published = _Clock(), []
    reporter = Reporter(published.append, lambda: Control().to_dict(), Progress(epochs=2), clock, clock.sleep)
    for batch in range(1, 101):
        clock.now += 0.01          # 100 batches of 10 ms: 1 s, about 4 reports
        reporter.on_batch_end(1, batch, 100, 2.0)
    assert 3 <= len(published) <= 1 / PUBLISH_EVERY + 1
    assert 75 <= published[-1]["batch"] < 100 and published[-1]["loss"] == 2.0
    clock.now += 0.05
    reporter.on_epoch_end(EpochRecord(1, 2.0, 0.5, 1.9, 0.6, 0.1, 1.05), None)   # always reported
    last = published[-1]
    assert (last["epoch"], last["batch"], len(last["records"])) == (1, 0, 1)
    assert last["eval_seconds"] == pytest.approx(0.05)


def test_reporter_waits_while_paused_and_stops_when_told():
    clock = _Clock()
    controls = iter([Control(PAUSE)] * 5 + [Control(RUN), Control(STOP)])
    phases = []
    reporter = Reporter(lambda d: phases.append(d["phase"]), lambda: next(controls).to_dict(), Progress(epochs=1),
                        clock, clock.sleep)
    clock.now = 1.0
    reporter.on_batch_end(1, 1, 10, 1.0)     # reads PAUSE, then waits until it reads RUN
    assert PAUSED in phases and not reporter.should_stop()
    assert clock.now == pytest.approx(1.0 + 5 * 0.2)
    assert reporter.progress.train_seconds < clock.now - 1.0 + 0.01  # the pause is not training time
    clock.now += 1.0
    reporter.on_batch_end(1, 2, 10, 1.0)     # reads STOP
    assert reporter.should_stop() and phases[-1] == EVALUATING


def test_a_stop_read_by_the_reporter_ends_fit_mid_epoch(rng):
    # The real loop: fit asks should_stop after every batch.
    X = rng.standard_normal((400, 8)).astype(np.float32)
    y = rng.integers(0, 3, 400)
    clock = _Clock()
    controls = iter([Control(RUN)] * 3 + [Control(STOP)] * 100)

    class Ticking(Reporter):
        def on_batch_end(self, *args):
            clock.now += 0.1
            super().on_batch_end(*args)

    reporter = Ticking(lambda d: None, lambda: next(controls).to_dict(), Progress(epochs=5), clock, clock.sleep)
    result = fit(build_mlp((8,), "tanh", n_in=8, n_out=3), SGD(0.1), X, y, TrainConfig(epochs=5, batch_size=10),
                 callbacks=[reporter], should_stop=reporter.should_stop)
    assert result.status == "stopped" and result.message == "stopped during epoch 1"


@pytest.mark.parametrize("env, message", [
    ({"MLCORE_DASK_SCHEDULER": "localhost"}, "tcp://host:8786"),
    ({"MLCORE_WORKERS": "0"}, "MLCORE_WORKERS"),
    ({"MLCORE_WORKERS": "two"}, "MLCORE_WORKERS"),
    ({"MLCORE_WORKER_MEMORY": "12"}, "MLCORE_WORKER_MEMORY"),
    ({"MLCORE_WORKER_MEMORY": "lots"}, "MLCORE_WORKER_MEMORY"),
    ({"MLCORE_ORPHAN_GRACE": "-1"}, "MLCORE_ORPHAN_GRACE"),
])
def test_cluster_settings_refuse_malformed_environment(env, message):
    with pytest.raises(ValueError, match=message):
        ClusterSettings.from_env(env)


def test_cluster_settings_defaults_and_values():
    default = ClusterSettings.from_env({})
    assert default.scheduler is None and default.workers >= 1 and default.memory == "1GiB"
    given = ClusterSettings.from_env({"MLCORE_DASK_SCHEDULER": "tcp://10.0.0.5:8786", "MLCORE_WORKERS": "3",
                                      "MLCORE_WORKER_MEMORY": "2GiB", "MLCORE_JOBS_PER_VISITOR": "2"})
    assert (given.scheduler, given.workers, given.memory, given.per_visitor) == ("tcp://10.0.0.5:8786", 3, "2GiB", 2)
