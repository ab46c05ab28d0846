"""The executor on real Dask clusters: an embedded LocalCluster of worker processes, and a cluster of
`dask scheduler` and `dask worker` processes started here on localhost, as a class would run one."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from mlcore.classifier import ClassifierRecipe
from mlcore.data.paths import REPO_ROOT, data_dir
from mlcore.jobs.cluster import ClusterSettings, start_executor
from mlcore.jobs.executor import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobRefused
from mlcore.jobs.progress import EVALUATING, PAUSE, PAUSED, RUN, STOP, TRAINING
from mlcore.model_io import load_model, load_model_bytes
from mlcore.registry import Registry
from mlcore.training import TrainConfig
from tests.clusters import dask_cluster, free_port, small_disk

QUICK = ClassifierRecipe(hidden=(16,), train=TrainConfig(epochs=1, batch_size=32))
# One sample per step: thousands of batches an epoch, so that a control has to act mid-epoch.
LONG = ClassifierRecipe(hidden=(64,), train=TrainConfig(epochs=50, batch_size=1))


def until(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def executor():
    ex = start_executor(ClusterSettings(workers=2, memory="1GiB"))
    yield ex
    ex.close()


def _submit(ex, recipe, owner, registry=None, **kwargs):
    return ex.submit([(owner, recipe)], "handwriting", owner=owner, registry=registry, data_dir=str(data_dir()),
                     settings={"dataset": "handwriting"}, **kwargs)


def _training(job, batches: int = 5):
    until(lambda: job.state == RUNNING and job.active.progress.phase == TRAINING
          and job.active.progress.batch >= batches, what="the training to start")


def _finish(ex, job):
    ex.control(job, STOP)
    until(lambda: not job.running, what="the job to end")


@pytest.mark.slow
@pytest.mark.real_data
def test_a_job_trains_on_a_worker_and_its_run_is_saved_by_the_server(executor, tmp_path):
    registry = Registry(tmp_path)
    job = _submit(executor, QUICK, "alice", registry)
    until(lambda: not job.running, 120, "the job")
    assert job.state == DONE and job.error is None
    run = job.runs[0]
    assert run.outcome.status == "completed" and run.saved.status == "completed"
    assert run.outcome.worker in executor.client.nthreads()
    saved = registry.list()
    assert [r.id for r in saved] == [run.saved.id] and saved[0].settings["worker"] == run.outcome.worker
    model = load_model(saved[0].model_path)
    assert model.network.describe() == "1024-16(sigmoid)-36" and saved[0].history["epoch"] == [1]
    # what the Train page shows comes back with it, computed on the worker
    review = run.outcome.review
    assert review["confusion"].sum() == review["n_test"] and len(review["X"]) == min(64, review["n_wrong"])


@pytest.mark.slow
@pytest.mark.real_data
def test_stop_reaches_the_worker_mid_epoch_and_keeps_the_run(executor, tmp_path):
    registry = Registry(tmp_path)
    job = _submit(executor, LONG, "bob", registry)
    _training(job)
    clicked = time.monotonic()
    executor.control(job, STOP)
    until(lambda: job.active.progress.phase == EVALUATING or not job.running, 10, "the stop")
    took = time.monotonic() - clicked
    until(lambda: not job.running, what="the stopped run to be saved")
    assert job.runs[0].outcome.status == "stopped" and job.runs[0].outcome.message == "stopped during epoch 1"
    assert registry.list()[0].status == "stopped"
    assert took < 5, took  # an epoch here takes longer: the stop did not wait for one (bench/load_test.py times it)


@pytest.mark.slow
@pytest.mark.real_data
def test_pause_resume_and_step_one_epoch(executor):
    job = _submit(executor, LONG, "carol")
    _training(job)
    executor.control(job, PAUSE)
    until(lambda: job.active.progress.phase == PAUSED, 10, "the pause")
    held = job.active.progress.batch
    time.sleep(1.0)
    assert job.active.progress.batch == held and job.active.progress.phase == PAUSED
    executor.control(job, step=True)   # to the end of epoch 1, then paused again
    until(lambda: job.active.progress.epoch == 1 and job.active.progress.phase == PAUSED, 120, "the step")
    assert job.active.progress.batch == 0 and len(job.active.progress.records) == 1
    executor.control(job, step=True)   # a whole epoch 2
    until(lambda: job.active.progress.epoch == 2 and job.active.progress.phase == PAUSED, 120, "the second step")
    executor.control(job, RUN)
    until(lambda: job.active.progress.batch > 0 and job.active.progress.phase == TRAINING, 10, "the resume")
    _finish(executor, job)
    assert job.runs[0].outcome.status == "stopped" and len(job.runs[0].outcome.history["epoch"]) == 2


@pytest.mark.slow
@pytest.mark.real_data
def test_a_visitor_who_has_gone_has_the_training_stopped_after_the_grace(executor, tmp_path, monkeypatch):
    monkeypatch.setattr(executor, "grace", 2.0)
    here = {"connected": True}
    job = _submit(executor, LONG, "dave", Registry(tmp_path), alive=lambda: here["connected"])
    _training(job)
    time.sleep(2.5)
    assert job.control.state == RUN                      # connected: it goes on
    here["connected"] = False
    left = time.monotonic()
    until(lambda: job.control.state == STOP, 10, "the stop of a gone visitor's training")
    assert 2.0 <= time.monotonic() - left < 4.0
    until(lambda: not job.running, what="the stopped run to be saved")
    assert job.runs[0].saved.status == "stopped"


@pytest.mark.real_data
def test_one_job_per_visitor_and_a_queue_in_order(executor):
    first, second = _submit(executor, LONG, "erin"), _submit(executor, LONG, "frank")
    with pytest.raises(JobRefused, match="already have 1 training"):
        _submit(executor, QUICK, "erin")
    third = _submit(executor, QUICK, "grace")
    _training(first)
    _training(second)
    assert third.state == QUEUED and third.position == 1
    executor.control(third, STOP)                       # leaving the queue
    assert third.state == CANCELLED and not third.running
    fourth = _submit(executor, QUICK, "heidi")
    assert fourth.position == 1
    _finish(executor, first)
    until(lambda: fourth.state == RUNNING, 30, "the queued job to start on the freed worker")
    until(lambda: not fourth.running, 120, "the queued job")
    _finish(executor, second)
    assert fourth.state == DONE


@pytest.mark.slow
@pytest.mark.real_data
def test_killing_a_worker_mid_run_is_reported_and_the_queue_goes_on(executor, tmp_path):
    registry = Registry(tmp_path)
    earlier = _submit(executor, QUICK, "ivan", registry)
    until(lambda: not earlier.running, 120, "the earlier run")
    victim, bystander = _submit(executor, LONG, "judy", registry), _submit(executor, LONG, "mallory", registry)
    waiting = _submit(executor, QUICK, "oscar", registry)
    _training(victim)
    _training(bystander)
    pids = executor.client.run(os.getpid)
    os.kill(pids[victim.active.progress.worker], signal.SIGKILL)
    until(lambda: victim.state == FAILED, 30, "the failure to be reported")
    assert "worker running this training died" in victim.error
    until(lambda: not waiting.running, 120, "the queued run, on the replacement worker")
    assert waiting.state == DONE and waiting.runs[0].outcome.worker not in pids   # a new worker process
    until(lambda: len(executor.client.nthreads()) == 2, 30, "the worker to be replaced")
    _finish(executor, bystander)
    for run in registry.list():
        load_model(run.model_path)
    assert {r.name for r in registry.list()} == {"ivan", "mallory", "oscar"}


# ---------------------------------------------------------------- a cluster of separate processes
@pytest.fixture(scope="module")
def cluster_address(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as (address, workers, _):
        yield address, workers


@pytest.mark.slow
@pytest.mark.real_data
def test_runs_execute_on_the_workers_of_a_separate_cluster(cluster_address, tmp_path):
    address, workers = cluster_address
    ex = start_executor(ClusterSettings(scheduler=address))
    try:
        registry = Registry(tmp_path)
        jobs = [_submit(ex, replace(QUICK, hidden=(h,)), f"student{h}", registry) for h in (8, 12)]
        until(lambda: not any(j.running for j in jobs), 180, "both jobs")
    finally:
        ex.close()
    assert [j.state for j in jobs] == [DONE, DONE]
    used = {j.runs[0].outcome.worker for j in jobs}
    assert used <= workers and {r.settings["worker"] for r in registry.list()} == used


@pytest.mark.slow
@pytest.mark.real_data
def test_the_cli_trains_on_a_separate_cluster(cluster_address, tmp_path):
    address, workers = cluster_address
    out = tmp_path / "model.npz"
    proc = subprocess.run([sys.executable, "-m", "mlcore", "train", "--dataset", "handwriting", "--hidden", "16",
                           "--epochs", "1", "--batch-size", "32", "--quiet", "--scheduler", address, "--out", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "completed" and summary["worker"] in workers
    assert load_model(out).network.describe() == "1024-16(sigmoid)-36"


@pytest.mark.slow
def test_the_cli_says_when_the_cluster_cannot_be_reached():
    port = free_port()  # nothing listens there
    proc = subprocess.run([sys.executable, "-m", "mlcore", "train", "--epochs", "1", "--scheduler",
                           f"tcp://127.0.0.1:{port}"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: the Dask scheduler at")
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
@pytest.mark.real_data
def test_a_run_that_cannot_be_saved_on_a_full_disk_stays_downloadable(executor, tmp_path):
    with small_disk(tmp_path / "runs") as runs:
        registry = Registry(runs)                       # the database fits; a model file of 250 KB does not
        job = _submit(executor, replace(QUICK, hidden=(64,)), "erin", registry)
        until(lambda: not job.running, 120, "the job to end")
        [run] = job.runs
        assert run.saved is None and run.save_error == "the run could not be saved (the server's disk is full)"
        assert load_model_bytes(run.outcome.model).network.describe().startswith("1024-64")
        assert registry.list() == [] and list(registry.models.iterdir()) == []   # no partial or temporary file
