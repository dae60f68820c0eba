"""Start a remix only when the memory it will need fits the budget.

A job's peak memory grows with its songs' length (`bench/memory.py`: whole-job
peak RSS against song minutes, both songs that long). `estimate_mb` turns the
two songs' lengths into megabytes with that measured line; `MemoryAdmission`
keeps the sum of the running jobs' estimates under `JOB_MEMORY_BUDGET_MB`, so a
long pair waits in the queue (still `queued`, its place announced) until the
jobs before it finish, instead of two long jobs together running the machine
out of memory. A job whose estimate alone is over the budget still runs, but
only when no other job does: refusing it forever would be worse.

The runner calls `acquire` before it marks a job running and `release` after;
re-renders (no separation, no analysis) are not counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import soundfile as sf

# bench/memory.py `--local truth` (ground-truth stems, so no model), with
# separation writing its stems segment by segment and the analysis reading
# them one at a time: whole-job peak RSS 575 / 1235 / 1297 / 1698 MB for pairs
# of 1 / 3 / 7 / 15-minute songs (3460 MB at 15 minutes before). The
# least-squares line is 772 MB + 66 MB per minute, but from 3 minutes on the
# peak is the analysis, which grows ~100 MB per minute (517 -> 1698 MB from 3 to
# 15); this line, raised to lie above every measured point, is what a job is
# counted as.
BASE_MB = 750.0
MB_PER_SONG_MINUTE = 100.0
# The local HTDemucs model and its buffers on top, during separation only (the
# sessions are released before analysis): `--local onnx` peaked at 1276 MB on
# the 1-minute pair and 1590 MB on the 3-minute pair (2432 MB before).
SEPARATION_MB = 800.0


def estimate_mb(song_minutes: Iterable[float]) -> float:
    """Peak memory of a job on songs this long (minutes each): the measured
    line at the longer song's length (one song's stems are held at a time)."""
    minutes = max(song_minutes, default=0.0)
    return BASE_MB + SEPARATION_MB + MB_PER_SONG_MINUTE * minutes


def song_minutes(path: Path, fallback: float) -> float:
    """A song's length from its header; `fallback` (the upload limit) when it
    cannot be read, so an unreadable length never under-counts."""
    try:
        info = sf.info(str(path))
        return info.frames / info.samplerate / 60 if info.samplerate > 0 else fallback
    except Exception:
        return fallback


class MemoryAdmission:
    """The running jobs' estimated memory, kept under a budget (thread-safe)."""

    def __init__(self, budget_mb: float):
        self.budget_mb = budget_mb
        self._cond = threading.Condition()
        self._held: list[float] = []
        self.waiting = 0  # jobs waiting for memory now

    @property
    def held_mb(self) -> float:
        with self._cond:
            return sum(self._held)

    def fits(self, mb: float) -> bool:
        """Would a job of `mb` start now? (Always when nothing runs.)"""
        with self._cond:
            return not self._held or sum(self._held) + mb <= self.budget_mb

    def acquire(self, mb: float, stop: threading.Event | None = None,
                poll_s: float = 0.5) -> bool:
        """Wait until `mb` fits, then hold it. False (nothing held) when `stop`
        is set first: the server is shutting down."""
        with self._cond:
            self.waiting += 1
            try:
                while self._held and sum(self._held) + mb > self.budget_mb:
                    if stop is not None and stop.is_set():
                        return False
                    self._cond.wait(poll_s)
            finally:
                self.waiting -= 1
            self._held.append(mb)
            return True

    def release(self, mb: float) -> None:
        """A job that held `mb` ended: the next waiting job may fit now."""
        with self._cond:
            self._held.remove(mb)
            self._cond.notify_all()
