"""Real processes for tests and benchmarks: a free port, and a Dask cluster of separate processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from mlcore.data.paths import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(module_args: list[str], log: Path, **kwargs) -> subprocess.Popen:
    """`python -m` a Dask command, its messages to `log` (the child keeps its own copy of the file)."""
    with log.open("w") as err:
        return subprocess.Popen([sys.executable, "-m", *module_args], stdout=subprocess.DEVNULL, stderr=err, **kwargs)


@contextmanager
def dask_cluster(logs: Path, n_workers: int = 2, memory: str = "1GiB"):
    """`dask scheduler` and `dask worker` processes on localhost, started as the README says; yields
    (address, worker addresses, worker pids) once every worker has registered."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    logs.mkdir(parents=True, exist_ok=True)
    procs = [_spawn(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                    logs / "scheduler.log", env=env)]
    for i in range(n_workers):
        procs.append(_spawn(["distributed.cli.dask_worker", address, "--nthreads", "1", "--memory-limit", memory,
                             "--no-dashboard"], logs / f"worker{i}.log", env=env, cwd=logs))
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(n_workers, timeout=60)
            pids = client.run(os.getpid)
        yield address, set(pids), pids
    finally:
        for proc in procs[::-1]:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def small_disk(folder: Path, size: str = "256k"):
    """A tmpfs of `size` mounted at `folder`: a disk that fills up. Needs root (CI runs as root); where
    mounting is not allowed the test is skipped, or in CI (MLCORE_REQUIRE_DATA) fails."""
    import pytest

    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        reason = f"cannot mount a small disk here: {mounted.stderr.strip()}"
        if os.environ.get("MLCORE_REQUIRE_DATA"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
