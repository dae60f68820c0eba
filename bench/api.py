"""Web API under load: time to the first progress event, requests per second of
`/status` and of `/audio` range reads while a mix renders, and the server's
memory with 5 remixes queued; and the disk it keeps: bytes per minute of a
finished remix with one re-render (every folder of the remix: base render,
player copies, version 1; plus the stem-cache entries of its two songs) and the
stem cache's size after N jobs on distinct songs with `STEM_CACHE_MAX_MB` set. The
server is a real `uvicorn` process on a free loopback port; each job is the
real pipeline on two generated 8-bar songs (for the cache run, copies at
slightly different gains, so each is a new cache entry) with ground-truth
stems standing in for separation. Prints one JSON object."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from api_helpers import free_port, wait_for_health  # noqa: E402

SERVER = """
import sys, uvicorn
sys.path.insert(0, {tests!r})
from pathlib import Path
import numpy as np
from pipeline_helpers import short_pair
from musicmixer.config import load_settings
from musicmixer.pipeline import run_mix
from musicmixer.service import create_app
from musicmixer.stems import stems_for_settings
a, b = short_pair(bars=8)
songs = {{"song_a": a, "song_b": b}}
def truth(job):
    stems = songs[Path(job.source_path).stem].truth_stems(stems_for_settings(job.settings))
    return {{k: np.ascontiguousarray(v[:, :job.audio.shape[1]]) for k, v in stems.items()}}
def job(request, settings, progress):
    request.backends = {{"modal": truth}}
    return run_mix(request, settings, progress)
settings = load_settings(data_dir={data!r}, stem_backend="modal", vocal_sub_separation=True,
                         web_workers=1, web_queue_depth=10, web_rate_limit=0,
                         stem_cache_max_mb={cap_mb})
uvicorn.run(create_app(settings, job_fn=job), host="127.0.0.1", port={port}, log_level="warning")
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


CACHE_JOBS = 4
CACHE_CAP_MB = 60.0


def folder_bytes(folder: Path) -> int:
    """Bytes on disk under `folder`, each hard-linked file once."""
    seen, total = set(), 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            st = os.stat(os.path.join(dirpath, name))
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total


def variant(path: Path, i: int) -> bytes:
    """The song at a slightly different gain: same music, a new stem-cache entry."""
    audio, sr = sf.read(str(path), dtype="float32")
    buf = io.BytesIO()
    sf.write(buf, audio * (1.0 - 0.02 * i), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def rate(client, seconds: float, request) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        request(client)
        n += 1
    return round(n / (time.perf_counter() - t0), 1)


def main() -> None:
    from pipeline_helpers import short_pair

    a, b = short_pair(bars=8)  # render (or reuse) the songs before timing anything
    songs = {"song_a": ("a.wav", a.mix_path.read_bytes()), "song_b": ("b.wav", b.mix_path.read_bytes())}
    with tempfile.TemporaryDirectory(prefix="mm-bench-api-") as data:
        port = free_port()
        script = SERVER.format(tests=str(ROOT / "tests"), data=data, port=port,
                               cap_mb=CACHE_CAP_MB)
        proc = subprocess.Popen([sys.executable, "-c", script])
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx2.Client(base_url=base, timeout=60) as c:
                wait_for_health(c)
                idle = rss_mb(proc.pid)

                tokens: dict[str, dict] = {}

                def submit(files=songs) -> str:
                    body = c.post("/api/remix", files=files, data={"prompt": "her voice over "
                                  "their groove"}).json()
                    tokens[body["session_id"]] = {"X-Owner-Token": body["owner_token"]}
                    return body["session_id"]

                t0 = time.perf_counter()
                first = submit()
                with c.stream("GET", f"/api/remix/{first}/progress") as resp:
                    for line in resp.iter_lines():
                        if line.startswith("data: "):
                            break
                first_event_s = time.perf_counter() - t0
                t_mix = time.perf_counter()
                while c.get(f"/api/remix/{first}/status").json()["status"] in ("queued", "running"):
                    time.sleep(0.2)
                mix_s = time.perf_counter() - t_mix
                size = len(c.get(f"/api/remix/{first}/audio").content)
                status = c.get(f"/api/remix/{first}/status").json()
                remix_minutes = status["duration_s"] / 60
                c.post(f"/api/remix/{first}/rerender", headers=tokens[first],  # version 1
                       json={"stem_gains": {next(iter(status["stem_gains"])): 0.5}})
                while c.get(f"/api/remix/{first}/status").json()["status"] in ("queued",
                                                                             "running"):
                    time.sleep(0.2)
                remix_dir = Path(data) / "web" / "remixes" / first
                parts = {p.name: round(folder_bytes(p) / remix_minutes / 1e6, 2)
                         for p in remix_dir.iterdir() if p.is_dir()}
                parts["stem-cache"] = round(folder_bytes(Path(data) / "stem-cache")
                                            / remix_minutes / 1e6, 2)
                bytes_per_min = (folder_bytes(remix_dir)
                                 + folder_bytes(Path(data) / "stem-cache")) / remix_minutes

                second = submit()  # a mix renders while we read
                status_rps = rate(c, 3.0, lambda c: c.get(f"/api/remix/{second}/status"))
                offsets = iter(range(0, 10**9, 65536))

                def ranged(c):
                    start = next(offsets) % max(size - 65536, 1)
                    c.get(f"/api/remix/{first}/audio",
                          headers={"Range": f"bytes={start}-{start + 65535}"})
                audio_rps = rate(c, 3.0, ranged)
                still = c.get(f"/api/remix/{second}/status").json()["status"]
                queued = [submit() for _ in range(5)]
                time.sleep(0.5)
                with_queue = rss_mb(proc.pid)
                health = c.get("/health").json()
                for sid in [second, *queued]:
                    c.post(f"/api/remix/{sid}/cancel", headers=tokens[sid])
                while c.get("/health").json()["running"]:
                    time.sleep(0.2)
                cache_mb = []
                for i in range(1, CACHE_JOBS + 1):
                    files = {"song_a": ("a.wav", variant(a.mix_path, i)),
                             "song_b": ("b.wav", variant(b.mix_path, i))}
                    sid = submit(files)
                    while c.get(f"/api/remix/{sid}/status").json()["status"] in ("queued",
                                                                               "running"):
                        time.sleep(0.2)
                    time.sleep(0.3)  # the worker prunes the cache after the job
                    cache_mb.append(round(folder_bytes(Path(data) / "stem-cache") / 1e6, 1))
        finally:
            proc.terminate()
            proc.wait(20)
    print(json.dumps({
        "time_to_first_progress_event_s": round(first_event_s, 4),
        "mix_seconds_8_bars_truth_stems": round(mix_s, 2),
        "status_requests_per_s_while_rendering": status_rps,
        "audio_range_reads_per_s_while_rendering": audio_rps,
        "audio_range_read_bytes": 65536,
        "second_mix_rendering_during_reads": still == "running",
        "server_rss_mb_idle": idle,
        "server_rss_mb_with_5_queued": with_queue,
        "queued_reported_by_health": health["queued"],
        "workers": health["workers"],
        "remix_disk_mb_per_minute": round(bytes_per_min / 1e6, 2),
        "remix_disk_mb_per_minute_by_folder": parts,
        "stem_cache_cap_mb": CACHE_CAP_MB,
        "stem_cache_mb_after_each_job": cache_mb,
    }))


if __name__ == "__main__":
    main()
