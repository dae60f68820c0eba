"""Peak memory and seconds per stage of the main job, by song length; prints JSON.

    python bench/memory.py [--minutes 1,3,7,15] [--local truth|onnx] [--cache build/bench-songs]

Runs `pipeline.run_mix` on bench/mix.py's first generated pair (both songs the
given length, their sections looped by the generator, cached) in a fresh
process per length, so each peak is that job's own. A thread samples the
process's resident memory (VmRSS) every 20 ms; the progress callback marks
where each stage starts, so every sample lands in one stage: per stage the
peak RSS seen while it ran, the RSS at its start, and its wall seconds.
`ru_maxrss` (the kernel's own peak, self and children: Rubber Band runs as a
child) is reported beside the sampled one.

The growth per minute of audio is a least-squares line through (song minutes,
whole-job peak MB) over the lengths run: `mb_per_song_minute` is per minute of
each song (the pair holds two), `mb_at_0` the fixed part (Python, numpy,
models). `--local truth` (the default) separates with the songs' ground-truth
stems, so the figures are the pipeline's own and a 15-minute pair fits in a
few minutes; `--local onnx` runs the HTDemucs model (~0.7 CPU-s per audio
second: keep it to 1 and 3 minutes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

PROMPT = "vocals from song A over song B"


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class StageSampler:
    """Samples RSS on a thread; the pipeline's progress callback names the stage."""

    def __init__(self, period_s: float = 0.02):
        self.period_s, self.stage = period_s, "setup"
        self.peak: dict[str, float] = {}
        self.start: dict[str, float] = {}
        self.began: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        mb = rss_mb()
        self.peak[self.stage] = max(self.peak.get(self.stage, 0.0), mb)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self._sample()

    def progress(self, stage: str, fraction: float, detail: str = "") -> None:
        if stage != self.stage and stage not in self.began:
            self._sample()  # the last one of the stage before
            self._close()
            self.stage = stage
            self.began[stage] = time.perf_counter()
            self.start[stage] = round(rss_mb(), 1)

    def _close(self) -> None:
        if self.stage in self.began:
            self.seconds[self.stage] = round(time.perf_counter() - self.began[self.stage], 2)

    def __enter__(self) -> StageSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._sample()
        self._close()
        self._stop.set()
        self._thread.join()


def generate(job: dict) -> None:
    """The pair's songs into the cache (generating one holds far more than a job)."""
    from mix import make_songs

    make_songs(0, None, job["minutes"], Path(job["cache"]))


def run_one(job: dict) -> dict:
    """One pair of `minutes`-long songs through the whole job, in its own process."""
    from mix import make_songs

    from musicmixer.config import load_settings
    from musicmixer.pipeline import MixRequest, run_mix

    vocal_song, inst_song = make_songs(0, None, job["minutes"], Path(job["cache"]))
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        settings = load_settings(stem_backend="local", vocal_sub_separation=False,
                                 data_dir=Path(tmp) / "data", max_song_minutes=16)
        backends = None
        if job["local"] == "truth":
            from pipeline_helpers import TruthBackend

            backends = {"local": TruthBackend(vocal_song, inst_song)}
        baseline = rss_mb()
        t0 = time.perf_counter()
        with StageSampler() as sampler:
            result = run_mix(MixRequest(vocal_song.mix_path, inst_song.mix_path, PROMPT,
                                        Path(tmp) / "out" / "mashup.wav", backends=backends),
                             settings, sampler.progress)
        total = time.perf_counter() - t0
        samples, _ = sf.read(str(Path(tmp) / "out" / "mashup.wav"), dtype="float32")
        digest = hashlib.sha256(samples.tobytes()).hexdigest()  # the file holds a timestamp
        if job.get("keep"):  # the output, to compare two code versions sample by sample
            shutil.copy(Path(tmp) / "out" / "mashup.wav", Path(job["keep"]) / f"{job['minutes']:g}min.wav")
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ru_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out_s = result.report["output"]["seconds"]
    stages = {name: {"peak_rss_mb": round(sampler.peak.get(name, 0.0), 1),
                     "rss_at_start_mb": sampler.start.get(name),
                     "seconds": sampler.seconds.get(name)}
              for name in sampler.began}
    return {"minutes": job["minutes"], "local": job["local"],
            "song_seconds": [round(float(s.truth.get("duration", 0.0)), 1) for s in (vocal_song, inst_song)],
            "output_seconds": out_s, "rss_before_job_mb": round(baseline, 1),
            "peak_rss_mb": round(max(sampler.peak.values()), 1), "ru_maxrss_mb": round(ru, 1),
            "ru_maxrss_children_mb": round(ru_children, 1), "job_seconds": round(total, 1),
            "job_seconds_per_output_second": round(total / out_s, 3),
            "lufs": result.report["output"]["lufs"], "output_sha256": digest[:16],
            "true_peak_dbtp": result.report["output"]["true_peak_dbtp"],
            "stages": stages}


def fit(runs: list[dict], key: str = "peak_rss_mb") -> dict:
    """Least-squares line of `key` against song minutes (needs two lengths)."""
    xs = [r["minutes"] for r in runs]
    ys = [r[key] for r in runs]
    if len(set(xs)) < 2:
        return {}
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return {"mb_per_song_minute": round(slope, 1), "mb_at_0": round(my - slope * mx, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", default="1,3,7,15", help="song lengths, comma-separated")
    ap.add_argument("--local", choices=["truth", "onnx"], default="truth")
    ap.add_argument("--cache", type=Path, default=ROOT / "build" / "bench-songs")
    ap.add_argument("--keep", type=Path, default=None, help="copy each output mix here")
    args = ap.parse_args()
    runs = []
    for minutes in (float(m) for m in args.minutes.split(",")):
        job = {"minutes": minutes, "local": args.local, "cache": str(args.cache),
               "keep": str(args.keep) if args.keep else None}
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            pool.submit(generate, job).result()  # apart: its memory is not the job's
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            runs.append(pool.submit(run_one, job).result())
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"runs": runs, "fit": fit(runs)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
