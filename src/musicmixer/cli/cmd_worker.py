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
    import logging
    import signal
    import threading

    from musicmixer.config import load_settings
    from musicmixer.service.app import store_path
    from musicmixer.service.job_process import DEFAULT_JOB_FN
    from musicmixer.service.jobs import JobStore
    from musicmixer.service.queue_worker import RemixWorker

    settings = load_settings()
    if not settings.queue_url:
        print("musicmixer worker: set QUEUE_URL (redis://host:port/0) first")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    worker = RemixWorker(settings, JobStore(store_path(settings)), max(args.concurrency, 1),
                         args.job_fn or DEFAULT_JOB_FN)
    worker.start()
    print(f"musicmixer worker {worker.id}: taking remixes", flush=True)
    done.wait()
    worker.stop()
    return 0
