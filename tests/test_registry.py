import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mlcore.architectures import build_mlp
from mlcore.data.paths import REPO_ROOT
from mlcore.model_io import load_model
from mlcore.registry import Quota, Registry


def _add(reg, name="run", status="completed", owner=""):
    net = build_mlp((4,), "relu", n_in=6, n_out=3, seed=1)
    return reg.add(net, {"classes": list("ABC")}, kind="classifier", name=name, status=status, seconds=1.5,
                   settings={"lr": 0.1}, metrics={"test_all": 0.5}, history={"epoch": [1], "train_loss": [1.0]},
                   owner=owner)


def test_owners_see_their_runs_and_the_published_and_change_only_theirs(tmp_path):
    reg = Registry(tmp_path)
    a1, a2, b1 = _add(reg, "a1", owner="ann"), _add(reg, "a2", owner="ann"), _add(reg, "b1", owner="bob")
    assert {r.id for r in reg.list(visible_to="bob")} == {b1.id}
    reg.publish(a1.id, by="ann")
    assert {r.id for r in reg.list(visible_to="bob")} == {a1.id, b1.id}
    assert {r.id for r in reg.list()} == {a1.id, a2.id, b1.id}          # unrestricted: an operator, the CLI
    for change in (lambda: reg.delete(a1.id, by="bob"), lambda: reg.publish(a1.id, False, by="bob"),
                   lambda: reg.copy(a2.id, "bob")):                      # a2 is not published
        with pytest.raises(PermissionError):
            change()
    assert reg.get(a1.id).published and a1.model_path.exists()
    copy = reg.copy(a1.id, "bob")
    assert (copy.owner, copy.published, copy.settings["copied_from"]) == ("bob", False, a1.id)
    assert copy.model_path.read_bytes() == a1.model_path.read_bytes() and copy.model_path != a1.model_path
    reg.delete(a1.id, by="ann")
    assert copy.model_path.exists() and {r.id for r in reg.list(visible_to="bob")} == {b1.id, copy.id}


def test_the_quota_removes_the_oldest_unpublished_runs_first(tmp_path):
    size = _add(Registry(tmp_path / "probe")).bytes
    # room for five runs (their files differ by a few bytes: ids and names are compressed with the weights)
    reg = Registry(tmp_path, Quota(runs_per_owner=3, bytes_per_owner=10 * size, total_bytes=int(5.5 * size)))
    runs = []
    for i in range(3):
        runs.append(_add(reg, f"ann{i}", owner="ann"))
        time.sleep(0.01)
    reg.publish(runs[0].id)
    assert reg.enforce_quota("ann") == []
    runs.append(_add(reg, "ann3", owner="ann"))
    assert [r.name for r in reg.enforce_quota("ann")] == ["ann1"]        # ann0 is published: kept
    assert not runs[1].model_path.exists()
    for i in range(3):                                                   # bob fills the registry
        time.sleep(0.01)
        _add(reg, f"bob{i}", owner="bob")
    assert [r.name for r in reg.enforce_quota("bob")] == ["ann2"]        # the oldest unpublished of anyone
    assert sorted(r.name for r in reg.list()) == ["ann0", "ann3", "bob0", "bob1", "bob2"]


def test_an_older_registry_is_opened_and_gains_the_new_columns(tmp_path):
    import sqlite3
    con = sqlite3.connect(tmp_path / "runs.sqlite")
    con.execute("CREATE TABLE runs (id TEXT PRIMARY KEY, created REAL NOT NULL, kind TEXT NOT NULL, name TEXT NOT "
                "NULL, status TEXT NOT NULL, seconds REAL NOT NULL, settings TEXT NOT NULL, metrics TEXT NOT NULL, "
                "history TEXT NOT NULL, model_file TEXT NOT NULL)")
    con.execute("INSERT INTO runs VALUES ('old', 1.0, 'classifier', 'old', 'completed', 1.0, '{}', '{}', '{}', "
                "'old.npz')")
    con.commit()
    con.close()
    reg = Registry(tmp_path)
    [old] = reg.list()
    assert (old.id, old.owner, old.published) == ("old", "", False)
    assert _add(reg, owner="ann").owner == "ann"


def test_add_list_get_delete(tmp_path):
    reg = Registry(tmp_path)
    a = _add(reg, "a")
    time.sleep(0.01)
    b = _add(reg, "b", "stopped")
    assert [r.name for r in reg.list()] == ["b", "a"]  # newest first
    got = reg.get(a.id)
    assert got.settings == {"lr": 0.1} and got.metrics["test_all"] == 0.5 and got.history["epoch"] == [1]
    assert load_model(got.model_path).metadata["run_id"] == a.id
    reg.delete(b.id)
    assert [r.id for r in reg.list()] == [a.id] and not b.model_path.exists()
    assert reg.get("nope") is None and reg.integrity_ok()


def test_orphaned_model_files_are_cleaned_up(tmp_path):
    reg = Registry(tmp_path)
    run = _add(reg)
    orphan = reg.models / "orphan.npz"
    orphan.write_bytes(b"x")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    Registry(tmp_path)
    assert not orphan.exists() and run.model_path.exists()


WRITER = """
import sys, numpy as np
from mlcore.architectures import build_mlp
from mlcore.optimizers import SGD
from mlcore.registry import Registry
from mlcore.training import TrainConfig, fit
reg = Registry(sys.argv[1])
rng = np.random.default_rng(0)
X, y = rng.random((400, 64)).astype(np.float32), rng.integers(0, 4, 400)
i = 0
while True:
    net = build_mlp((32,), "relu", n_in=64, n_out=4, seed=i)
    result = fit(net, SGD(0.1), X, y, TrainConfig(epochs=3, batch_size=8, seed=i))
    reg.add(net, {"classes": list("ABCD")}, kind="classifier", name=f"run {i}", status=result.status,
            seconds=0.1, settings={}, metrics={}, history=result.history.to_dict())
    print(f"saved {i}", flush=True)
    i += 1
"""


@pytest.mark.parametrize("kill_after", [0.35, 0.8, 1.3])
def test_killing_the_process_mid_training_or_mid_write_loses_nothing_saved(tmp_path, kill_after):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    acknowledged = 0
    deadline = time.monotonic() + 60
    while acknowledged < 3 and time.monotonic() < deadline:
        if proc.stdout.readline().startswith("saved"):
            acknowledged += 1
    time.sleep(kill_after * np.random.default_rng(int(kill_after * 100)).random())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    acknowledged += sum(line.startswith("saved") for line in proc.stdout.read().splitlines())
    assert acknowledged >= 3

    reg = Registry(tmp_path)  # what a restarted server does
    assert reg.integrity_ok()
    runs = reg.list()
    assert len(runs) >= acknowledged  # every run reported saved is there (one more may have committed)
    for run in runs:
        model = load_model(run.model_path)  # each is complete and valid
        assert model.metadata["run_id"] == run.id
