"""Both job stores behave alike (SQLite, the embedded default; Redis, cluster
mode, against a real `redis-server`), and the reaper ends or redelivers the
running jobs of silent or broken workers."""

from __future__ import annotations

import time

import pytest
from redis_helpers import redis_server

from musicmixer.service import reaper
from musicmixer.service.job_stores import open_job_store
from musicmixer.service.jobs import MAX_STARTS, QUEUED, RUNNING
from musicmixer.service.jobs_redis import RedisJobStore
from musicmixer.service.jobs_sqlite import SqliteJobStore
from musicmixer.service.prometheus import metrics_text


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path, redis_url):
    if request.param == "sqlite":
        return SqliteJobStore(tmp_path / "jobs.sqlite3")
    store = RedisJobStore(redis_url, heartbeat_ttl_s=1.0)
    store.db.flushdb()
    return store


def test_records_round_trip_and_transitions_are_conditional(store, tmp_path):
    job = store.create("j1", "a prompt", {"target_lufs": -14}, tmp_path / "j1", 3600,
                       owner_hash="h", names={"song_a": "a.wav"})
    got = store.get("j1")
    assert got == job and got.folder == tmp_path / "j1" and got.options == {"target_lufs": -14}
    assert store.get("nope") is None
    assert not store.transition("j1", (RUNNING,), status="complete")
    assert store.transition("j1", (QUEUED,), status=RUNNING, result={"mix": "base/remix.mp3"})
    got = store.get("j1")
    assert got.status == RUNNING and got.result == {"mix": "base/remix.mp3"}
    assert store.count(QUEUED) == 0 and store.count(RUNNING) == 1
    store.update("j1", cancel_requested=True, error=None)
    assert store.get("j1").cancel_requested and store.get("j1").error is None
    assert [j.id for j in store.with_status(RUNNING, QUEUED)] == ["j1"]


def test_a_run_that_outlived_its_claim_cannot_finish_the_job(store, tmp_path):
    """A run started on claim 1 whose worker was declared gone (the job was
    released and claimed again) writes nothing: only the current start ends it."""
    store.create("j1", "p", {}, tmp_path, 3600)
    assert store.claim(store.get("j1"), "w1")
    first = store.get("j1")
    assert store.release(first) and store.claim(store.get("j1"), "w2")
    assert not store.transition("j1", (RUNNING,), run=first.attempts, status="complete")
    assert store.get("j1").status == RUNNING
    assert store.transition("j1", (RUNNING,), run=first.attempts + 1, status="complete")
    assert store.get("j1").status == "complete"


def test_a_claim_wins_once_and_counts_a_start(store, tmp_path):
    store.create("j1", "p", {}, tmp_path, 3600)
    seen = store.get("j1")
    assert store.claim(seen, "w1")
    assert not store.claim(seen, "w2")  # the second delivery of the same read loses
    running = store.get("j1")
    assert running.worker == "w1" and running.attempts == 1 and running.status == RUNNING
    assert store.release(running)
    assert not store.release(running)  # already queued
    again = store.get("j1")
    assert again.status == QUEUED and again.attempts == 1
    assert store.claim(again, "w2") and store.get("j1").attempts == 2
    assert not store.release(running)  # read before the second claim: too old


def test_events_are_numbered_in_order(store, tmp_path):
    store.create("j1", "p", {}, tmp_path, 3600)
    assert store.last_event("j1") is None and store.latest_seq("j1") is None
    for i in range(5):
        store.add_event("j1", "separating", f"step {i}", i / 10)
    assert [e.seq for e in store.events_after("j1", 0)] == [1, 2, 3, 4, 5]
    assert [e.detail for e in store.events_after("j1", 3)] == ["step 3", "step 4"]
    assert store.last_event("j1").seq == 5 and store.latest_seq("j1") == 5
    assert store.progress_of("j1") == pytest.approx(0.4)


