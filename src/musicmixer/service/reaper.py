"""Cluster mode: what happens to a running job whose worker is gone or broke.

- Its worker died (heartbeat older than `QUEUE_HEARTBEAT_TIMEOUT_S`): the job
  goes back to the queue and a message is sent for it, unless it has already
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
ORPHAN_GRACE_S = 5.0  # a claimed job shows in its worker's heartbeat within 2 s (HEARTBEAT_S)


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


def reap(store: JobStore, send: Callable[[str], None], heartbeat_timeout_s: float,
         now: float | None = None) -> dict[str, list[str]]:
    """One pass over the running jobs; returns the ids redelivered and failed."""
    now = time.time() if now is None else now
    live = store.workers(seen_since=now - heartbeat_timeout_s)
    out: dict[str, list[str]] = {"redelivered": [], "failed": []}
    for job in store.with_status(RUNNING):
        if job.worker is None:
            continue  # run by an embedded server, which recovers its own jobs
        owner = live.get(job.worker)
        if owner is None:
            if now - job.updated_at >= heartbeat_timeout_s and requeue_lost(store, job, send):
                logger.warning("remix %s: worker %s is silent; redelivered", job.id, job.worker)
                out["redelivered"].append(job.id)
        elif (job.id not in owner[0].get("busy", ())
              and owner[1] > job.updated_at + ORPHAN_GRACE_S
              and fail_raised(store, job, "its worker dropped it")):
            logger.warning("remix %s: worker %s no longer runs it; failed", job.id, job.worker)
            out["failed"].append(job.id)
    return out
