"""Time-stretch and pitch-shift quality: Rubber Band R3 as the mix runs it, against
ground truth.

The ground truth of moving a part by s semitones and a time ratio r is the same
notes rendered by fluidsynth s semitones up and r times as slow. Each instrument
part of a generated song is moved three ways and compared with that render:

- `as_mixed`: `rubberband.stretch` as step 9 calls it for an instrument stem
  (R3's short window, the cheapest working form: mono fold, 22.05 or 32.768 kHz);
- `short_full`: the same window at 44.1 kHz stereo (what the working form saves);
- `long_full`: R3's default (long) window at 44.1 kHz stereo.

Distance is the mean absolute difference of log-magnitude spectra (dB; 2048-point
Hann frames, bins within 80 dB of the louder peak), over the whole band and under
9 kHz (`_below_9k`, what every working rate carries: the stretch itself); the
move itself makes the un-moved part 11-48 dB away (`unmoved`). Cost is CPU seconds of the rubberband
processes per second of audio. Prints one JSON object.

    .venv/bin/python bench/stretch.py [--bars 12]

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import resource
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from musicmixer.mix import rubberband
from musicmixer.testsongs.compose import compose
from musicmixer.testsongs.render import SAMPLE_RATE, fluidsynth_available, render_part
from musicmixer.testsongs.song import Clock
from musicmixer.testsongs.spec import SongSpec

PARTS = ("piano", "guitar", "bass")
MOVES = ((-2, 1.0), (-2, 1.2), (0, 1.2), (2, 0.85))  # (semitones, time ratio)
WAYS = {
    "as_mixed": {},
    "short_full": {"NEGLIGIBLE_DB": -1000.0},
    "long_full": {"NEGLIGIBLE_DB": -1000.0, "INSTRUMENT_OPTIONS": []},
}


@contextlib.contextmanager
def settings_of(module, **values):
    """Module constants set for the duration (how the bench picks a way)."""
    old = {k: getattr(module, k) for k in values}
    for k, v in values.items():
        setattr(module, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(module, k, v)


def log_spectra(x: np.ndarray, n: int = 2048, hop: int = 512) -> np.ndarray:
    mono = x.mean(axis=0)
    frames = np.lib.stride_tricks.sliding_window_view(mono, n)[::hop] * np.hanning(n)
    return 20 * np.log10(np.abs(np.fft.rfft(frames, axis=-1)) + 1e-5)


def spectral_distance_db(a: np.ndarray, b: np.ndarray, below_hz: float | None = None) -> float:
    m = min(a.shape[-1], b.shape[-1])
    sa, sb = log_spectra(a[:, :m]), log_spectra(b[:, :m])
    loud = np.maximum(sa, sb) > max(sa.max(), sb.max()) - 80.0
    if below_hz is not None:
        loud &= np.fft.rfftfreq(2048, 1.0 / SAMPLE_RATE)[None, :] < below_hz
    return float(np.mean(np.abs(sa - sb)[loud]))


def child_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=12)
    args = ap.parse_args()
    if not fluidsynth_available():
        print("bench/stretch.py needs fluidsynth and the GM soundfont", file=sys.stderr)
        return 2
    spec = SongSpec(tempo=100.0, key="D", mode="minor", bars=args.bars, seed=3, title="stretch")
    score = compose(spec)
    end = Clock(spec.tempo, score.total_beats, 0.0).time(score.total_beats) + 2.0
    work = Path(tempfile.mkdtemp(prefix="mm-bench-stretch-"))

    def render(part: str, semitones: int, ratio: float) -> np.ndarray:
        notes = [dataclasses.replace(n, pitch=n.pitch + semitones, start=n.start * ratio,
                                     end=n.end * ratio) for n in score.parts[part]]
        return render_part(f"{part}{semitones}x{ratio}", notes, score.programs[part], 0,
                           end * ratio, work)

    cases, summary = [], {}
    for part in PARTS:
        original = render(part, 0, 1.0)
        seconds = original.shape[-1] / SAMPLE_RATE
        for semitones, ratio in MOVES:
            truth = render(part, semitones, ratio)
            _, rate, mono = rubberband.working_form(original, SAMPLE_RATE, semitones)
            case = {"part": part, "semitones": semitones, "time_ratio": ratio,
                    "as_mixed_form": {"rate": rate, "mono": mono},
                    "unmoved_db": round(spectral_distance_db(original, truth), 2)}
            for way, constants in WAYS.items():
                with settings_of(rubberband, **constants):
                    before = child_cpu_s()
                    moved = rubberband.stretch(original, SAMPLE_RATE, ratio=ratio,
                                               semitones=semitones, vocal=False)
                    cpu = child_cpu_s() - before
                case[f"{way}_db"] = round(spectral_distance_db(moved, truth), 2)
                case[f"{way}_below_9k_db"] = round(spectral_distance_db(moved, truth, 9000.0), 2)
                case[f"{way}_cpu_s_per_s"] = round(cpu / seconds, 4)
            cases.append(case)
    for key in [k for k in cases[0] if k.endswith(("_db", "_cpu_s_per_s"))]:
        summary[f"median_{key}"] = round(statistics.median(c[key] for c in cases), 4)
    print(json.dumps({"benchmark": "stretch", "song": dataclasses.asdict(spec),
                      "summary": summary, "cases": cases}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
