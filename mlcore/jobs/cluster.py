"""Where trainings run: an embedded cluster of local worker processes, or an existing Dask cluster.

Settings come from the environment, validated here in one place:
- MLCORE_DASK_SCHEDULER=tcp://host:port: submit to that cluster (its workers are started by
  hand, see the README); without it, a LocalCluster of process workers is started.
- MLCORE_WORKERS: worker processes of the embedded cluster (default: one per core).
- MLCORE_WORKER_MEMORY: each embedded worker's memory limit (default 1GiB), past which Dask
  restarts it; the run it held is reported failed.
- MLCORE_JOBS_PER_VISITOR: queued or running trainings a visitor may have at once (default 1).
- MLCORE_ORPHAN_GRACE: seconds a training goes on after its visitor has left (default 30).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from mlcore.jobs.executor import Executor

ENV_SCHEDULER = "MLCORE_DASK_SCHEDULER"
ENV_WORKERS = "MLCORE_WORKERS"
ENV_MEMORY = "MLCORE_WORKER_MEMORY"
ENV_PER_VISITOR = "MLCORE_JOBS_PER_VISITOR"
ENV_GRACE = "MLCORE_ORPHAN_GRACE"
# Embedded workers train at a lower priority than the web server, so that pages stay quick for
# everyone while every core trains.
WORKER_NICE = 10
MAX_WORKERS = 64
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")


@dataclass(frozen=True)
class ClusterSettings:
    scheduler: str | None = None
    workers: int = 1
    memory: str = "1GiB"
    per_visitor: int = 1
    grace: float = 30.0

    def __post_init__(self):
        if self.scheduler is not None and not SCHEDULER_ADDRESS.match(self.scheduler):
            raise ValueError(f"a Dask scheduler's address (--scheduler, or {ENV_SCHEDULER} for the app) looks like "
                             f"tcp://host:8786, got {self.scheduler!r}")

    @classmethod
    def from_env(cls, env=os.environ) -> "ClusterSettings":
        """The settings the environment gives; ValueError naming the variable when one is malformed."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return cls(scheduler=env.get(ENV_SCHEDULER) or None,
                   workers=_number(env, ENV_WORKERS, int, cores, 1, MAX_WORKERS),
                   memory=_memory(env.get(ENV_MEMORY) or cls.memory),
                   per_visitor=_number(env, ENV_PER_VISITOR, int, 1, 1, 100),
                   grace=_number(env, ENV_GRACE, float, 30.0, 0.0, 24 * 3600.0))


def _number(env, name: str, kind, default, low, high):
    text = env.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {text!r}")
    return value


def _memory(text: str) -> str:
    from dask.utils import parse_bytes

    try:
        if parse_bytes(text) < 2**27:
            raise ValueError
    except ValueError:
        raise ValueError(f"{ENV_MEMORY} must be a size of at least 128MiB, like 1GiB, got {text!r}") from None
    return text


def start_executor(settings: ClusterSettings) -> Executor:
    """An Executor on the cluster the settings name, or on a LocalCluster it starts (and closes with it)."""
    import dask
    from distributed import Client, LocalCluster

    if settings.scheduler:
        client = Client(settings.scheduler, set_as_default=False, timeout="10s")
        return Executor(client, per_owner=settings.per_visitor, grace=settings.grace)
    # A run whose worker dies is reported, not silently run again elsewhere (worker.train_run
    # refuses a second start on clusters configured otherwise).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        # Everything on the loopback interface: the scheduler, its workers, and its small HTTP server
        # (health and metrics), which would otherwise take port 8787 on every interface.
        cluster = LocalCluster(n_workers=settings.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               memory_limit=settings.memory, dashboard_address=None, silence_logs=40,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    client = Client(cluster, set_as_default=False)
    return Executor(client, per_owner=settings.per_visitor, grace=settings.grace, nice=WORKER_NICE,
                    on_close=cluster.close)
