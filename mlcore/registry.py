"""A persistent registry of training runs: one SQLite database and one model file per run.

Every write is atomic: a model file is written to a temporary name and renamed
(model_io.save_model), then its row is inserted in a single transaction. A
process killed at any moment leaves the database consistent and every earlier
run intact; at worst an orphaned model file without a row, which is removed
the next time the registry is opened. SQLite's WAL journal lets several
sessions read while one writes.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from mlcore.data.paths import data_dir
from mlcore.model_io import save_model

ENV_VAR = "MLCORE_RUNS_DIR"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    seconds REAL NOT NULL,
    settings TEXT NOT NULL,
    metrics TEXT NOT NULL,
    history TEXT NOT NULL,
    model_file TEXT NOT NULL
)
"""


def runs_dir() -> Path:
    return Path(os.environ.get(ENV_VAR) or data_dir() / "runs").expanduser()


@dataclass
class Run:
    id: str
    created: float
    kind: str            # what the model is, e.g. 'classifier'
    name: str
    status: str          # 'completed', 'stopped' or 'diverged'
    seconds: float
    settings: dict
    metrics: dict
    history: dict
    model_path: Path


class Registry:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else runs_dir()
        self.models = self.root / "models"
        self.models.mkdir(parents=True, exist_ok=True)
        self.db = self.root / "runs.sqlite"
        with closing(self._connect()) as con, con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(SCHEMA)
        self._remove_orphans()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db, timeout=30)

    def _remove_orphans(self) -> None:
        # Model files whose row never got written (a kill between the two writes),
        # and temporary files of interrupted saves; both are older than a minute.
        known = {r.model_path.name for r in self.list()}
        for path in self.models.iterdir():
            if path.name not in known and time.time() - path.stat().st_mtime > 60:
                path.unlink(missing_ok=True)

    def add(self, network, metadata: dict, *, kind: str, name: str, status: str, seconds: float,
            settings: dict, metrics: dict, history: dict) -> Run:
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        path = save_model(self.models / f"{run_id}.npz", network, {**metadata, "run_id": run_id})
        created = time.time()
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (run_id, created, kind, name, status, seconds, json.dumps(settings),
                         json.dumps(metrics), json.dumps(history), path.name))
        return Run(run_id, created, kind, name, status, seconds, settings, metrics, history, path)

    def _row(self, row) -> Run:
        return Run(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), json.loads(row[7]),
                   json.loads(row[8]), self.models / row[9])

    def list(self, kind: str | None = None) -> list[Run]:
        """All runs, newest first."""
        query = "SELECT * FROM runs" + (" WHERE kind = ?" if kind else "") + " ORDER BY created DESC"
        with closing(self._connect()) as con:
            return [self._row(r) for r in con.execute(query, (kind,) if kind else ())]

    def get(self, run_id: str) -> Run | None:
        with closing(self._connect()) as con:
            row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._row(row) if row else None

    def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        if run is None:
            return
        with closing(self._connect()) as con, con:
            con.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        run.model_path.unlink(missing_ok=True)

    def integrity_ok(self) -> bool:
        with closing(self._connect()) as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
