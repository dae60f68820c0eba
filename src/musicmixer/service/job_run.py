"""One remix job from start to end: progress events, cancel, the job's end state.

The same code runs in a worker thread (tests inject a fake `job_fn` that
shares memory with them) and in a worker process (`job_process.py`, the
default for `musicmixer serve`): it needs only the settings, a `JobStore`
(SQLite in WAL mode, safe across processes) and two flags with `is_set()`:
`cancel` (the owner asked, or the server is stopping) and `stopping`.
`job_fn(MixRequest, settings, progress) -> MixResult` defaults to
`musicmixer.pipeline.run_mix`. Cancelling makes the next progress call raise,
so a job stops between two steps of its stage and the pipeline's atomic
export leaves nothing half-written.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from musicmixer.config import Settings
from musicmixer.errors import MusicMixerError
from musicmixer.stages import STAGES, stage_named

from . import results
from .client_text import ClientText
from .jobs import CANCELLED, COMPLETE, FAILED, INTERRUPTED_REASON, PAUSED, QUEUED, RUNNING, JobStore
from .rerender import run_rerender

logger = logging.getLogger(__name__)

FINISHING = 0.97  # the rest: the player's copies of the stems


class Flag(Protocol):
    def is_set(self) -> bool: ...


class Cancelled(Exception):
    """Raised inside a job's progress callback once the job is cancelled."""


def default_job_fn(request, settings: Settings, progress):
    from musicmixer.pipeline import run_mix

    return run_mix(request, settings, progress)


def job_settings(settings: Settings, options: dict):
    """The server's settings with a job's own options (already validated)."""
    return settings.model_copy(update={k: v for k, v in options.items() if k != "rerender"})


class JobRun:
    """Runs one claimed (RUNNING) job and leaves it complete, failed, cancelled
    or, when the server stops mid-mix, queued again."""

    def __init__(self, settings: Settings, store: JobStore, job_fn: Callable, cancel: Flag,
                 stopping: Flag):
        self.settings, self.store, self.job_fn = settings, store, job_fn
        self.cancel, self.stopping = cancel, stopping

    def run(self, job) -> None:
        started = time.monotonic()
        try:
            self._run(job)
        finally:
            ended = self.store.get(job.id)
            if ended is not None and ended.status != RUNNING:
                # a re-render ends "complete" either way (the remix stays): counted apart
                self.store.observe_duration("rerender" if job.kind == "rerender" else
                                            {QUEUED: "paused"}.get(ended.status, ended.status),
                                            time.monotonic() - started)

    def _run(self, job) -> None:
        text = ClientText(job.names)  # no server paths, the user's file names
        progress = JobProgress(self.store, job.id, self.cancel,
                               rerender=job.kind == "rerender", text=text)
        settings = job_settings(self.settings, job.options)
        try:
            if job.kind == "rerender":
                result = run_rerender(job, settings, progress.rerender_step)
            else:
                progress.event(STAGES[0].step, "Starting", 0.0)
                result = self._mix(job, settings, progress)
        except Cancelled:
            if self.stopping.is_set() and job.kind != "rerender":
                self._pause(job, progress)  # shutting down: it continues after the restart
            elif self.stopping.is_set():
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
            self.store.transition(job.id, (RUNNING,), run=job.attempts, status=COMPLETE, result=result, error=None,
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
        if self.store.transition(job.id, (RUNNING,), run=job.attempts, status=QUEUED):
            progress.event("queue_position", PAUSED, progress.last)

    def _end(self, job, status, step, detail, error, progress) -> None:
        if job.kind == "rerender":  # the remix itself is still there and playable
            self.store.transition(job.id, (RUNNING,), run=job.attempts, status=COMPLETE, kind="mix",
                                  error=error)
            progress.event(step, detail if step != "error" else f"Re-render failed: {detail}",
                           1.0)
            return
        shutil.rmtree(job.folder, ignore_errors=True)  # no half-made remix stays behind
        self.store.transition(job.id, (RUNNING,), run=job.attempts, status=status, error=error)
        progress.event(step, detail, progress.last)


class JobProgress:
    """Turns stage fractions into `{step, detail, progress}` events, a few per second."""

    def __init__(self, store: JobStore, job_id: str, cancel: Flag, rerender=False,
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
