"""Server-Sent Events for a remix's progress.

A client first gets the last event (or, with `Last-Event-ID`, everything it
missed), then each new one as the job writes it, a comment line as a
heartbeat when nothing happens, and the stream ends after `complete`,
`error` or `cancelled`. Leaving never touches the job: the stream only reads
the store. `Last-Event-ID` is validated (`parse_last_event_id`): anything but
a plain number, or a number past the job's last event, counts as "no id", so
the client gets the last event again; once that is terminal the stream ends
rather than heartbeating forever. The store's "latest event" number is polled
(SQLite: a number in this process's memory, so an idle stream costs no query,
plus a re-read every `RESYNC_S` for what job processes wrote; Redis: one GET
of the job's counter, so a stream on any API node sees every worker's events
within `POLL_S`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from .jobs import Event, JobStore

TERMINAL = ("complete", "error", "cancelled")
MAX_ID_DIGITS = 18  # fits a 64-bit integer; longer is not an id we gave out
POLL_S = 0.1
RESYNC_S = 2.0  # query the store now and then even without news (another process wrote)


def format_event(event: Event) -> str:
    return f"id: {event.seq}\ndata: {json.dumps(event.payload())}\n\n"


def parse_last_event_id(header: str | None) -> int | None:
    """A Last-Event-ID we could have sent (1..2^63), or None."""
    value = (header or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > MAX_ID_DIGITS:
        return None
    return int(value)


async def progress_stream(store: JobStore, job_id: str, last_seen: int | None,
                          heartbeat_s: float) -> AsyncIterator[str]:
    """The SSE body. `last_seen`: the client's Last-Event-ID, if it sent one."""
    yield "retry: 2000\n\n"
    end = store.last_event(job_id)
    if last_seen is not None and (end is None or last_seen > end.seq):
        last_seen = None  # past the end: not an id of this job's stream
    if last_seen is not None and end is not None and last_seen == end.seq \
            and end.step in TERMINAL:
        return  # the client has seen the end already
    if last_seen is None:
        first = store.last_event(job_id)
        backlog = [first] if first else []
    else:
        backlog = store.events_after(job_id, last_seen)
    sent = last_seen or 0
    for event in backlog:
        yield format_event(event)
        sent = event.seq
        if event.step in TERMINAL and not store.events_after(job_id, sent):
            return
    beat_at = synced_at = time.monotonic()
    while True:
        await asyncio.sleep(POLL_S)
        now = time.monotonic()
        latest = store.latest_seq(job_id)
        if (latest is not None and latest > sent) or now - synced_at >= RESYNC_S:
            synced_at = now
            for event in store.events_after(job_id, sent):
                yield format_event(event)
                sent, beat_at = event.seq, now
                if event.step in TERMINAL and not store.events_after(job_id, sent):
                    return
        if now - beat_at >= heartbeat_s:
            beat_at = now
            yield f": heartbeat {int(time.time())}\n\n"
