"""Each remix in a process of its own, so the web process never decodes or
renders audio and a job's memory (several GB for a 3-minute mix) goes back to
the system the moment the job ends.

A process per job, started with `spawn` (a clean interpreter: forking a
server that holds threads and sockets can copy a held lock), is simpler than
a recycled pool and costs an interpreter start per job of minutes (3.1 s
with the pipeline's imports, measured on the 2-core dev box under load). The child opens its own `JobStore` on
the same SQLite file (WAL, short transactions), runs `JobRun`, and stops
between two progress steps when the server sets its cancel or stop flag
(`multiprocessing` events, shared with the child). `job_fn` travels as an
import path ("module:attr"), not as a pickled callable.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from musicmixer.config import Settings

from .job_log import configure_logging
from .job_run import Flag, JobRun
from .job_stores import open_job_store
from .jobs import RUNNING

DEFAULT_JOB_FN = "musicmixer.service.job_run:default_job_fn"
_CTX = mp.get_context("spawn")


def resolve(path: str) -> Callable:
    """`"package.module:attr"` -> the object it names."""
    module, _, attr = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in attr.split("."):
        found = getattr(found, part)
    if not callable(found):
        raise TypeError(f"{path} is not callable")
    return found


def new_flag():
    """An event that a job process sees set."""
    return _CTX.Event()


def start_job(settings: Settings, store: str, job_id: str, job_fn: str, cancel: Flag,
              stopping: Flag) -> BaseProcess:
    proc = _CTX.Process(target=_child, args=(settings, store, job_id, job_fn, cancel,
                                             stopping, os.getpid()), name=f"remix-{job_id[:8]}")
    proc.start()
    return proc


def _child(settings: Settings, store_at: str, job_id: str, job_fn: str, cancel: Flag,
           stopping: Flag, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server; it sets `stopping`
    _exit_with_parent(parent)
    configure_logging(settings.log_format, job_id=job_id)
    store = open_job_store(store_at)
    job = store.get(job_id)
    if job is None or job.status != RUNNING:  # the server claims a job before it starts us
        return
    JobRun(settings, store, resolve(job_fn), cancel, stopping).run(job)


def _exit_with_parent(parent: int) -> None:
    """A job whose server or worker died stops at once, so a job is never
    running twice (the restarted server, or another worker, runs it again).
    Linux: the kernel kills us with our parent (PR_SET_PDEATHSIG); elsewhere a
    thread notices within a second. `parent` is the pid the parent gave us,
    not `os.getppid()` read here: a spawned child takes seconds to import on a
    busy machine, and a parent killed meanwhile would have left us adopted,
    with our new parent's pid looking like the right one (found by
    `bench/cluster.py`: the killed worker's job ran on to the end as an
    orphan, beside its redelivered run)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the line above, or while we started
        os._exit(3)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
