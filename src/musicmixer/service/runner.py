"""A bounded pool of worker threads that makes the remixes.

`job_fn(MixRequest, settings, progress) -> MixResult` is injectable (API tests
pass a fast fake mix); the default is `musicmixer.pipeline.run_mix`. Pipeline
stages (`musicmixer.stages.STAGES`) become progress steps, with one overall
fraction that never goes back. Cancelling sets a flag that the next progress
call turns into an exception, so a job stops between two steps of its stage
and the pipeline's atomic export leaves nothing half-written.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from musicmixer.config import Settings
from musicmixer.errors import MusicMixerError
from musicmixer.separation.cache_prune import prune_stem_cache
from musicmixer.stages import STAGES, stage_named

from . import results
from .admission import MemoryAdmission, estimate_mb, song_minutes
from .client_text import ClientText
from .jobs import (
    ACTIVE,
    CANCELLED,
    COMPLETE,
    EXPIRED,
    FAILED,
    INTERRUPTED_REASON,
    PAUSED,
    QUEUED,
    RUNNING,
    JobStore,
)
from .rerender import run_rerender

logger = logging.getLogger(__name__)

FINISHING = 0.97  # the rest: the player's copies of the stems
TERMINAL_STEPS = ("complete", "error", "cancelled")


class AtCapacity(MusicMixerError):
    """The queue is full (HTTP 503)."""


class LowOnDisk(MusicMixerError):
    """Free disk under `MIN_FREE_DISK_MB` (HTTP 507)."""


class Cancelled(Exception):
    """Raised inside a job's progress callback once the job is cancelled."""


def default_job_fn(request, settings: Settings, progress):
    from musicmixer.pipeline import run_mix

    return run_mix(request, settings, progress)


def job_settings(settings: Settings, options: dict):
    """The server's settings with a job's own options (already validated)."""
    return settings.model_copy(update={k: v for k, v in options.items() if k != "rerender"})


