"""The one-machine job store: jobs, events and worker heartbeats in SQLite
under the data folder (`DATA_DIR/web/jobs.sqlite3`).

One connection per call keeps the store safe to use from the web server's
event loop, its threads and the job processes at once (WAL mode, short
transactions). Not for a folder shared between machines: SQLite's locking
over NFS is unreliable, so cluster mode uses the Redis store instead.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .jobs import EXPIRED, QUEUED, RUNNING, Event, Job, JobStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'mix',
    status TEXT NOT NULL,
    prompt TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    folder TEXT NOT NULL,
    result TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    owner_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    names TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    step TEXT NOT NULL,
    detail TEXT NOT NULL,
    progress REAL NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE TABLE IF NOT EXISTS durations (
    outcome TEXT NOT NULL,
    le TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (outcome, le)
);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    seen_at REAL NOT NULL
);
"""
_ADDED_COLUMNS = {  # columns newer than the first schema, added to an older file in place
    "owner_hash": "TEXT",
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "names": "TEXT NOT NULL DEFAULT '{}'",
    "worker": "TEXT",  # cluster mode: the worker that runs it
    "cancel_requested": "INTEGER NOT NULL DEFAULT 0",  # cluster mode: the worker stops it
}



class SqliteJobStore(JobStore):
    """Jobs, events and heartbeats as rows of one SQLite file (WAL mode)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.locator = f"sqlite:{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._latest: dict[str, int] = {}  # job id -> last event seq, for cheap SSE polling
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            have = {r[1] for r in db.execute("PRAGMA table_info(jobs)")}
            for name, decl in _ADDED_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {decl}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # --- jobs -------------------------------------------------------------
    def create(self, job_id: str, prompt: str, options: dict, folder: Path, ttl_s: float, *,
               owner_hash: str | None = None, names: dict | None = None) -> Job:
        now = time.time()
        with self._tx() as db:
            db.execute("INSERT INTO jobs (id, status, prompt, options, folder, created_at, "
                       "updated_at, expires_at, owner_hash, names) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, QUEUED, prompt, json.dumps(options), str(folder), now, now,
                        now + ttl_s, owner_hash, json.dumps(names or {})))
        job = self.get(job_id)
        assert job is not None  # the row just written
        return job

    def get(self, job_id: str) -> Job | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def update(self, job_id: str, **fields) -> None:
        if "result" in fields:
            fields["result"] = json.dumps(fields["result"])
        fields["updated_at"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._tx() as db:
            db.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), job_id))

    def transition(self, job_id: str, from_status: tuple[str, ...], *,
                   run: int | None = None, **fields) -> bool:
        fields["updated_at"] = time.time()
        if "result" in fields:
            fields["result"] = json.dumps(fields["result"])
        cols = ", ".join(f"{k} = ?" for k in fields)
        marks = ", ".join("?" for _ in from_status)
        same_run = "" if run is None else " AND attempts = ?"
        with self._tx() as db:
            cur = db.execute(f"UPDATE jobs SET {cols} WHERE id = ? AND status IN ({marks})"
                             f"{same_run}", (*fields.values(), job_id, *from_status,
                                             *(() if run is None else (run,))))
            return cur.rowcount == 1

    def claim(self, job: Job, worker: str) -> bool:
        with self._tx() as db:
            cur = db.execute("UPDATE jobs SET status = ?, attempts = attempts + 1, worker = ?, "
                             "cancel_requested = 0, updated_at = ? WHERE id = ? AND status = ? "
                             "AND attempts = ?", (RUNNING, worker, time.time(), job.id,
                                                  job.status, job.attempts))
            return cur.rowcount == 1

    def release(self, job: Job) -> bool:
        with self._tx() as db:
            cur = db.execute("UPDATE jobs SET status = ?, updated_at = ? WHERE id = ? AND "
                             "status = ? AND attempts = ?", (QUEUED, time.time(), job.id,
                                                             RUNNING, job.attempts))
            return cur.rowcount == 1

    def heartbeat(self, worker: str, info: dict) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO workers VALUES (?, ?, ?)",
                       (worker, json.dumps(info), time.time()))

    def workers(self, seen_since: float = 0.0) -> dict[str, tuple[dict, float]]:
        with self._connect() as db:
            rows = db.execute("SELECT id, info, seen_at FROM workers WHERE seen_at >= ?",
                              (seen_since,)).fetchall()
        return {r[0]: (json.loads(r[1]), r[2]) for r in rows}

    def with_status(self, *statuses: str) -> list[Job]:
        marks = ", ".join("?" for _ in statuses)
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY created_at",
                              statuses).fetchall()
        return [_job(r) for r in rows]

    def count(self, *statuses: str) -> int:
        marks = ", ".join("?" for _ in statuses)
        with self._connect() as db:
            return db.execute(f"SELECT COUNT(*) FROM jobs WHERE status IN ({marks})",
                              statuses).fetchone()[0]

    def due_for_expiry(self, now: float) -> list[Job]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE expires_at <= ? AND status NOT IN (?, ?)",
                              (now, RUNNING, EXPIRED)).fetchall()
        return [_job(r) for r in rows]

    def forget(self, before: float) -> int:
        with self._tx() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM jobs WHERE status = ? AND "
                                            "expires_at < ?", (EXPIRED, before))]
            for job_id in ids:
                db.execute("DELETE FROM events WHERE job_id = ?", (job_id,))
                db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        for job_id in ids:
            self._latest.pop(job_id, None)
        return len(ids)

    def _add_counts(self, outcome: str, counts: dict[str, float]) -> None:
        with self._tx() as db:
            db.executemany("INSERT INTO durations VALUES (?, ?, ?) ON CONFLICT (outcome, le) "
                           "DO UPDATE SET value = value + excluded.value",
                           [(outcome, le, v) for le, v in counts.items()])

    def duration_counts(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        with self._connect() as db:
            for outcome, le, value in db.execute("SELECT outcome, le, value FROM durations"):
                out.setdefault(outcome, {})[le] = value
        return out

    # --- events -----------------------------------------------------------
    def add_event(self, job_id: str, step: str, detail: str, progress: float) -> Event:
        now = time.time()
        with self._tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id = ?",
                             (job_id,)).fetchone()[0]
            db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                       (job_id, seq, step, detail, float(progress), now))
        self._latest[job_id] = seq
        return Event(seq, step, detail, float(progress), now)

    def events_after(self, job_id: str, seq: int) -> list[Event]:
        with self._connect() as db:
            rows = db.execute("SELECT seq, step, detail, progress, at FROM events WHERE job_id = ? "
                              "AND seq > ? ORDER BY seq", (job_id, seq)).fetchall()
        return [Event(*r) for r in rows]

    def last_event(self, job_id: str) -> Event | None:
        with self._connect() as db:
            row = db.execute("SELECT seq, step, detail, progress, at FROM events WHERE job_id = ? "
                             "ORDER BY seq DESC LIMIT 1", (job_id,)).fetchone()
        if row:
            self._latest.setdefault(job_id, row[0])
        return Event(*row) if row else None

    def latest_seq(self, job_id: str) -> int | None:
        # the last event number this process wrote or saw: no query (events.py
        # re-reads every RESYNC_S for what other processes wrote)
        return self._latest.get(job_id)


def _job(row: sqlite3.Row) -> Job:
    return Job(id=row["id"], kind=row["kind"], status=row["status"], prompt=row["prompt"],
               options=json.loads(row["options"]), folder=Path(row["folder"]),
               result=json.loads(row["result"]), error=row["error"],
               created_at=row["created_at"], updated_at=row["updated_at"],
               expires_at=row["expires_at"], owner_hash=row["owner_hash"],
               attempts=row["attempts"], names=json.loads(row["names"]), worker=row["worker"],
               cancel_requested=bool(row["cancel_requested"]))
