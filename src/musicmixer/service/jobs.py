"""Remix jobs and their progress events: the records and the store's interface.

The older app this design replaced kept sessions in memory and lost them on
restart; here every job and every event is stored, so a restarted server
still knows each remix: finished ones stay playable until they expire,
interrupted ones say why they stopped (`recover`). Two stores implement
`JobStore`: SQLite under the data folder (`jobs_sqlite.py`, the one-machine
default) and Redis (`jobs_redis.py`, cluster mode: every API node and worker
reads the same records, so a progress stream can be followed from any node).
`job_stores.open_job_store` opens the one a locator names, in any process.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

QUEUED, RUNNING, COMPLETE = "queued", "running", "complete"
FAILED, CANCELLED, EXPIRED = "failed", "cancelled", "expired"
ACTIVE = (QUEUED, RUNNING)
FINISHED = (COMPLETE, FAILED, CANCELLED, EXPIRED)
INTERRUPTED_REASON = ("The server restarted while this remix was being made and its songs "
                      "could not be used again, so it stopped. Please start it again.")
RESUMED = ("The server restarted while this remix was being made; it is back in the queue and "
           "continues where it can (songs already separated are not separated again).")
PAUSED = ("The server is restarting; your remix waits in the queue and continues when it is "
          "back.")
MAX_STARTS = 3  # a job the server died in this often is not started again
# a run's length, seconds: the upper bounds of the /metrics histogram's buckets
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
RERENDER_INTERRUPTED = ("The server restarted during the re-render; the remix is as it was. "
                        "Apply your changes again.")

@dataclass
class Job:
    id: str
    kind: str  # "mix" or "rerender": what the worker does next
    status: str
    prompt: str
    options: dict
    folder: Path
    result: dict
    error: str | None
    created_at: float
    updated_at: float
    expires_at: float
    owner_hash: str | None = None  # SHA-256 of the owner token (Apply, Cancel, delete)
    attempts: int = 0  # runs started: a job the server dies in twice is not tried again
    names: dict = field(default_factory=dict)  # field -> the user's file name (sanitised)
    worker: str | None = None
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class Event:
    seq: int
    step: str
    detail: str
    progress: float
    at: float = field(default=0.0, compare=False)

    def payload(self) -> dict:
        return {"step": self.step, "detail": self.detail, "progress": round(self.progress, 4)}


class JobStore(ABC):
    """All reads and writes of jobs, events and worker heartbeats.

    `locator` names the store so another process can open it
    (`job_stores.open_job_store`): a job process opens the store its server
    or worker uses."""

    locator: str

    # --- jobs -------------------------------------------------------------
    @abstractmethod
    def create(self, job_id: str, prompt: str, options: dict, folder: Path, ttl_s: float, *,
               owner_hash: str | None = None, names: dict | None = None) -> Job: ...

    @abstractmethod
    def get(self, job_id: str) -> Job | None: ...

    @abstractmethod
    def update(self, job_id: str, **fields) -> None: ...

    @abstractmethod
    def transition(self, job_id: str, from_status: tuple[str, ...], *,
                   run: int | None = None, **fields) -> bool:
        """Update only while the job is in one of `from_status` (and, given
        `run`, still on that start: `attempts == run`, so a run that outlived
        its worker cannot finish a job another worker has claimed since);
        True if it was."""

    @abstractmethod
    def claim(self, job: Job, worker: str) -> bool:
        """Cluster mode: `worker` takes the job as it was read (same status and
        start count), so of two deliveries of one job only one runs it."""

    @abstractmethod
    def release(self, job: Job) -> bool:
        """Cluster mode: a running job whose worker is gone goes back to queued,
        only if nobody claimed it since it was read (same start count)."""

    @abstractmethod
    def with_status(self, *statuses: str) -> list[Job]:
        """Jobs in these states, oldest first."""

    @abstractmethod
    def count(self, *statuses: str) -> int: ...

    @abstractmethod
    def due_for_expiry(self, now: float) -> list[Job]:
        """Jobs past their time to live that are neither running nor expired."""

    @abstractmethod
    def forget(self, before: float) -> int:
        """Delete the records (and events) of remixes that expired before
        `before`: their prompts and file names are not kept for ever. Their
        ids then answer 404 instead of 410."""

    # --- workers ----------------------------------------------------------
    @abstractmethod
    def heartbeat(self, worker: str, info: dict) -> None: ...

    @abstractmethod
    def workers(self, seen_since: float = 0.0) -> dict[str, tuple[dict, float]]:
        """Worker id -> (what it said of itself, when it last said it)."""

    def claim_folder_token(self, mine: str) -> str:
        """The token that marks the cluster's shared folder (`storage.SharedFolder.join`);
        one machine's store has no other node to agree with."""
        return mine

    # --- run lengths (for /metrics) --------------------------------------
    def observe_duration(self, outcome: str, seconds: float) -> None:
        """Count one run that ended as `outcome` after `seconds` (a histogram
        kept in the store, so every API node reports every worker's runs)."""
        le = next((f"{b:g}" for b in DURATION_BUCKETS if seconds <= b), "+Inf")
        self._add_counts(outcome, {le: 1.0, "sum": float(seconds), "count": 1.0})

    @abstractmethod
    def _add_counts(self, outcome: str, counts: dict[str, float]) -> None: ...

    @abstractmethod
    def duration_counts(self) -> dict[str, dict[str, float]]:
        """Outcome -> {bucket upper bound (or "sum", "count") -> value}; the
        buckets are not cumulative."""

    # --- events -----------------------------------------------------------
    @abstractmethod
    def add_event(self, job_id: str, step: str, detail: str, progress: float) -> Event: ...

    @abstractmethod
    def events_after(self, job_id: str, seq: int) -> list[Event]: ...

    @abstractmethod
    def last_event(self, job_id: str) -> Event | None: ...

    @abstractmethod
    def latest_seq(self, job_id: str) -> int | None:
        """The last event number, as cheaply as the store can say it (SSE polls it
        ten times a second); None when unknown here."""

    def progress_of(self, job_id: str) -> float:
        last = self.last_event(job_id)
        return last.progress if last else 0.0

    def recover(self, can_resume: Callable[[Job], bool]) -> tuple[list[Job], list[Job]]:
        """After a restart: a re-render that was running leaves its remix as it
        was; a mix that was running goes back in the queue if `can_resume(job)`
        (its uploads are kept until it ends), else it fails with a reason.
        Returns (failed, to queue again)."""
        failed = []
        for job in self.with_status(RUNNING):
            if job.kind == "rerender":  # the remix itself is finished: it stays playable
                if self.transition(job.id, (RUNNING,), status=COMPLETE, kind="mix",
                                   error=RERENDER_INTERRUPTED):
                    self.add_event(job.id, "error", RERENDER_INTERRUPTED, 1.0)
            elif job.attempts < MAX_STARTS and can_resume(job):
                if self.transition(job.id, (RUNNING,), status=QUEUED):
                    self.add_event(job.id, "queue_position", RESUMED, self.progress_of(job.id))
            elif self.transition(job.id, (RUNNING,), status=FAILED, error=INTERRUPTED_REASON):
                self.add_event(job.id, "error", INTERRUPTED_REASON, self.progress_of(job.id))
                failed.append(job)
        return failed, self.with_status(QUEUED)
