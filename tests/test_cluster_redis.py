"""Cluster mode on a real `redis-server` (started here on a free loopback
port with a temporary folder, stopped at the end): the API in this process,
two `musicmixer worker` processes, six short jobs, and one worker SIGKILLed
mid-job. Every job completes exactly once, the killed job continues on the
other worker with its progress stream going on, and its files are whole; a
cancel reaches a job on a worker; a job whose worker raised fails with a
sentence; a worker whose DATA_DIR is not the shared folder refuses to start;
Redis unreachable is a 503, and a Redis restart mid-job loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import soundfile as sf
from api_helpers import free_port, open_api
from redis_helpers import RedisServer, redis_server

from musicmixer.service.jobs_redis import RedisJobStore

SRC = Path(__file__).resolve().parents[1] / "src"
TESTS = Path(__file__).resolve().parent


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path / "redis") as url:
        yield url


def _start_worker(data: Path, shared: Path, url: str,
                  job_fn: str = "job_fakes:cluster_mix") -> subprocess.Popen:
    env = {**os.environ, "QUEUE_URL": url, "DATA_DIR": str(data), "MM_TEST_DIR": str(shared),
           "QUEUE_HEARTBEAT_TIMEOUT_S": "3", "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}
    return subprocess.Popen([sys.executable, "-m", "musicmixer", "worker", "--concurrency", "1",
                             "--job-fn", job_fn], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def _workers(tmp_path: Path, url: str, monkeypatch, n: int = 1,
             job_fn: str = "job_fakes:cluster_mix") -> Iterator[tuple[Path, Path, list]]:
    """`n` worker processes on `url`, with the data folder and the fakes' shared
    folder they use; stopped at the end whatever happened."""
    data, shared = tmp_path / "data", tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("MM_TEST_DIR", str(shared))
    procs = [_start_worker(data, shared, url, job_fn) for _ in range(n)]
    try:
        yield data, shared, procs
    finally:
        for w in procs:
            if w.poll() is None:
                w.terminate()
                w.wait(30)


def _wait_for(check, what: str, tries: int = 1200):
    for _ in range(tries):
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_six_jobs_two_workers_one_killed_all_complete_once(tmp_path, redis_url, monkeypatch):
    with _workers(tmp_path, redis_url, monkeypatch, n=2) as (data, shared, workers), \
            open_api("app", data, queue_url=redis_url, queue_heartbeat_timeout_s=3.0) as api:
        assert api.client.get("/ready").json() == {"status": "ready"}
        ids = [api.post().json()["session_id"] for _ in range(6)]
        # both workers hold one job each, waiting on the gate
        started = _wait_for(lambda: [i for i in ids if (shared / f"worker-{i}").exists()]
                            if len([i for i in ids if (shared / f"worker-{i}").exists()]) == 2
                            else None, "two jobs to start")
        victim_job = started[0]
        victim = int((shared / f"worker-{victim_job}").read_text().split()[0])
        killed = next(w for w in workers if w.pid == victim)
        os.kill(victim, signal.SIGKILL)
        killed.wait(10)
        (shared / "go").write_text("go")
        for sid in ids:
            status = api.wait(sid, tries=2400)
            assert status["status"] == "complete", (sid, status)
        for sid in ids:  # mixed exactly once each
            assert (shared / f"done-{sid}").read_text() == "1\n", sid
        runs = (shared / f"worker-{victim_job}").read_text().split()
        assert len(runs) == 2 and runs[0] != runs[1]  # continued on the other worker
        store = RedisJobStore(redis_url)
        events = store.events_after(victim_job, 0)
        assert any("stopped unexpectedly" in e.detail for e in events)
        assert events[-1].step == "complete"
        progress = [e.progress for e in events]
        assert progress == sorted(progress)
        audio = api.client.get(f"/api/remix/{victim_job}/audio")
        assert audio.status_code == 200
        base = data / "web" / "remixes" / victim_job / "base"
        # one finished export, nothing left from the killed run
        assert sorted(p.name for p in base.iterdir()) == ["plan.json", "remix.mp3",
                                                          "report.json", "stems"]
        for wav in (base / "stems").glob("*.wav"):
            assert sf.info(str(wav)).frames > 0  # whole files, not half-written ones
        live = api.client.get("/health").json()["cluster_workers"]
        assert len(live) == 1  # the survivor beats; the killed one fell silent
        assert not (data / "web" / "jobs.sqlite3").exists()  # records live in Redis


def test_cancel_reaches_a_job_on_a_worker(tmp_path, redis_url, monkeypatch):
    with _workers(tmp_path, redis_url, monkeypatch) as (data, shared, _), \
            open_api("app", data, queue_url=redis_url, queue_heartbeat_timeout_s=3.0) as api:
        sid = api.post().json()["session_id"]
        _wait_for(lambda: (shared / f"worker-{sid}").exists(), "the job to start")
        assert api.cancel(sid).status_code == 200
        status = api.wait(sid, tries=600)
        assert status["status"] == "cancelled" and status["step"] == "cancelled"
        assert sid not in api.remix_dirs()
        assert not (shared / f"done-{sid}").exists()


def test_a_job_whose_worker_raises_fails_with_a_sentence(tmp_path, redis_url, monkeypatch):
    """An exception is not a lost worker: running it again would raise again."""
    raising = "job_fakes:no_such_mix"
    with _workers(tmp_path, redis_url, monkeypatch, job_fn=raising) as (data, _, _), \
            open_api("app", data, queue_url=redis_url, queue_heartbeat_timeout_s=3.0) as api:
        sid = api.post().json()["session_id"]
        status = api.wait(sid, tries=1200)
        assert status["status"] == "failed", status
        assert "could not recover" in status["error"] and status["step"] == "error"
        job = RedisJobStore(redis_url).get(sid)
        assert job is not None and job.attempts == 1  # failed, not redelivered
        assert sid not in api.remix_dirs()


def test_submit_while_the_queue_is_down_is_a_clear_503(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with open_api("app", tmp_path / "data", queue_url=url) as api:
        r = api.post()
        assert r.status_code == 503 and "job queue cannot be reached" in r.json()["detail"]
        assert api.remix_dirs() == set()
        r = api.client.get("/ready")
        assert r.status_code == 503 and "queue" in r.json()["detail"]


def test_a_worker_whose_data_dir_is_not_the_shared_folder_refuses_to_start(tmp_path, redis_url):
    """A worker whose mount failed would write into an empty local folder and fail
    every job it takes ("songs missing"): it stops at once with a sentence instead."""
    with open_api("app", tmp_path / "data", queue_url=redis_url):  # the first node marks it
        assert (tmp_path / "data" / ".musicmixer-shared-folder").is_file()
        env = {**os.environ, "QUEUE_URL": redis_url, "DATA_DIR": str(tmp_path / "elsewhere"),
               "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}
        done = subprocess.run([sys.executable, "-m", "musicmixer", "worker"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert "is not the folder the other nodes of this cluster use" in done.stdout


def test_a_redis_restart_mid_job_loses_nothing_accepted(tmp_path, monkeypatch):
    """Redis stops while a job runs: the API keeps answering, with a 503 for a new
    remix and for the job's records; once Redis is back (its append-only file
    kept the records and the queue) the job that was running completes, once."""
    server = RedisServer(tmp_path / "redis", persistent=True)
    server.start()
    try:
        with _workers(tmp_path, server.url, monkeypatch) as (data, shared, _), \
                open_api("app", data, queue_url=server.url, queue_heartbeat_timeout_s=3.0) as api:
            sid = api.post().json()["session_id"]
            _wait_for(lambda: (shared / f"worker-{sid}").exists(), "the job to start")
            server.stop()
            r = api.post()
            assert r.status_code == 503 and "job queue cannot be reached" in r.json()["detail"]
            assert api.client.get(f"/api/remix/{sid}/status").status_code == 503
            assert api.client.get("/ready").status_code == 503
            assert api.client.get("/api/stages").status_code == 200  # the API itself answers
            (shared / "go").write_text("go")  # the job goes on and writes progress: it waits
            time.sleep(1.0)  # for Redis instead of failing
            server.start()
            _wait_for(lambda: api.client.get("/ready").status_code == 200, "Redis to be back")
            status = api.wait(sid, tries=2400)
            assert status["status"] == "complete", status
            assert (shared / f"done-{sid}").read_text() == "1\n"
            assert len((shared / f"worker-{sid}").read_text().split()) == 1  # never restarted
            assert len(api.remix_dirs()) == 1  # nothing kept of the refused remix
    finally:
        server.stop()
