"""Which job store a node uses, and how a job process opens the same one.

Embedded (`musicmixer serve` alone): SQLite under `DATA_DIR/web`. Cluster
mode (`QUEUE_URL=redis://...`): the Redis the queue lives in, so records and
progress events reach every API node and worker whatever machine it is on.
"""

from __future__ import annotations

from pathlib import Path

from musicmixer.config import Settings

from .jobs import JobStore


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "web" / "jobs.sqlite3"


def store_for(settings: Settings, *, worker: bool = False) -> JobStore:
    """`worker`: the store of a worker, which waits out a Redis restart
    (`jobs_redis.PATIENT_S`) where the API answers 503 at once."""
    if settings.queue_url:
        from .jobs_redis import PATIENT_S, RedisJobStore

        return RedisJobStore(settings.queue_url,
                             heartbeat_ttl_s=settings.queue_heartbeat_timeout_s,
                             patient_s=PATIENT_S if worker else 0.0)
    from .jobs_sqlite import SqliteJobStore

    return SqliteJobStore(sqlite_path(settings))


def open_job_store(locator: str) -> JobStore:
    """The store a `JobStore.locator` names ("sqlite:/path" or a redis:// URL),
    as a job process uses it (patient with Redis, as a worker is)."""
    if locator.startswith("sqlite:"):
        from .jobs_sqlite import SqliteJobStore

        return SqliteJobStore(Path(locator[len("sqlite:"):]))
    from .jobs_redis import PATIENT_S, RedisJobStore

    return RedisJobStore(locator, patient_s=PATIENT_S)
