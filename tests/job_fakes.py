"""Fake `job_fn`s named by import path, for the tests that run each job in a
process of its own: they cannot share memory with the test, so they talk
through files in the folder `MM_TEST_DIR` names (set before the app starts;
a job process inherits the environment)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from api_helpers import FakeMix

_mix = FakeMix()


def _dir() -> Path:
    return Path(os.environ["MM_TEST_DIR"])


def _job_id(request) -> str:
    return Path(request.output).parent.parent.name  # remixes/{id}/base/mix.wav


def recording_mix(request, settings, progress):
    """Writes the process id it ran in, then mixes."""
    (_dir() / f"pid-{_job_id(request)}").write_text(str(os.getpid()))
    return _mix(request, settings, progress)


def gated_mix(request, settings, progress):
    """Waits in its "separate" stage until the file `go` exists (cancel stops it)."""
    (_dir() / f"pid-{_job_id(request)}").write_text(str(os.getpid()))
    while not (_dir() / "go").exists():
        progress("separate", 0.5, "waiting for the test")
        time.sleep(0.02)
    return _mix(request, settings, progress)


def dies_once_mix(request, settings, progress):
    """Kills its own process the first time it runs for a job, as the kernel's
    out-of-memory killer would; mixes the second time."""
    mark = _dir() / f"died-{_job_id(request)}"
    progress("separate", 0.5, "separating")
    if not mark.exists():
        mark.write_text("1")
        os.kill(os.getpid(), signal.SIGKILL)
    return _mix(request, settings, progress)


def always_dies_mix(request, settings, progress):
    progress("separate", 0.5, "separating")
    os.kill(os.getpid(), signal.SIGKILL)


def cluster_mix(request, settings, progress):
    """For the cluster test: notes which worker runs it (`worker-{id}` holds the
    worker's pid, one line per start), waits for the file `go`, mixes, and adds
    a line to `done-{id}`, so a job mixed twice shows."""
    job = _job_id(request)
    with (_dir() / f"worker-{job}").open("a") as fh:
        fh.write(f"{os.getppid()}\n")
    while not (_dir() / "go").exists():
        progress("separate", 0.5, "waiting for the test")
        time.sleep(0.05)
    result = _mix(request, settings, progress)
    with (_dir() / f"done-{job}").open("a") as fh:
        fh.write("1\n")
    return result
