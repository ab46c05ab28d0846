"""Following a job from code that waits for it (the CLI): its progress replayed into training callbacks."""
from __future__ import annotations

import time
from collections.abc import Sequence

from mlcore.jobs.executor import Job
from mlcore.training import Callback, EpochRecord

POLL = 0.25  # seconds


def wait_for(job: Job, callbacks: Sequence[Callback] = ()) -> Job:
    """Block until `job` ends, calling each callback's on_batch_end and on_epoch_end as its runs report,
    as a local `fit` would."""
    seen: dict[str, int] = {}
    while True:
        running = job.running
        for run in job.runs:
            records = run.outcome.history_records() if run.outcome else run.progress.records
            for record in records[seen.get(run.task.key, 0):]:
                for cb in callbacks:
                    cb.on_epoch_end(EpochRecord(**record), None)
            seen[run.task.key] = len(records)
        p = job.active.progress
        if running and p.batch and job.active.outcome is None:
            for cb in callbacks:
                cb.on_batch_end(p.epoch + 1, p.batch, p.n_batches, p.loss)
        if not running:
            return job
        time.sleep(POLL)
