"""Local separation benchmark: quality, speed and memory of the HTDemucs ONNX backend.

Prints one JSON object. Quality is the plain SDR (musicmixer.metrics.sdr) of
each stem against the exact ground truth of generated songs, median over the
songs; speed is wall-clock seconds of separation per second of audio, with the
session already loaded (loading is reported on its own); memory is the
process' RSS high-water mark. Each measurement is one function returning a
dict, so more slot into `MEASUREMENTS`: `measure_time_range` (a whole
3-minute song against a 60 s range of it) and `measure_cache_hit` (stem-cache
hits on that song) go through `separate_stems` with the real model.

    .venv/bin/python bench/separation.py [--songs 3] [--bars 12] [--threads 0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from musicmixer.config import load_settings
from musicmixer.metrics import sdr
from musicmixer.separation import local_onnx
from musicmixer.separation.model_store import ensure_model
from musicmixer.stems import FOUR_STEMS
from musicmixer.testsongs import SongSpec, generate_song

SR = local_onnx.SAMPLE_RATE
TARGETS = {"drums_sdr_db": 10.0, "bass_sdr_db": 10.0, "seconds_per_audio_second": 1.2,
           "peak_rss_mb": 1500.0, "cache_hit_s": 0.5, "range_saved_fraction": 0.5}
# Varied tempo, key and mode so that one lucky arrangement cannot carry the median.
SONG_STYLES = [(120.0, "C", "major"), (100.0, "A", "minor"), (132.0, "G", "major"),
               (90.0, "E", "minor"), (110.0, "F", "major")]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def make_songs(n: int, bars: int, out_dir: Path) -> list[dict[str, np.ndarray]]:
    """Ground-truth stems of `n` generated songs, mapped to the local vocabulary."""
    songs = []
    for i in range(n):
        tempo, key, mode = SONG_STYLES[i % len(SONG_STYLES)]
        song = generate_song(SongSpec(tempo=tempo, key=key, mode=mode, bars=bars, seed=i + 1), out_dir)
        songs.append(song.truth_stems(FOUR_STEMS))
    return songs


def measure_session_load(model_path: Path, threads: int) -> dict:
    start = time.perf_counter()
    local_onnx.get_session(model_path, threads)
    return {"session_load_s": round(time.perf_counter() - start, 2)}


def measure_separation(songs: list[dict[str, np.ndarray]], model_path: Path, threads: int) -> dict:
    """Per-stem SDR (median and per song) and compute time per second of audio."""
    per_song, wall, cpu, audio_s = [], 0.0, 0.0, 0.0
    for truth in songs:
        mix = sum(truth.values()).astype(np.float32)
        t0, c0 = time.perf_counter(), time.process_time()
        stems = local_onnx.separate_local(mix, model_path=model_path, threads=threads)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        audio_s += mix.shape[1] / SR
        per_song.append({name: round(sdr(truth[name], stems[name]), 2) for name in FOUR_STEMS}
                        | {"mix_residual_sdr_db": round(sdr(mix, sum(stems.values())), 2)})
    median = {f"{name}_sdr_db": round(statistics.median(s[name] for s in per_song), 2)
              for name in FOUR_STEMS}
    return {
        **median,
        "per_song_sdr_db": per_song,
        "audio_seconds": round(audio_s, 1),
        "seconds_per_audio_second": round(wall / audio_s, 3),
        "cpu_seconds_per_audio_second": round(cpu / audio_s, 3),
    }


LONG_SONG_S = 180.0  # "a 3-minute song"
RANGE_S = 60.0
_long = {}  # the 3-minute song's folder, shared by the two measurements below


def _long_song(songs: list[dict[str, np.ndarray]]) -> tuple[Path, Path]:
    """A 3-minute song (the generated songs looped) in a temporary folder that
    lives until the process exits; its stem cache goes in the same folder."""
    if not _long:
        import atexit
        import shutil

        from musicmixer.audio import save_audio

        folder = Path(tempfile.mkdtemp(prefix="musicmixer-bench-long-"))
        atexit.register(shutil.rmtree, folder, True)
        mix = np.concatenate([sum(t.values()) for t in songs], axis=1).astype(np.float32)
        n = int(LONG_SONG_S * SR)
        mix = np.tile(mix, (1, -(-n // mix.shape[1])))[:, :n]
        _long.update(song=save_audio(folder / "long.wav", mix), folder=folder)
    return _long["song"], _long["folder"]


def _in_child(fn, *args) -> dict:
    """Run `fn` in a fresh process, so 3 minutes of stems do not raise this
    process' peak RSS (the local backend's own target) and no ONNX Runtime
    thread pool is forked."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _separate(song: Path, folder: Path, out: str, threads: int, **kw):
    from musicmixer.separation.cache import StemCache
    from musicmixer.separation.dispatcher import separate_stems

    settings = load_settings(stem_backend="local", data_dir=folder / "data",
                             separation_threads=threads)
    t0 = time.perf_counter()
    result = separate_stems(song, folder / out, settings=settings,
                            cache=StemCache(folder / "stem-cache"), **kw)
    return result, time.perf_counter() - t0


