"""Cluster mode, the API's side: with `QUEUE_URL=redis://...` a job is a
message on a Redis queue (Dramatiq), taken by `musicmixer worker` processes
on any machine; this process runs no job at all.

Dramatiq because its Redis broker acknowledges late out of the box: a message
stays in the taking worker's set until the job ends, and a worker silent for
`QUEUE_HEARTBEAT_TIMEOUT_S` gets its messages put back for the others. Job
records and progress events live in the same Redis (`jobs_redis.py`), so any
API node answers for any job; a cancel is a flag on the record that the
job's worker polls. This process also runs the reaper (`reaper.py`) every
third of the heartbeat timeout: running jobs of silent workers go back on
the queue, jobs their live worker dropped fail with a sentence.
"""

from __future__ import annotations

import logging
import shutil
import time
from typing import Any

from musicmixer.config import Settings

from .jobs import COMPLETE, FAILED, QUEUED, RUNNING, JobStore
from .reaper import Reaper
from .runner import AtCapacity, Runner, _waiting
from .storage import NotShared

logger = logging.getLogger(__name__)

NAMESPACE = "musicmixer"
QUEUE_NAME = "remixes"
ACTOR_NAME = "run_remix"
QUEUE_DOWN = ("The job queue cannot be reached right now, so this remix was not taken. "
              "Please try again in a minute.")


class QueueDown(AtCapacity):
    """The queue's Redis does not answer (HTTP 503)."""


def make_broker(settings: Settings) -> Any:
    """The Redis broker. Maintenance (putting a dead worker's messages back)
    runs on 10% of an idle worker's polls, about one a second, instead of
    Dramatiq's 0.1%: a lost job waits seconds past the timeout, not minutes."""
    from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

    broker = RedisBroker(url=settings.queue_url, namespace=NAMESPACE,
                         heartbeat_timeout=int(settings.queue_heartbeat_timeout_s * 1000),
                         maintenance_chance=MAINTENANCE_SCALE // 10,
                         socket_timeout=5, socket_connect_timeout=2)
    broker.declare_queue(QUEUE_NAME)
    return broker


def send(broker: Any, job_id: str) -> None:
    from dramatiq import Message

    broker.enqueue(Message(queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(job_id,),
                           kwargs={}, options={}))


class QueueRunner(Runner):
    """A `Runner` whose jobs go to the queue; expiry sweeps stay here."""

    def __init__(self, settings: Settings, store: JobStore, *, sweep_interval_s: float = 30.0):
        super().__init__(settings, store, "unused:in-cluster-mode",
                         sweep_interval_s=sweep_interval_s)
        self.broker = make_broker(settings)

    def start(self) -> None:  # the workers resume their own jobs; no local workers here
        import threading

        try:
            self.files.join(self.store.claim_folder_token)
        except NotShared:
            raise
        except Exception as exc:  # Redis down at start: /ready says so until it is back
            logger.warning("could not check the shared folder (%s)", exc)

        for name, target in (("remix-sweeper", self._sweeper), ("remix-reaper", self._reaper)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def _reaper(self) -> None:
        timeout = self.settings.queue_heartbeat_timeout_s
        reaper = Reaper(self.store, lambda job_id: send(self.broker, job_id), timeout)
        while not self._stopping.wait(max(timeout / 3, 0.5)):
            try:
                reaper.reap()
            except Exception as exc:  # Redis restarting: the next pass catches up
                logger.warning("reaper pass failed (%s)", exc)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        for t in self._threads:
            t.join(timeout)

    def enqueue(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None:
            return
        try:
            send(self.broker, job_id)
        except Exception as exc:  # Redis down or restarting: refuse clearly, lose nothing
            logger.warning("remix %s: queue unreachable (%s)", job_id, exc)
            if job.kind == "rerender":
                self.store.transition(job_id, (QUEUED,), status=COMPLETE, kind="mix")
            elif self.store.transition(job_id, (QUEUED,), status=FAILED, error=QUEUE_DOWN):
                shutil.rmtree(job.folder, ignore_errors=True)
            raise QueueDown(QUEUE_DOWN) from None
        ahead = max(self.store.count(QUEUED, RUNNING) - 1, 0)
        self.store.add_event(job_id, "queue_position", _waiting(ahead),
                             0.0 if job.kind == "rerender" else self.store.progress_of(job_id))

    def cancel(self, job_id: str) -> str:
        status = super().cancel(job_id)
        if status == RUNNING:  # its worker polls the flag and stops the job
            self.store.update(job_id, cancel_requested=True)
        return status

    def not_ready(self) -> str | None:
        try:
            self.broker.client.ping()
        except Exception as exc:
            return f"The job queue does not answer ({type(exc).__name__})."
        try:
            self.store.count(QUEUED)
        except Exception as exc:
            return f"The job store does not answer ({type(exc).__name__})."
        return None

    def live_workers(self) -> int:
        since = time.time() - self.settings.queue_heartbeat_timeout_s
        return len(self.store.workers(seen_since=since))

    def queue_messages(self) -> int | None:
        return int(self.broker.client.llen(f"{NAMESPACE}:{QUEUE_NAME}"))

    def _announce_positions(self) -> None:  # positions change on workers' machines
        return None
