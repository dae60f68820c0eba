"""Jobs out of the web process, measured. For 1 and then 2 worker processes:
jobs per minute; `/status` and `/audio` range-read requests per second (and
p95 latency) while 2 jobs render; the API process's memory meanwhile. With 2
workers, one is SIGKILLed mid-job: the time from the kill to the job's
redelivery (claimed by the other worker) and to its completion.

`--mode cluster` (the default): a real `redis-server` (free loopback port,
temporary folder), the API as `musicmixer serve` with `QUEUE_URL`, and
`musicmixer worker` processes, all on one shared data folder. `--mode
embedded`: `musicmixer serve`'s own worker processes (no kill measurement).
Each job is the real pipeline on two generated 8-bar songs, their
ground-truth stems standing in for separation (`bench/cluster_job.py`).
Prints one JSON object.

    python bench/cluster.py [--mode cluster|embedded] [--jobs 3] [--heartbeat-timeout 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from api_helpers import free_port, wait_for_health  # noqa: E402

PATH = os.pathsep.join(str(ROOT / p) for p in ("src", "tests", "bench"))
JOB_FN = "cluster_job:truth_mix"
EMBEDDED = """
import sys, uvicorn
sys.path[:0] = [{tests!r}, {bench!r}]
from musicmixer.config import load_settings
from musicmixer.service import create_app
settings = load_settings(data_dir={data!r}, stem_backend="modal", vocal_sub_separation=True,
                         web_workers={workers}, web_queue_depth=50, web_rate_limit=0,
                         min_free_disk_mb=0)
app = create_app(settings, job_fn={job_fn!r})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def load(client, seconds: float, request) -> dict:
    times, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        request(client)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"per_s": round(len(times) / (time.perf_counter() - t0), 1),
            "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1)}


def _proc(stack: ExitStack, args: list[str], env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()

    stack.callback(stop)
    return proc


def start_nodes(stack: ExitStack, mode: str, workers: int, data: str, port: int,
                heartbeat_timeout_s: float):
    """(API process, worker processes, redis URL or None)."""
    if mode == "embedded":
        script = EMBEDDED.format(tests=str(ROOT / "tests"), bench=str(ROOT / "bench"),
                                 data=data, port=port, workers=workers, job_fn=JOB_FN)
        return _proc(stack, [sys.executable, "-c", script], dict(os.environ)), [], None
    redis_port = free_port()
    folder = Path(data) / "redis"
    folder.mkdir(parents=True)
    _proc(stack, ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir",
                  str(folder), "--save", "", "--appendonly", "no"], dict(os.environ))
    url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**os.environ, "QUEUE_URL": url, "DATA_DIR": data, "PYTHONPATH": PATH,
           "QUEUE_HEARTBEAT_TIMEOUT_S": str(heartbeat_timeout_s), "WEB_RATE_LIMIT": "0",
           "MIN_FREE_DISK_MB": "0", "WEB_QUEUE_DEPTH": "50", "STEM_BACKEND": "modal",
           "VOCAL_SUB_SEPARATION": "true"}
    time.sleep(0.5)  # redis-server binds in milliseconds; the API retries /ready below anyway
    api = _proc(stack, [sys.executable, "-m", "musicmixer", "serve", "--host", "127.0.0.1",
                        "--port", str(port)], env)
    procs = [_proc(stack, [sys.executable, "-m", "musicmixer", "worker", "--job-fn", JOB_FN],
                   env) for _ in range(workers)]
    return api, procs, url


