"""`report.json`: what the mix did and how it came out, for people and benchmarks."""

from __future__ import annotations

import resource
import sys
from dataclasses import asdict, is_dataclass

import numpy as np

from musicmixer.audio import integrated_lufs, true_peak_db
from musicmixer.config import Settings
from musicmixer.stages import MIX_STAGES, StageTimer


def peak_memory_mb() -> float:
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024, 1)


def _plain(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    return value


def stage_timing(timer: StageTimer, duration: float) -> dict:
    """Seconds per stage and the mix stages' (`Stage.mix`) seconds per output second.

    The report written during export cannot hold export's own time, so the
    pipeline calls this again once export is done and the returned report
    carries the complete figures."""
    mix_seconds = sum(v for k, v in timer.seconds.items() if k in MIX_STAGES)
    mix_cpu = sum(v for k, v in timer.cpu_seconds.items() if k in MIX_STAGES)
    return {
        "stage_seconds": dict(timer.seconds),
        "stage_cpu_seconds": dict(timer.cpu_seconds),
        "mix_seconds_per_output_second": round(mix_seconds / max(duration, 1e-9), 4),
        "mix_cpu_seconds_per_output_second": round(mix_cpu / max(duration, 1e-9), 4),
    }


def build_report(*, settings: Settings, stem_mode: list[str], timer: StageTimer, tempo, key, prepared_notes,
                 mastering: dict, audio: np.ndarray, sr: int, warnings: list[str],
                 dropped: list[str], separation: dict) -> dict:
    """Everything report.json says; `output` reuses mastering's own final
    measurements of this same audio when it has them."""
    duration = audio.shape[-1] / sr
    lufs, true_peak = mastering.get("lufs"), mastering.get("true_peak")
    if lufs is None or true_peak is None:
        lufs, true_peak = integrated_lufs(audio, sr), true_peak_db(audio)
    return {
        "stem_mode": {"stem_backend": settings.stem_backend,
                      "vocal_sub_separation": settings.vocal_sub_separation,
                      "stems": stem_mode},
        "flags": settings.sound_quality_flags,
        "separation": separation,
        "tempo": _plain(tempo),
        "key": _plain(key),
        "alignment": _plain(prepared_notes),
        "dropped_stems": dropped,
        "mastering": _plain(mastering),
        "output": {"seconds": round(duration, 3),
                   "lufs": round(lufs, 3), "true_peak_dbtp": round(true_peak, 3),
                   "target_lufs": settings.target_lufs},
        **stage_timing(timer, duration),
        "peak_memory_mb": peak_memory_mb(),
        "warnings": list(dict.fromkeys(warnings)),
    }