def _time_range_child(song: Path, folder: Path, threads: int, span_s: float) -> dict:
    import soundfile as sf

    from musicmixer.separation.dispatcher import RANGE_MARGIN_S

    # Load the ONNX session first: that cost is paid once per process, not per song.
    local_onnx.get_session(ensure_model(load_settings().model_dir), threads)
    song_s = sf.info(str(song)).duration
    start = (song_s - span_s) / 2
    full, full_s = _separate(song, folder, "full", threads)
    part, range_s = _separate(song, folder, "part", threads, time_range=(start, start + span_s))
    assert not full.cache_hit and not part.cache_hit
    return {"range_song_s": round(song_s, 2), "range_requested_s": [start, start + span_s],
            "range_margin_s": RANGE_MARGIN_S, "range_covered_s": [part.start, part.end],
            "range_full_song_s": round(full_s, 2), "range_only_s": round(range_s, 2),
            "range_saved_s": round(full_s - range_s, 2),
            "range_saved_fraction": round(1.0 - range_s / full_s, 3),
            "range_peak_rss_mb": round(peak_rss_mb(), 1)}


def _cache_hit_child(song: Path, folder: Path, threads: int) -> dict:
    from musicmixer.separation.cache import RACY_NS

    first, _ = _separate(song, folder, "hit-0", threads)  # a miss if run on its own
    time.sleep(RACY_NS / 1e9 + 0.1)  # let the entry age past the racy window
    checked, first_hit_s = _separate(song, folder, "hit-1", threads)
    hits = []
    for i in range(5):
        hit, seconds = _separate(song, folder, f"hit-{i + 2}", threads)
        assert hit.cache_hit
        hits.append(seconds)
    assert checked.cache_hit
    size = sum(p.stat().st_size for p in first.stems.values())
    return {"cache_stems_mb": round(size / 1e6, 1), "cache_first_hit_s": round(first_hit_s, 3),
            "cache_hit_s": round(statistics.median(hits), 3),
            "cache_hit_max_s": round(max(hits), 3)}


def measure_time_range(songs: list[dict[str, np.ndarray]], model_path: Path, threads: int) -> dict:
    """Seconds to separate a whole 3-minute song versus only a 60 s range of it
    (plus the 2 s crossfade margin either side), both through `separate_stems`
    and the stem cache (both misses): the saving a mix gets by separating only
    the part of a song its plan uses."""
    return _in_child(_time_range_child, *_long_song(songs), threads, RANGE_S)


def measure_cache_hit(songs: list[dict[str, np.ndarray]], model_path: Path, threads: int) -> dict:
    """Seconds for a stem-cache hit on the 3-minute song: the first hit on an
    entry hashes every stem file; later ones (median of 5) hash the song file,
    stat the stems and hard-link them into the output folder."""
    return _in_child(_cache_hit_child, *_long_song(songs), threads)


def measure_bass_interference(songs: list[dict[str, np.ndarray]], model_path: Path,
                              threads: int) -> dict:
    """Why bass misses its target: the first song's bass SDR when the model hears
    the full mix, the mix without the voices, without piano and guitar
    ("other"), and drums and bass alone. If the bass recovers only as parts are
    taken away, the loss is the model confusing those parts with bass, not the
    segmenting or the STFT around it (those are the same in every row)."""
    first = songs[0]
    rows = {"full_mix": FOUR_STEMS, "without_vocals": ("drums", "bass", "other"),
            "without_other": ("drums", "bass", "vocals"), "drums_and_bass": ("drums", "bass")}
    out = {}
    for label, parts in rows.items():
        mix = sum(first[p] for p in parts).astype(np.float32)
        est = local_onnx.separate_local(mix, model_path=model_path, threads=threads)
        out[label] = round(sdr(first["bass"], est["bass"]), 2)
    return {"bass_sdr_db_by_arrangement": out}


MEASUREMENTS = [measure_separation, measure_bass_interference, measure_time_range,
                measure_cache_hit]


def environment(threads: int) -> dict:
    import onnxruntime

    return {
        "onnxruntime": onnxruntime.__version__,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "threads_setting": threads,
        "overlap": local_onnx.DEFAULT_OVERLAP,
        "python": platform.python_version(),
    }


def verdict(result: dict) -> dict:
    """Which targets were met; a missing number counts as missed."""
    met = {}
    for key, target in TARGETS.items():
        value = result.get(key)
        lower_is_better = key in ("seconds_per_audio_second", "peak_rss_mb", "cache_hit_s")
        met[key] = value is not None and (value <= target if lower_is_better else value >= target)
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=3)
    parser.add_argument("--bars", type=int, default=12, help="bars per song (12 at 120 BPM = 24 s)")
    parser.add_argument("--threads", type=int, default=load_settings().separation_threads)
    parser.add_argument("--songs-dir", type=Path, default=None, help="reuse generated songs here")
    args = parser.parse_args(argv)

    model_path = ensure_model(load_settings().model_dir)
    with tempfile.TemporaryDirectory(prefix="musicmixer-bench-") as tmp:
        songs = make_songs(args.songs, args.bars, args.songs_dir or Path(tmp))
    result = {"benchmark": "separation_local", **environment(args.threads),
              "songs": len(songs)}
    result |= measure_session_load(model_path, args.threads)
    for measure in MEASUREMENTS:
        result |= measure(songs, model_path, args.threads)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    result["targets"] = TARGETS
    result["targets_met"] = verdict(result)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