def run(mode: str, workers: int, jobs: int, songs: dict, heartbeat_timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="mm-bench-cluster-") as data, ExitStack() as stack:
        port = free_port()
        api, worker_procs, url = start_nodes(stack, mode, workers, data, port,
                                             heartbeat_timeout_s)
        out: dict = {"workers": workers}
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            wait_for_health(c, tries=1200)
            while url and len(c.get("/health").json()["cluster_workers"] or []) < workers:
                time.sleep(0.2)

            def submit() -> str:
                files = {k: (n, v, "application/octet-stream") for k, (n, v) in songs.items()}
                return c.post("/api/remix", files=files,
                              data={"prompt": "her voice over their groove"}).json()["session_id"]

            def status(i: str) -> str:
                return c.get(f"/api/remix/{i}/status").json()["status"]

            def wait(ids):
                while any(status(i) in ("queued", "running") for i in ids):
                    time.sleep(0.2)

            warm = submit()  # a finished remix to read ranges from; warms the song cache
            wait([warm])
            size = len(c.get(f"/api/remix/{warm}/audio").content)
            rss = [rss_mb(api.pid)]
            stop = threading.Event()

            def sample():
                while not stop.wait(0.2):
                    rss.append(rss_mb(api.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t0 = time.perf_counter()
            ids = [submit() for _ in range(jobs)]
            while c.get("/health").json()["running"] < min(workers, jobs):
                time.sleep(0.1)
            out["status"] = load(c, 3.0, lambda c: c.get(f"/api/remix/{ids[0]}/status"))
            offsets = iter(range(0, 10**9, 65536))

            def ranged(c):
                start = next(offsets) % max(size - 65536, 1)
                c.get(f"/api/remix/{warm}/audio", headers={"Range": f"bytes={start}-{start + 65535}"})

            out["range_reads"] = load(c, 3.0, ranged)
            out["running_while_measured"] = c.get("/health").json()["running"]
            wait(ids)
            elapsed = time.perf_counter() - t0
            stop.set()
            sampler.join()
            states = [status(i) for i in ids]
            out.update(jobs=jobs, complete=states.count("complete"), seconds=round(elapsed, 1),
                       jobs_per_min=round(jobs / elapsed * 60, 2),
                       api_rss_mb_max=max(rss), api_rss_mb_start=rss[0])
            if url and workers >= 2:
                out["worker_kill"] = kill_one(url, worker_procs, submit, status)
        return out


def kill_one(url: str, worker_procs: list[subprocess.Popen], submit, status) -> dict:
    """SIGKILL the worker running a fresh job; time its redelivery and its end."""
    from musicmixer.service.jobs_redis import RedisJobStore

    store = RedisJobStore(url)
    sid = submit()
    while (job := store.get(sid)) is None or job.status != "running" or not job.worker:
        time.sleep(0.05)
    time.sleep(2.0)  # mid-job, not at its first step
    pid = int(job.worker.split(":")[1])
    victim = next(p for p in worker_procs if p.pid == pid)
    t_kill = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    victim.wait(10)
    while (job := store.get(sid)) is None or job.attempts < 2 or job.status != "running":
        if job is not None and job.status in ("failed", "complete"):
            break
        time.sleep(0.05)
    t_redelivered = time.perf_counter()
    while status(sid) in ("queued", "running"):
        time.sleep(0.1)
    return {"kill_to_redelivery_s": round(t_redelivered - t_kill, 2),
            "kill_to_complete_s": round(time.perf_counter() - t_kill, 2),
            "final_status": status(sid), "starts": store.get(sid).attempts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("cluster", "embedded"), default="cluster")
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--heartbeat-timeout", type=float, default=5.0,
                        help="QUEUE_HEARTBEAT_TIMEOUT_S for the run (default 60 in production)")
    args = parser.parse_args()
    from pipeline_helpers import short_pair

    a, b = short_pair(bars=8)
    songs = {"song_a": ("a.wav", a.mix_path.read_bytes()),
             "song_b": ("b.wav", b.mix_path.read_bytes())}
    one = run(args.mode, 1, args.jobs, songs, args.heartbeat_timeout)
    two = run(args.mode, 2, args.jobs, songs, args.heartbeat_timeout)
    print(json.dumps({
        "mode": args.mode, "cpu_cores": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
        "heartbeat_timeout_s": args.heartbeat_timeout if args.mode == "cluster" else None,
        "one_worker": one, "two_workers": two,
        "speedup_2_vs_1": round(two["jobs_per_min"] / one["jobs_per_min"], 2),
        "note": "each job is CPU-bound; on 2 cores shared with other work the ratio is bounded "
                "by the free cores, not by the queue",
    }, indent=2))


if __name__ == "__main__":
    main()
