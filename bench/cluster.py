"""Jobs out of the web process: jobs per minute with 1 and 2 worker processes,
`/status` and `/audio` range-read requests per second (and p95 latency) while
2 jobs render, and the API process's memory meanwhile. The server is a real
`uvicorn` on a free loopback port in embedded mode (each job in a process of
its own); each job is the real pipeline on two generated 8-bar songs with
ground-truth stems standing in for separation (`bench/cluster_job.py`).
Prints one JSON object.

    python bench/cluster.py [--jobs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from api_helpers import free_port, wait_for_health  # noqa: E402

SERVER = """
import sys, uvicorn
sys.path[:0] = [{tests!r}, {bench!r}]
from musicmixer.config import load_settings
from musicmixer.service import create_app
settings = load_settings(data_dir={data!r}, stem_backend="modal", vocal_sub_separation=True,
                         web_workers={workers}, web_queue_depth=50, web_rate_limit=0,
                         min_free_disk_mb=0)
app = create_app(settings, job_fn="cluster_job:truth_mix")
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


def run(workers: int, jobs: int, songs: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="mm-bench-cluster-") as data:
        port = free_port()
        script = SERVER.format(tests=str(ROOT / "tests"), bench=str(ROOT / "bench"), data=data,
                               port=port, workers=workers)
        proc = subprocess.Popen([sys.executable, "-c", script])
        out: dict = {"workers": workers}
        try:
            with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
                wait_for_health(c)

                def submit() -> str:
                    files = {k: (n, v, "application/octet-stream") for k, (n, v) in songs.items()}
                    return c.post("/api/remix", files=files,
                                  data={"prompt": "her voice over their groove"}).json()["session_id"]

                def wait(ids):
                    while any(c.get(f"/api/remix/{i}/status").json()["status"] in
                              ("queued", "running") for i in ids):
                        time.sleep(0.2)

                warm = submit()  # a finished remix to read ranges from; warms the song cache
                wait([warm])
                size = len(c.get(f"/api/remix/{warm}/audio").content)
                rss = [rss_mb(proc.pid)]
                stop = threading.Event()

                def sample():
                    while not stop.wait(0.2):
                        rss.append(rss_mb(proc.pid))

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
                    c.get(f"/api/remix/{warm}/audio",
                          headers={"Range": f"bytes={start}-{start + 65535}"})

                out["range_reads"] = load(c, 3.0, ranged)
                out["running_while_measured"] = c.get("/health").json()["running"]
                wait(ids)
                elapsed = time.perf_counter() - t0
                stop.set()
                sampler.join()
                states = [c.get(f"/api/remix/{i}/status").json()["status"] for i in ids]
                out.update(jobs=jobs, complete=states.count("complete"),
                           seconds=round(elapsed, 1),
                           jobs_per_min=round(jobs / elapsed * 60, 2),
                           api_rss_mb_max=max(rss), api_rss_mb_start=rss[0])
        finally:
            proc.terminate()
            proc.wait(30)
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=3)
    args = parser.parse_args()
    from pipeline_helpers import short_pair

    a, b = short_pair(bars=8)
    songs = {"song_a": ("a.wav", a.mix_path.read_bytes()),
             "song_b": ("b.wav", b.mix_path.read_bytes())}
    one, two = run(1, args.jobs, songs), run(2, args.jobs, songs)
    print(json.dumps({
        "cpu_cores": os.cpu_count(),
        "one_worker": one, "two_workers": two,
        "speedup_2_vs_1": round(two["jobs_per_min"] / one["jobs_per_min"], 2),
        "note": "each job is CPU-bound; on 2 cores shared with other work the ratio is bounded "
                "by the free cores, not by the queue",
    }, indent=2))


if __name__ == "__main__":
    main()