class Runner:
    def __init__(self, settings: Settings, store: JobStore, job_fn: Callable | None = None, *,
                 sweep_interval_s: float = 30.0):
        self.settings, self.store = settings, store
        self.job_fn = job_fn or default_job_fn
        self.sweep_interval_s = sweep_interval_s
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._cancel: dict[str, threading.Event] = {}
        self._positions: dict[str, int] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
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

    @staticmethod
    def _resumable(job) -> bool:
        return len(results.song_paths(job.folder)) == 2

    # --- requests ---------------------------------------------------------
    def check_room(self) -> None:
        """Room for one more job: a queue place and disk (503 / 507 otherwise)."""
        free = free_disk_bytes(Path(self.settings.data_dir))
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
                self._cancel[job_id] = threading.Event()
                self._announce_positions()
                try:
                    self._run(self.store.get(job_id))
                except Exception:  # never lose a worker
                    logger.exception("remix %s: unexpected failure", job_id)
                finally:
                    self._cancel.pop(job_id, None)
            finally:
                self.admission.release(mb)
            self.prune_stem_cache()

    def memory_estimate(self, job) -> float:
        """A mix's estimated peak memory from its songs' lengths; a re-render's is
        not counted (no separation or analysis; it holds one mix's stems)."""
        if job.kind == "rerender":
            return 0.0
        limit = self.settings.max_song_minutes
        return estimate_mb(song_minutes(p, limit) for p in results.song_paths(job.folder).values())

    def _run(self, job) -> None:
        text = ClientText(job.names)  # no server paths, the user's file names
        progress = JobProgress(self.store, job.id, self._cancel[job.id],
                               rerender=job.kind == "rerender", text=text)
        settings = job_settings(self.settings, job.options)
        try:
            if job.kind == "rerender":
                result = run_rerender(job, settings, progress.rerender_step)
            else:
                progress.event(STAGES[0].step, "Starting", 0.0)
                result = self._mix(job, settings, progress)
        except Cancelled:
            if self._stopping.is_set() and job.kind != "rerender":
                self._pause(job, progress)  # shutting down: it continues after the restart
            elif self._stopping.is_set():
                self._end(job, FAILED, "error", INTERRUPTED_REASON, INTERRUPTED_REASON, progress)
            else:
                self._end(job, CANCELLED, "cancelled", "Cancelled.", None, progress)
        except MusicMixerError as exc:
            self._end(job, FAILED, "error", text(str(exc)), text(str(exc)), progress)
        except Exception as exc:
            logger.exception("remix %s failed", job.id)
            message = f"Something went wrong while making the remix ({type(exc).__name__})."
            self._end(job, FAILED, "error", message, message, progress)
        else:
            ttl = self.settings.remix_ttl_hours * 3600
            result = text.result(result)
            self.store.transition(job.id, (RUNNING,), status=COMPLETE, result=result, error=None,
                                  kind="mix", expires_at=time.time() + ttl)
            progress.event("complete", "Your remix is ready.", 1.0)

    def _mix(self, job, settings: Settings, progress) -> dict:
        from musicmixer.pipeline import MixRequest

        songs = results.song_paths(job.folder)
        out = results.base_mix(job.folder)
        request = MixRequest(songs["song_a"], songs["song_b"], job.prompt, out)
        mixed = self.job_fn(request, settings, progress.stage)
        progress.check()
        progress.event(STAGES[-1].step, "Preparing the player", FINISHING)
        described = results.describe_mix(job.folder, Path(mixed.output), list(mixed.warnings))
        shutil.rmtree(results.uploads_dir(job.folder), ignore_errors=True)  # re-renders use base/
        return described

    def _pause(self, job, progress) -> None:
        """Server shutting down mid-mix: back to the queue, uploads kept, output dropped."""
        results.remove_partials(job.folder, {})
        if self.store.transition(job.id, (RUNNING,), status=QUEUED):
            progress.event("queue_position", PAUSED, progress.last)

    def _end(self, job, status, step, detail, error, progress) -> None:
        if job.kind == "rerender":  # the remix itself is still there and playable
            self.store.transition(job.id, (RUNNING,), status=COMPLETE, kind="mix",
                                  error=error)
            progress.event(step, detail if step != "error" else f"Re-render failed: {detail}",
                           1.0)
            return
        shutil.rmtree(job.folder, ignore_errors=True)  # no half-made remix stays behind
        self.store.transition(job.id, (RUNNING,), status=status, error=error)
        progress.event(step, detail, progress.last)

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
        report = prune_stem_cache(Path(self.settings.data_dir) / "stem-cache",
                                  self.settings.stem_cache_ttl_hours * 3600,
                                  int(self.settings.stem_cache_max_mb * 1e6), now)
        if report.removed:
            logger.info("stem cache: removed %d entries, %.0f -> %.0f MB", len(report.removed),
                        report.bytes_before / 1e6, report.bytes_after / 1e6)


def free_disk_bytes(folder: Path) -> int:
    """Free space where `folder` is (or would be: its nearest existing parent)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def _waiting(ahead: int) -> str:
    return "Next in line" if ahead == 0 else f"{ahead} remix{'es' * (ahead != 1)} ahead of yours"


class JobProgress:
    """Turns stage fractions into `{step, detail, progress}` events, a few per second."""

    def __init__(self, store: JobStore, job_id: str, cancel: threading.Event, rerender=False,
                 text: Callable[[str], str] = str):
        self.store, self.job_id, self.cancelled, self.text = store, job_id, cancel, text
        self.last = store.progress_of(job_id) if not rerender else 0.0
        self._step: str | None = None
        self._detail: str | None = None
        self._at = 0.0
        self._starts, start = {}, 0.0
        for s in STAGES:
            self._starts[s.name] = start
            start += s.weight

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled()

    def stage(self, stage: str, fraction: float, detail: str = "") -> None:
        self.check()
        row = stage_named(stage)  # a stage missing from the table fails the job
        value = self._starts[stage] + row.weight * min(max(fraction, 0.0), 1.0)
        self.update(row.step, detail, value * FINISHING)

    def rerender_step(self, fraction: float, detail: str = "") -> None:
        self.check()
        self.update("rendering", detail or "Re-rendering", min(max(fraction, 0.0), 1.0) * 0.99)

    def update(self, step: str, detail: str, value: float) -> None:
        value = max(value, self.last)
        now = time.monotonic()
        if step != self._step or value - self.last >= 0.01 or (
                detail != self._detail and now - self._at >= 0.5):
            self.event(step, detail, value)

    def event(self, step: str, detail: str, value: float) -> None:
        self.last, self._step, self._at = max(value, self.last), step, time.monotonic()
        self._detail = detail
        self.store.add_event(self.job_id, step, self.text(detail), self.last)
