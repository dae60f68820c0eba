"""Cluster mode across nodes: two API processes (`musicmixer serve`) and two
`musicmixer worker` processes against one real `redis-server`, sharing one
data folder (as every machine would mount it). A remix submitted on API 1 is
followed on API 2's progress stream while the worker running it is
SIGKILLed: the stream carries on through the redelivery to `complete`, with
its numbers rising, and either node answers for the job. No node keeps a
SQLite file: records and events live in Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest
from api_helpers import Api, free_port
from redis_helpers import redis_server

SRC = Path(__file__).resolve().parents[1] / "src"
TESTS = Path(__file__).resolve().parent


def _env(data: Path, shared: Path, url: str) -> dict[str, str]:
    return {**os.environ, "QUEUE_URL": url, "DATA_DIR": str(data), "MM_TEST_DIR": str(shared),
            "QUEUE_HEARTBEAT_TIMEOUT_S": "3", "WEB_RATE_LIMIT": "0", "MIN_FREE_DISK_MB": "0",
            "STEM_BACKEND": "modal", "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}"}


@pytest.fixture
def cluster(tmp_path):
    data, shared = tmp_path / "data", tmp_path / "shared"
    shared.mkdir()
    procs: list[subprocess.Popen] = []
    with redis_server(tmp_path / "redis") as url:
        env = _env(data, shared, url)
        ports = [free_port(), free_port()]
        for port in ports:
            procs.append(subprocess.Popen([sys.executable, "-m", "musicmixer", "serve", "--host",
                                           "127.0.0.1", "--port", str(port)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        workers = [subprocess.Popen([sys.executable, "-m", "musicmixer", "worker",
                                     "--job-fn", "job_fakes:cluster_mix"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(2)]
        procs += workers
        clients = [httpx2.Client(base_url=f"http://127.0.0.1:{p}", timeout=30) for p in ports]
        try:
            for c in clients:
                _until(lambda c=c: _answers(c), "an API node to answer")
            yield [Api(c, data, "server") for c in clients], workers, shared, data
        finally:
            for c in clients:
                c.close()
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(30)
                    except subprocess.TimeoutExpired:  # never leave a node behind
                        p.kill()
                        p.wait(10)


def _answers(client) -> bool:
    try:
        return client.get("/ready").status_code == 200
    except httpx2.TransportError:
        return False


def _until(check, what: str, seconds: float = 120.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _follow(client, sid: str, seen: list[dict]) -> None:
    """Read the progress stream into `seen` as events arrive, until it ends."""
    with client.stream("GET", f"/api/remix/{sid}/progress", timeout=60) as resp:
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if line.startswith("id: "):
                event = {"id": int(line[4:])}
            elif line.startswith("data: "):
                seen.append(event | json.loads(line[6:]))


def test_progress_followed_on_another_api_node_through_a_worker_kill(cluster):
    (api1, api2), workers, shared, data = cluster
    _until(lambda: len(api2.client.get("/health").json()["cluster_workers"]) == 2,
           "both workers' heartbeats")
    sid = api1.post().json()["session_id"]
    seen: list[dict] = []
    follower = threading.Thread(target=_follow, args=(api2.client, sid, seen), daemon=True)
    follower.start()  # API 2 never saw the upload: it reads the job and its events from Redis
    marker = shared / f"worker-{sid}"
    _until(marker.exists, "the job to start on a worker")
    victim = int(marker.read_text().split()[0])
    killed = next(w for w in workers if w.pid == victim)
    _until(lambda: any(e.get("detail") == "waiting for the test" for e in seen),
           "API 2's stream to show the job running")
    os.kill(victim, signal.SIGKILL)
    killed.wait(10)
    _until(lambda: len(marker.read_text().split()) == 2, "the job's redelivery")
    (shared / "go").write_text("go")
    follower.join(120)
    assert not follower.is_alive()
    assert seen[-1]["step"] == "complete"
    assert any("stopped unexpectedly" in e["detail"] for e in seen)  # the redelivery, live
    ids = [e["id"] for e in seen]
    assert ids == sorted(set(ids))  # no event twice, none out of order
    assert [e["progress"] for e in seen] == sorted(e["progress"] for e in seen)
    runs = marker.read_text().split()
    assert runs[0] != runs[1]  # continued on the other worker
    assert (shared / f"done-{sid}").read_text() == "1\n"  # mixed exactly once
    for api in (api1, api2):  # either node answers for it, and serves its file
        assert api.client.get(f"/api/remix/{sid}/status").json()["status"] == "complete"
        assert api.client.get(f"/api/remix/{sid}/audio",
                              headers={"Range": "bytes=0-99"}).status_code == 206
    counted = 'musicmixer_job_duration_seconds_count{outcome="complete"} 1'
    # a run is counted (by its job process) just after its job reads complete

    def scraped() -> str | None:
        text = api2.client.get("/metrics").text
        return text if counted in text else None

    metrics = _until(scraped, "the run to be counted", seconds=10)
    assert 'musicmixer_jobs{state="complete"} 1' in metrics
    assert "musicmixer_workers 1" in metrics  # the killed worker's heartbeat key expired
    assert not list(data.rglob("*.sqlite3"))
