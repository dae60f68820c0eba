"""Cluster mode: what happens to a running job whose worker is gone or broke.

- Its worker died (heartbeat older than `QUEUE_HEARTBEAT_TIMEOUT_S`, and no
  new one while we watch for `CONFIRM_S`: a Redis outage makes every
  heartbeat stale at once, and a live worker's job must not run twice): the
  job goes back to the queue and a message is sent for it, unless it has already
  taken a worker down `MAX_STARTS` times (then it fails with a sentence: no
  poison loop). The queue's own redelivery usually comes first; this one
  also catches a message the queue lost (a Redis restart without its
  append-only file). Both are safe together: a worker claims a job only in
  the state it read it in, so one delivery runs it and the other returns.
- Its worker is alive but raised (an error outside the mix, or a job
  process that exited with an exception rather than a signal): the job is
  failed with a message. Running it again would raise again.

Files are never touched here: the worker that claims a job next removes
what an unfinished run left, after its claim succeeded, so a cleanup never
races a run that has already started.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable

from .jobs import COMPLETE, FAILED, MAX_STARTS, RUNNING, Job, JobStore

logger = logging.getLogger(__name__)

WORKER_LOST = ("The process making this remix stopped unexpectedly; it is back in the queue and "
               "continues where it can.")
WORKER_LOST_AGAIN = ("The process making this remix stopped {n} times (the songs may need more "
                     "memory than this server has), so it is not tried again.")
RERENDER_LOST = "The re-render stopped unexpectedly; the remix is as it was. Apply again."
WORKER_RAISED = ("The worker making this remix hit an error it could not recover from "
                 "({kind}), so the remix stopped. Please start it again.")
HEARTBEAT_S = 2.0  # a worker's heartbeat period
CONFIRM_S = 3 * HEARTBEAT_S  # a worker silent over this much watching is gone
ORPHAN_GRACE_S = 5.0  # a claimed job shows in its worker's heartbeat within HEARTBEAT_S


def may_run_again(store: JobStore, job: Job) -> bool:
    """A running job lost its worker or process: True if it should run again;
    else it has been ended (a re-render leaves its remix as it was; a mix
    that took `MAX_STARTS` workers down fails)."""
    if job.kind == "rerender":
        if store.transition(job.id, (RUNNING,), status=COMPLETE, kind="mix",
                            error=RERENDER_LOST):
            store.add_event(job.id, "error", RERENDER_LOST, 1.0)
        return False
    if job.attempts >= MAX_STARTS:
        message = WORKER_LOST_AGAIN.format(n=job.attempts)
        if store.transition(job.id, (RUNNING,), status=FAILED, error=message):
            shutil.rmtree(job.folder, ignore_errors=True)
            store.add_event(job.id, "error", message, store.progress_of(job.id))
        return False
    return True


def fail_raised(store: JobStore, job: Job, kind: str) -> bool:
    """End a running job whose worker raised, with a sentence saying so."""
    message = WORKER_RAISED.format(kind=kind)
    if job.kind == "rerender":
        done = store.transition(job.id, (RUNNING,), status=COMPLETE, kind="mix", error=message)
        if done:
            store.add_event(job.id, "error", f"Re-render failed: {message}", 1.0)
        return done
    if store.get(job.id) != job:
        return False  # it moved on since it was read
    # files first, as a mix that fails does: once the status says failed, nothing is left
    shutil.rmtree(job.folder, ignore_errors=True)
    if not store.transition(job.id, (RUNNING,), status=FAILED, error=message):
        return False
    store.add_event(job.id, "error", message, store.progress_of(job.id))
    return True


def requeue_lost(store: JobStore, job: Job, send: Callable[[str], None]) -> bool:
    """Put a job whose worker or process died back on the queue (or end it)."""
    if not may_run_again(store, job) or not store.release(job):
        return False
    store.add_event(job.id, "queue_position", WORKER_LOST, store.progress_of(job.id))
    send(job.id)
    return True


def owner_silent(store: JobStore, job: Job, heartbeat_timeout_s: float,
                 confirm_s: float = CONFIRM_S) -> bool:
    """True when the job's worker has no fresh heartbeat and none comes while
    we watch for `confirm_s`. After a Redis outage longer than the timeout
    every heartbeat is stale at once, but live workers beat again within
    `HEARTBEAT_S`: without the watch their jobs would run twice."""
    end = time.monotonic() + confirm_s
    while True:
        seen = store.workers().get(job.worker or "")
        if seen is not None and time.time() - seen[1] < heartbeat_timeout_s:
            return False
        if time.monotonic() >= end:
            return True
        time.sleep(min(0.5, confirm_s))


class Reaper:
    """Passes over the running jobs (an API node runs one every third of the
    heartbeat timeout). A job's worker must be seen silent on passes at least
    `confirm_s` apart before the job is redelivered (see `owner_silent`)."""

    def __init__(self, store: JobStore, send: Callable[[str], None], heartbeat_timeout_s: float,
                 confirm_s: float = CONFIRM_S):
        self.store, self.send = store, send
        self.timeout_s, self.confirm_s = heartbeat_timeout_s, confirm_s
        self._silent_since: dict[str, float] = {}  # job id -> when its worker was first silent

    def reap(self, now: float | None = None) -> dict[str, list[str]]:
        """One pass; returns the ids redelivered and failed."""
        now = time.time() if now is None else now
        live = self.store.workers(seen_since=now - self.timeout_s)
        out: dict[str, list[str]] = {"redelivered": [], "failed": []}
        running = self.store.with_status(RUNNING)
        for gone in set(self._silent_since) - {j.id for j in running}:
            del self._silent_since[gone]
        for job in running:
            if job.worker is None:
                continue  # run by an embedded server, which recovers its own jobs
            owner = live.get(job.worker)
            if owner is None:
                if now - job.updated_at >= self.timeout_s and self._confirmed(job.id):
                    self._silent_since.pop(job.id, None)
                    if requeue_lost(self.store, job, self.send):
                        logger.warning("remix %s: worker %s is silent; redelivered", job.id,
                                       job.worker)
                        out["redelivered"].append(job.id)
                continue
            self._silent_since.pop(job.id, None)
            if (job.id not in owner[0].get("busy", ())
                    and owner[1] > job.updated_at + ORPHAN_GRACE_S
                    and fail_raised(self.store, job, "its worker dropped it")):
                logger.warning("remix %s: worker %s no longer runs it; failed", job.id,
                               job.worker)
                out["failed"].append(job.id)
        return out

    def _confirmed(self, job_id: str) -> bool:
        first = self._silent_since.setdefault(job_id, time.monotonic())
        return time.monotonic() - first >= self.confirm_s