def test_expiry_and_forgetting(store, tmp_path):
    store.create("old", "p", {}, tmp_path, 10)
    store.create("new", "p", {}, tmp_path, 3600)
    store.add_event("old", "queue_position", "x", 0.0)
    now = time.time()
    assert [j.id for j in store.due_for_expiry(now + 60)] == ["old"]
    assert store.transition("old", (QUEUED,), status="expired", expires_at=now - 100)
    assert store.due_for_expiry(now + 60) == []
    assert store.forget(before=now - 200) == 0
    assert store.forget(before=now) == 1
    assert store.get("old") is None and store.events_after("old", 0) == []
    assert store.get("new") is not None


def test_heartbeats_and_run_lengths(store):
    store.heartbeat("w1", {"busy": ["j1"]})
    info, at = store.workers()["w1"]
    assert info == {"busy": ["j1"]} and abs(at - time.time()) < 5
    assert store.workers(seen_since=time.time() + 10) == {}
    store.observe_duration("complete", 3.0)
    store.observe_duration("complete", 100.0)
    store.observe_duration("failed", 7200.0)
    counts = store.duration_counts()
    assert counts["complete"] == {"5": 1.0, "120": 1.0, "sum": 103.0, "count": 2.0}
    assert counts["failed"]["+Inf"] == 1.0
    text = metrics_text(store, workers=1, queue_messages=None)
    assert 'musicmixer_job_duration_seconds_bucket{outcome="complete",le="60"} 1' in text
    assert 'musicmixer_job_duration_seconds_bucket{outcome="complete",le="+Inf"} 2' in text
    assert 'musicmixer_jobs{state="queued"} 0' in text and "musicmixer_workers 1" in text


def test_a_redis_heartbeat_expires_by_itself(redis_url):
    store = RedisJobStore(redis_url, heartbeat_ttl_s=1.0)
    store.heartbeat("w-gone", {})
    assert "w-gone" in store.workers()
    time.sleep(1.5)
    assert "w-gone" not in store.workers()


def test_a_job_process_opens_the_same_store(store):
    assert type(open_job_store(store.locator)) is type(store)


def _running(store, tmp_path, job_id, worker, attempts=1):
    (tmp_path / job_id).mkdir()
    store.create(job_id, "p", {}, tmp_path / job_id, 3600)
    for _ in range(attempts):
        job = store.get(job_id)
        assert store.claim(job, worker)
        if _ < attempts - 1:
            store.release(store.get(job_id))
    return store.get(job_id)


def test_the_reaper_redelivers_ends_poison_and_fails_dropped_jobs(store, tmp_path, monkeypatch):
    monkeypatch.setattr(reaper, "ORPHAN_GRACE_S", 0.0)
    sent: list[str] = []
    _running(store, tmp_path, "silent", "dead-worker")
    _running(store, tmp_path, "poison", "dead-worker", attempts=MAX_STARTS)
    _running(store, tmp_path, "dropped", "live-worker")
    _running(store, tmp_path, "busy", "live-worker")
    time.sleep(0.6)  # the claims are older than the timeout below
    watching = reaper.Reaper(store, sent.append, heartbeat_timeout_s=0.5, confirm_s=3600)
    assert watching.reap() == {"redelivered": [], "failed": []}  # silent, but not for long
    assert store.count(RUNNING) == 4
    store.heartbeat("live-worker", {"busy": ["busy"]})
    out = reaper.Reaper(store, sent.append, heartbeat_timeout_s=0.5, confirm_s=0).reap()
    assert out == {"redelivered": ["silent"], "failed": ["dropped"]}  # dropped: failed at once
    assert sent == ["silent"]
    silent = store.get("silent")
    assert silent.status == QUEUED and "stopped unexpectedly" in store.last_event("silent").detail
    poison = store.get("poison")
    assert poison.status == "failed" and f"stopped {MAX_STARTS} times" in poison.error
    assert not (tmp_path / "poison").exists()
    dropped = store.get("dropped")
    assert dropped.status == "failed" and "could not recover" in dropped.error
    assert store.get("busy").status == RUNNING
    again = reaper.Reaper(store, sent.append, heartbeat_timeout_s=0.5, confirm_s=0)
    assert again.reap() == {"redelivered": [], "failed": []}
