"""Cluster mode, the worker's side: `musicmixer worker --concurrency N` takes
remix messages from the Redis queue and runs each job in a process of its
own (`job_process.py`), as `serve` does on one machine.

Failure semantics: the message is acknowledged only when the job has ended
(complete, failed, cancelled or queued again), so a worker that dies mid-job
leaves it unacknowledged and the broker delivers it to another worker once
the dead one has been silent `QUEUE_HEARTBEAT_TIMEOUT_S`. The job process
exits within a second of its worker (it watches its parent), and the new
worker claims the row only if its owner's heartbeat is as old as that, so a
job runs once at a time. Each claim counts a start: a job that took its
worker down `MAX_STARTS` times fails with a sentence instead of looping; a
job whose process raised (exit code > 0, not a signal) fails at once with a
sentence (`reaper.py`, which also runs in the API against silent workers).
Stages are idempotent (atomic export, content-hash stem cache), so a rerun
costs time, not correctness.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from musicmixer.config import Settings
from musicmixer.separation.cache_prune import prune_stem_cache

from . import results
from .job_log import JobLog
from .job_process import DEFAULT_JOB_FN, new_flag, start_job
from .jobs import ACTIVE, QUEUED, RUNNING, JobStore
from .queue_broker import ACTOR_NAME, QUEUE_NAME, make_broker, send
from .reaper import (
    HEARTBEAT_S,
    WORKER_LOST,
    fail_raised,
    may_run_again,
    owner_silent,
    requeue_lost,
)
from .storage import FileStorage, SharedFolder

logger = logging.getLogger(__name__)

POLL_S = 0.25  # how often a running job's cancel flag is read


class RemixWorker:
    def __init__(self, settings: Settings, store: JobStore, concurrency: int = 1,
                 job_fn: str = DEFAULT_JOB_FN, files: FileStorage | None = None):
        import dramatiq

        self.settings, self.store, self.job_fn = settings, store, job_fn
        self.files = files or SharedFolder(Path(settings.data_dir))
        self.concurrency = concurrency
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.broker = make_broker(settings)
        dramatiq.Actor(self.run_remix, broker=self.broker, actor_name=ACTOR_NAME,
                       queue_name=QUEUE_NAME, priority=0,
                       options={"max_retries": 0, "time_limit": 7 * 24 * 3600 * 1000})
        self.busy: set[str] = set()
        self.stopping = new_flag()
        self._worker: Any = None

    # --- life cycle -------------------------------------------------------
    def start(self) -> None:
        """Raises `storage.NotShared` when DATA_DIR is not the cluster's folder."""
        import dramatiq

        self.files.join(self.store.claim_folder_token)
        self._beat()
        threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True).start()
        self._worker = dramatiq.Worker(self.broker, worker_threads=self.concurrency)
        self._worker.queue_prefetch = self.concurrency  # long jobs: take no more than we run
        self._worker.start()
        logger.info("worker %s: taking remixes, %d at once", self.id, self.concurrency)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Running jobs go back to the queue (the next worker continues them)."""
        self.stopping.set()
        if self._worker is not None:
            self._worker.stop(timeout=int(timeout_s * 1000))
        self.broker.close()

    def _heartbeats(self) -> None:
        while not self.stopping.wait(HEARTBEAT_S):
            try:
                self._beat()
            except Exception:
                logger.exception("worker %s: heartbeat failed", self.id)

    def _beat(self) -> None:
        # the broker counts a worker alive while it talks to Redis; a busy worker
        # fetches nothing, so without this its job would be handed out again
        self.broker.do_qsize(QUEUE_NAME)
        self.store.heartbeat(self.id, {"host": socket.gethostname(), "pid": os.getpid(),
                                       "concurrency": self.concurrency,
                                       "busy": sorted(self.busy)})

    # --- one message ------------------------------------------------------
    def run_remix(self, job_id: str) -> None:
        """The actor. It never raises: an error here fails the job with a
        sentence (the queue would otherwise drop the message and leave the
        job running for ever)."""
        try:
            self._take(job_id)
        except Exception as exc:
            logger.exception("remix %s: the worker failed", job_id)
            job = self.store.get(job_id)
            if job is not None and job.status == RUNNING and job.worker == self.id:
                fail_raised(self.store, job, type(exc).__name__)

    def _take(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None or job.status not in ACTIVE:
            return  # cancelled or expired while it waited, or already redelivered and done
        lost = job.status == RUNNING
        if lost and (self._owner_alive(job) or not may_run_again(self.store, job)):
            return  # a second delivery while its worker still runs it, or it ended
        if not self.store.claim(job, self.id):
            return  # another worker took it first
        if job.attempts:  # an earlier run did not finish: drop what it left (uploads stay)
            results.remove_partials(job.folder, job.result)
        if lost:
            self.store.add_event(job_id, "queue_position", WORKER_LOST,
                                 self.store.progress_of(job_id))
        log = JobLog(logger, job_id)
        log.info("started (start %d) on %s", job.attempts + 1, self.id)
        self.busy.add(job_id)
        started = time.time()
        try:
            self._run(job_id, log)
        finally:
            self.busy.discard(job_id)
        ended = self.store.get(job_id)
        log.info("ended %s after %.1f s", ended.status if ended else "gone",
                 time.time() - started)
        self._prune_stem_cache()

    def _owner_alive(self, job) -> bool:
        return not owner_silent(self.store, job, self.settings.queue_heartbeat_timeout_s)

    def _run(self, job_id: str, log: JobLog) -> None:
        cancel = new_flag()
        proc = start_job(self.settings, self.store.locator, job_id, self.job_fn, cancel,
                         self.stopping)
        while proc.is_alive():
            proc.join(POLL_S)
            job = self.store.get(job_id)
            if self.stopping.is_set() or (job is not None and job.cancel_requested):
                cancel.set()  # stopping: the job pauses, back on the queue for another worker
        job = self.store.get(job_id)
        if job is None:
            return
        if job.status == QUEUED:  # paused by our stop: back on the queue for another worker
            send(self.broker, job_id)
        elif job.status == RUNNING and (proc.exitcode or 0) < 0:  # killed (out of memory)
            log.warning("its process was killed (signal %s)", -(proc.exitcode or 0))
            requeue_lost(self.store, job, lambda i: send(self.broker, i))
        elif job.status == RUNNING:  # it raised outside the mix: another run would too
            log.warning("its process exited with code %s", proc.exitcode)
            fail_raised(self.store, job, f"exit code {proc.exitcode}")

    def _prune_stem_cache(self) -> None:
        if self.store.count(RUNNING):
            return  # a running job may be reading an entry
        prune_stem_cache(self.files.stem_cache(),
                         self.settings.stem_cache_ttl_hours * 3600,
                         int(self.settings.stem_cache_max_mb * 1e6))
