"""A bounded pool of workers that make the remixes, one job at a time each.

By default (`musicmixer serve`) each job runs in a process of its own
(`job_process.py`): the web process never decodes or renders, and a job's
memory returns to the system when it ends. `job_fn` may be an import path
("module:attr", run in that process) or a callable, which runs in the worker
thread itself (API tests pass a fast fake mix that shares a gate with them).
A job process that dies without ending its job (killed, out of memory) puts
it back in the queue; one that killed its process `MAX_STARTS` times fails
with a sentence saying so; one that raised (exit code > 0) fails at once.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from musicmixer.config import Settings
from musicmixer.errors import MusicMixerError
from musicmixer.separation.cache_prune import prune_stem_cache

from . import results
from .admission import MemoryAdmission, estimate_mb, song_minutes
from .job_process import DEFAULT_JOB_FN, new_flag, start_job
from .job_run import FINISHING, Cancelled, JobProgress, JobRun, default_job_fn, job_settings
from .jobs import (
    ACTIVE,
    CANCELLED,
    COMPLETE,
    EXPIRED,
    FAILED,
    MAX_STARTS,
    QUEUED,
    RUNNING,
    JobStore,
)
from .reaper import RERENDER_LOST, WORKER_LOST, WORKER_LOST_AGAIN, fail_raised
from .storage import FileStorage, SharedFolder

__all__ = ["FINISHING", "RERENDER_LOST", "WORKER_LOST", "WORKER_LOST_AGAIN", "Cancelled",
           "JobProgress", "Runner", "default_job_fn", "job_settings"]

logger = logging.getLogger(__name__)

TERMINAL_STEPS = ("complete", "error", "cancelled")


class AtCapacity(MusicMixerError):
    """The queue is full (HTTP 503)."""


class LowOnDisk(MusicMixerError):
    """Free disk under `MIN_FREE_DISK_MB` (HTTP 507)."""


class Runner:
    def __init__(self, settings: Settings, store: JobStore, job_fn: Callable | str | None = None,
                 *, sweep_interval_s: float = 30.0, files: FileStorage | None = None):
        self.settings, self.store = settings, store
        self.files = files or SharedFolder(Path(settings.data_dir))
        self.job_fn = job_fn or DEFAULT_JOB_FN
        self.processes = isinstance(self.job_fn, str)  # a process per job, else a thread
        self.sweep_interval_s = sweep_interval_s
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._cancel: dict[str, Any] = {}  # job id -> its cancel flag
        self._procs: dict[str, BaseProcess] = {}
        self._positions: dict[str, int] = {}
        self._threads: list[threading.Thread] = []
        self._stopping: Any = new_flag() if self.processes else threading.Event()
        self.admission = MemoryAdmission(settings.job_memory_budget_mb)

    # --- life cycle -------------------------------------------------------
    def start(self) -> None:
        failed, waiting = self.store.recover(self._resumable)
        for job in failed:
            shutil.rmtree(job.folder, ignore_errors=True)  # nothing half-made stays behind
        for job in self.store.with_status(QUEUED, COMPLETE):
            results.remove_partials(job.folder, job.result)  # what a killed render left
        for job in waiting:
            self._queue.put(job.id)
        for i in range(self.settings.web_workers):
            t = threading.Thread(target=self._work, name=f"remix-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._sweeper, name="remix-sweeper", daemon=True)
        t.start()
        self._threads.append(t)
        self._announce_positions()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        for flag in list(self._cancel.values()):
            flag.set()
        for _ in range(self.settings.web_workers):
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)
        for proc in list(self._procs.values()):  # still busy: the restart re-queues its job
            proc.terminate()

    def not_ready(self) -> str | None:
        """Why this runner cannot take jobs now, or None."""
        try:
            self.store.count(QUEUED)
        except Exception as exc:  # the database file is gone or locked for too long
            return f"The job store does not answer ({type(exc).__name__})."
        workers = [t for t in self._threads if t.name.startswith("remix-worker")]
        if not workers or not all(t.is_alive() for t in workers):
            return "The remix workers are not running."
        return None

    def live_workers(self) -> int:
        """Job slots alive (for /metrics)."""
        return sum(t.is_alive() for t in self._threads if t.name.startswith("remix-worker"))

    def queue_messages(self) -> int | None:
        """The broker's count of waiting messages; None without a broker."""
        return None

    @staticmethod
    def _resumable(job) -> bool:
        return len(results.song_paths(job.folder)) == 2

    # --- requests ---------------------------------------------------------
    def check_room(self) -> None:
        """Room for one more job: a queue place and disk (503 / 507 otherwise)."""
        free = self.files.free_bytes()
        if free < self.settings.min_free_disk_mb * 1e6:
            raise LowOnDisk(f"The server is low on disk space ({free / 1e6:.0f} MB free), so it "
                            "takes no new remixes for now. Please try again later.")
        waiting = self.store.count(QUEUED)
        if waiting >= self.settings.web_queue_depth:
            raise AtCapacity(f"Server is at capacity: {waiting} remixes are already waiting. "
                             "Please try again in a few minutes.")

    def enqueue(self, job_id: str) -> None:
        """Queue a job the store holds as queued (its files in place)."""
        with self._lock:  # an event now, so a stream opened right away sees the new run
            ahead = max(self.store.count(QUEUED, RUNNING) - 1, 0)
            self._positions[job_id] = ahead
            job = self.store.get(job_id)
            self.store.add_event(job_id, "queue_position", _waiting(ahead),
                                 0.0 if job and job.kind == "rerender"
                                 else self.store.progress_of(job_id))
            self._queue.put(job_id)

    def cancel(self, job_id: str) -> str:
        """Cancel a waiting or running job; returns its status afterwards."""
        job = self.store.get(job_id)
        if job is None or job.status not in ACTIVE:
            return job.status if job else EXPIRED
        back_to = COMPLETE if job.kind == "rerender" else CANCELLED
        if self.store.transition(job_id, (QUEUED,), status=back_to):
            self.store.add_event(job_id, "cancelled", "Cancelled before it started.",
                                 self.store.progress_of(job_id))
            if back_to == CANCELLED:
                shutil.rmtree(job.folder, ignore_errors=True)
            self._announce_positions()
            return back_to
        flag = self._cancel.get(job_id)
        if flag is not None:
            flag.set()
        job = self.store.get(job_id)
        return job.status if job else EXPIRED

    # --- workers ----------------------------------------------------------
    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            job = self.store.get(job_id)
            if job is None or job.status != QUEUED:
                continue
            mb = self.memory_estimate(job)
            if not self.admission.acquire(mb, self._stopping):  # shutting down: it stays queued
                return
            try:
                job = self.store.get(job_id)  # cancelled while it waited for memory?
                if job is None or not self.store.transition(job_id, (QUEUED,), status=RUNNING,
                                                            attempts=job.attempts + 1):
                    continue
                self._cancel[job_id] = new_flag() if self.processes else threading.Event()
                self._announce_positions()
                try:
                    if self.processes:
                        self._run_process(job_id)
                    else:
                        assert callable(self.job_fn)
                        JobRun(self.settings, self.store, self.job_fn, self._cancel[job_id],
                               self._stopping).run(self.store.get(job_id))
                except Exception:  # never lose a worker
                    logger.exception("remix %s: unexpected failure", job_id)
                finally:
                    self._cancel.pop(job_id, None)
            finally:
                self.admission.release(mb)
            self.prune_stem_cache()

    def _run_process(self, job_id: str) -> None:
        assert isinstance(self.job_fn, str)
        proc = start_job(self.settings, self.store.locator, job_id, self.job_fn,
                         self._cancel[job_id], self._stopping)
        self._procs[job_id] = proc
        try:
            proc.join()
        finally:
            self._procs.pop(job_id, None)
        job = self.store.get(job_id)
        if job is None or job.status != RUNNING or self._stopping.is_set():
            return
        logger.warning("remix %s: its process ended (exit code %s) without ending the job",
                       job_id, proc.exitcode)
        if (proc.exitcode or 0) > 0:  # it raised, not killed: another run would raise again
            fail_raised(self.store, job, f"exit code {proc.exitcode}")
        else:
            self._lost(job)

    def memory_estimate(self, job) -> float:
        """A mix's estimated peak memory from its songs' lengths; a re-render's is
        not counted (no separation or analysis; it holds one mix's stems)."""
        if job.kind == "rerender":
            return 0.0
        limit = self.settings.max_song_minutes
        return estimate_mb(song_minutes(p, limit) for p in results.song_paths(job.folder).values())

    def _lost(self, job) -> None:
        """The job's process died: the re-render leaves the remix as it was; the
        mix goes back in the queue, unless it killed its process `MAX_STARTS` times."""
        if job.kind == "rerender":
            if self.store.transition(job.id, (RUNNING,), status=COMPLETE, kind="mix",
                                     error=RERENDER_LOST):
                self.store.add_event(job.id, "error", RERENDER_LOST, 1.0)
        elif job.attempts < MAX_STARTS and self._resumable(job):
            results.remove_partials(job.folder, {})
            if self.store.transition(job.id, (RUNNING,), status=QUEUED):
                self.store.add_event(job.id, "queue_position", WORKER_LOST,
                                     self.store.progress_of(job.id))
                self._queue.put(job.id)
        else:
            message = WORKER_LOST_AGAIN.format(n=job.attempts)
            shutil.rmtree(job.folder, ignore_errors=True)
            if self.store.transition(job.id, (RUNNING,), status=FAILED, error=message):
                self.store.add_event(job.id, "error", message, self.store.progress_of(job.id))

    def _announce_positions(self) -> None:
        with self._lock:
            waiting = self.store.with_status(QUEUED)
            busy = self.store.count(RUNNING)
            for i, job in enumerate(waiting):
                ahead = i + busy
                if self._positions.get(job.id) != ahead:
                    self._positions[job.id] = ahead
                    self.store.add_event(job.id, "queue_position", _waiting(ahead),
                                         0.0 if job.kind == "rerender"
                                         else self.store.progress_of(job.id))
            for job_id in [j for j in self._positions if j not in {w.id for w in waiting}]:
                self._positions.pop(job_id, None)

    # --- expiry -----------------------------------------------------------
    def _sweeper(self) -> None:
        while not self._stopping.wait(self.sweep_interval_s):
            try:
                self.sweep()
            except Exception:
                logger.exception("expiry sweep failed")

    def sweep(self, now: float | None = None) -> list[str]:
        """Delete every remix past its time to live, files and all; forget the
        rows of long-expired ones; keep the stem cache in its bounds."""
        now = time.time() if now is None else now
        gone = []
        for job in self.store.due_for_expiry(now):
            if self.store.transition(job.id, (QUEUED, COMPLETE, FAILED, CANCELLED),
                                     status=EXPIRED, result={}):
                shutil.rmtree(job.folder, ignore_errors=True)
                gone.append(job.id)
        self.store.forget(before=now - self.settings.job_record_ttl_hours * 3600)
        self.prune_stem_cache(now)
        return gone

    def prune_stem_cache(self, now: float | None = None) -> None:
        """Expire and cap the stem cache while no job runs (a running job may be
        reading an entry)."""
        if self.store.count(RUNNING):
            return
        report = prune_stem_cache(self.files.stem_cache(),
                                  self.settings.stem_cache_ttl_hours * 3600,
                                  int(self.settings.stem_cache_max_mb * 1e6), now)
        if report.removed:
            logger.info("stem cache: removed %d entries, %.0f -> %.0f MB", len(report.removed),
                        report.bytes_before / 1e6, report.bytes_after / 1e6)


def _waiting(ahead: int) -> str:
    return "Next in line" if ahead == 0 else f"{ahead} remix{'es' * (ahead != 1)} ahead of yours"
