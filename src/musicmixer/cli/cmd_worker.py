"""`musicmixer worker`: cluster mode's job taker (see docs/deploy.md)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker", help="take remix jobs from the queue (cluster mode)",
        description="Take remix jobs from the Redis queue QUEUE_URL names, each in a process "
        "of its own. DATA_DIR must be the folder the API and every worker share.")
    parser.add_argument("--concurrency", type=int, default=1, help="jobs run at once (default 1)")
    parser.add_argument("--job-fn", default=None, help=argparse.SUPPRESS)  # tests: a fake mix
    parser.set_defaults(func=_worker)


def _worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from musicmixer.config import load_settings
    from musicmixer.service.job_log import configure_logging
    from musicmixer.service.job_process import DEFAULT_JOB_FN
    from musicmixer.service.job_stores import store_for
    from musicmixer.service.queue_worker import RemixWorker
    from musicmixer.service.storage import NotShared

    settings = load_settings()
    if not settings.queue_url:
        print("musicmixer worker: set QUEUE_URL (redis://host:port/0) first")
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    worker = RemixWorker(settings, store_for(settings, worker=True), max(args.concurrency, 1),
                         args.job_fn or DEFAULT_JOB_FN)
    configure_logging(settings.log_format, worker=worker.id)
    try:
        worker.start()
    except NotShared as exc:
        print(f"musicmixer worker: {exc}")
        return 2
    print(f"musicmixer worker {worker.id}: taking remixes", flush=True)
    done.wait()
    worker.stop()
    return 0
