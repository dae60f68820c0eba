"""`/metrics` in the Prometheus text format (version 0.0.4), written by hand:
five families do not need a client library.

Gauges are read from the job store when scraped (queue depth, jobs per
state, live workers), so every API node reports the same cluster-wide
numbers; the run-length histogram is counted in the store by the job
processes as runs end (`JobStore.observe_duration`).
"""

from __future__ import annotations

from .jobs import ACTIVE, DURATION_BUCKETS, FINISHED, JobStore

PREFIX = "musicmixer"


def _family(name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {PREFIX}_{name} {text}", f"# TYPE {PREFIX}_{name} {kind}"]
    lines += [f"{PREFIX}_{name}{labels} {value:g}" for labels, value in samples]
    return lines


def metrics_text(store: JobStore, workers: int, queue_messages: int | None) -> str:
    """The page. `workers`: job slots alive (embedded: worker threads; cluster:
    workers with a fresh heartbeat); `queue_messages`: the broker's own count."""
    lines = _family("queue_depth", "gauge", "Remixes waiting to start.",
                    [("", store.count("queued"))])
    if queue_messages is not None:
        lines += _family("queue_messages", "gauge", "Messages in the Redis queue (includes "
                         "redeliveries not yet taken).", [("", queue_messages)])
    lines += _family("jobs", "gauge", "Remix jobs by state.",
                     [(f'{{state="{s}"}}', store.count(s)) for s in (*ACTIVE, *FINISHED)])
    lines += _family("workers", "gauge", "Job workers alive.", [("", workers)])
    lines += [f"# HELP {PREFIX}_job_duration_seconds How long a job's run took, by outcome.",
              f"# TYPE {PREFIX}_job_duration_seconds histogram"]
    bounds = [f"{b:g}" for b in DURATION_BUCKETS] + ["+Inf"]
    for outcome, counts in sorted(store.duration_counts().items()):
        total = 0.0
        for le in bounds:
            total += counts.get(le, 0.0)
            lines.append(f'{PREFIX}_job_duration_seconds_bucket{{outcome="{outcome}",le="{le}"}} '
                         f"{total:g}")
        lines.append(f'{PREFIX}_job_duration_seconds_sum{{outcome="{outcome}"}} '
                     f"{counts.get('sum', 0.0):.3f}")
        lines.append(f'{PREFIX}_job_duration_seconds_count{{outcome="{outcome}"}} '
                     f"{counts.get('count', 0.0):g}")
    return "\n".join(lines) + "\n"
