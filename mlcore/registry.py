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
from dataclasses import dataclass, replace
from pathlib import Path

from mlcore.data.paths import data_dir
from mlcore.model_io import save_model, write_atomically

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
    model_file TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    published INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0
)
"""
# Columns added since the first registries were written: added to an older database when it is opened.
ADDED_COLUMNS = {"owner": "TEXT NOT NULL DEFAULT ''", "published": "INTEGER NOT NULL DEFAULT 0",
                 "bytes": "INTEGER NOT NULL DEFAULT 0"}


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
    owner: str = ""      # who trained it ('' for runs of the command line)
    published: bool = False   # shown, read-only, to everyone
    bytes: int = 0       # its model file's size


@dataclass(frozen=True)
class Quota:
    """How much one owner, and the whole registry, may keep; beyond it the oldest unpublished runs go."""
    runs_per_owner: int
    bytes_per_owner: int
    total_bytes: int


class Registry:
    def __init__(self, root: Path | None = None, quota: Quota | None = None):
        self.root = Path(root) if root else runs_dir()
        self.quota = quota
        self.models = self.root / "models"
        self.models.mkdir(parents=True, exist_ok=True)
        self.db = self.root / "runs.sqlite"
        with closing(self._connect()) as con, con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(SCHEMA)
            present = {row[1] for row in con.execute("PRAGMA table_info(runs)")}
            for column, declaration in ADDED_COLUMNS.items():
                if column not in present:
                    con.execute(f"ALTER TABLE runs ADD COLUMN {column} {declaration}")
        self._remove_orphans()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def _remove_orphans(self) -> None:
        # Model files whose row never got written (a kill between the two writes),
        # and temporary files of interrupted saves; both are older than a minute.
        known = {r.model_path.name for r in self.list()}
        for path in self.models.iterdir():
            if path.name not in known and time.time() - path.stat().st_mtime > 60:
                path.unlink(missing_ok=True)

    def add(self, network, metadata: dict, *, kind: str, name: str, status: str, seconds: float,
            settings: dict, metrics: dict, history: dict, owner: str = "") -> Run:
        run_id = _new_id()
        path = save_model(self.models / f"{run_id}.npz", network, {**metadata, "run_id": run_id})
        run = Run(run_id, time.time(), kind, name, status, seconds, settings, metrics, history, path, owner,
                  False, path.stat().st_size)
        self._insert(run)
        return run

    def _insert(self, run: Run) -> None:
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO runs (id, created, kind, name, status, seconds, settings, metrics, history, "
                        "model_file, owner, published, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (run.id, run.created, run.kind, run.name, run.status, run.seconds, json.dumps(run.settings),
                         json.dumps(run.metrics), json.dumps(run.history), run.model_path.name, run.owner,
                         int(run.published), run.bytes))

    def _row(self, row: sqlite3.Row) -> Run:
        return Run(row["id"], row["created"], row["kind"], row["name"], row["status"], row["seconds"],
                   json.loads(row["settings"]), json.loads(row["metrics"]), json.loads(row["history"]),
                   self.models / row["model_file"], row["owner"], bool(row["published"]), row["bytes"])

    def list(self, kind: str | None = None, *, visible_to: str | None = None) -> list[Run]:
        """Runs, newest first: all of them, or those `visible_to` an owner (theirs and the published)."""
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if visible_to is not None:
            where.append("(owner = ? OR published = 1)")
            args.append(visible_to)
        query = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created DESC"
        with closing(self._connect()) as con:
            return [self._row(r) for r in con.execute(query, args)]

    def get(self, run_id: str) -> Run | None:
        with closing(self._connect()) as con:
            row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._row(row) if row else None

    def _owned(self, run_id: str, by: str | None) -> Run | None:
        """The run, if `by` may change it (None: anyone may, as on the command line or for an operator)."""
        run = self.get(run_id)
        if run is not None and by is not None and run.owner != by:
            raise PermissionError(f"run {run_id} belongs to someone else")
        return run

    def delete(self, run_id: str, *, by: str | None = None) -> None:
        run = self._owned(run_id, by)
        if run is None:
            return
        with closing(self._connect()) as con, con:
            con.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        run.model_path.unlink(missing_ok=True)

    def publish(self, run_id: str, published: bool = True, *, by: str | None = None) -> None:
        """Show the run, read-only, to everyone (or stop showing it)."""
        if self._owned(run_id, by) is None:
            raise KeyError(f"no run {run_id}")
        with closing(self._connect()) as con, con:
            con.execute("UPDATE runs SET published = ? WHERE id = ?", (int(published), run_id))

    def copy(self, run_id: str, owner: str) -> Run:
        """A private copy of a published run (or of one's own) for `owner`, with its own model file."""
        run = self.get(run_id)
        if run is None or not (run.published or run.owner == owner):
            raise PermissionError(f"run {run_id} is not published")
        copy = replace(run, id=_new_id(), created=time.time(), owner=owner, published=False,
                       settings={**run.settings, "copied_from": run.id})
        copy.model_path = self.models / f"{copy.id}.npz"
        write_atomically(copy.model_path, run.model_path.read_bytes())
        self._insert(copy)
        return copy

    def enforce_quota(self, owner: str, keep: str | None = None) -> list[Run]:
        """Remove the oldest unpublished runs of `owner` while they exceed the quota, then the oldest
        unpublished runs of anyone while the registry does, never the run `keep` (the one just saved);
        the runs removed, for a notice."""
        if self.quota is None:
            return []
        q, removed = self.quota, []
        mine = [r for r in self.list() if r.owner == owner]
        count, size = len(mine), sum(r.bytes for r in mine)
        for run in reversed([r for r in mine if not r.published and r.id != keep]):
            if count <= q.runs_per_owner and size <= q.bytes_per_owner:
                break
            self.delete(run.id)
            removed.append(run)
            count, size = count - 1, size - run.bytes
        everyone = self.list()
        total = sum(r.bytes for r in everyone)
        for run in reversed([r for r in everyone if not r.published and r not in removed and r.id != keep]):
            if total <= q.total_bytes:
                break
            self.delete(run.id)
            removed.append(run)
            total -= run.bytes
        return removed

    def integrity_ok(self) -> bool:
        with closing(self._connect()) as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _new_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
