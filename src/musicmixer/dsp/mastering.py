"""Mastering: loudness to a target under a true-peak ceiling (step 14) and
fades (step 15). Matching a reference track (step 14.5) is in `reference.py`.

The chain reads: gain to the target LUFS -> true-peak limiter -> fades. The
first pass caps the gain so the loudest true peak meets the limiter at most
3 dB over the ceiling, which spares the limiter on ordinary mixes. Limiting and fades take
some loudness away, so the chain runs again with the shortfall added until the
output is within 0.1 LU of the target. A dynamic mix (crest factor over ~15 dB)
cannot reach the target under that cap - the older app this design replaced shipped 3 LU
short that way - so the later passes may drive the limiter up to
`max_drive_db` (8 dB); past that the target is given up and the report says so.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from musicmixer.audio import integrated_lufs, true_peak_db

from .chain import as_2d
from .limiter import TruePeakLimiter, sample_true_peaks_db

DEFAULT_FADE_IN_S = 2.0
DEFAULT_FADE_OUT_S = 3.0
FIRST_PASS_DRIVE_DB = 3.0
MAX_DRIVE_DB = 8.0
TARGET_TOLERANCE_LU = 0.5


def fade_curves(n: int, sr: int, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """Equal-power (sine/cosine) fade-in and fade-out gains for n samples; both
    shrink in proportion when the audio is shorter than the two together."""
    fade_in, fade_out = int(fade_in_s * sr), int(fade_out_s * sr)
    if fade_in + fade_out > n and fade_in + fade_out > 0:
        scale = n / (fade_in + fade_out)
        fade_in, fade_out = int(fade_in * scale), int(fade_out * scale)
    gain = np.ones(n)
    if fade_in:
        gain[:fade_in] = np.sin(0.5 * np.pi * np.arange(fade_in) / fade_in)
    if fade_out:
        gain[n - fade_out:] *= np.cos(0.5 * np.pi * np.arange(1, fade_out + 1) / fade_out)
    return gain


def apply_fades(audio: np.ndarray, sr: int, fade_in_s: float = DEFAULT_FADE_IN_S,
                fade_out_s: float = DEFAULT_FADE_OUT_S) -> np.ndarray:
    """Step 15: 2 s fade-in, 3 s fade-out, equal-power."""
    gain = fade_curves(np.shape(audio)[-1], sr, fade_in_s, fade_out_s)
    return (np.asarray(audio) * gain).astype(np.float32)


def master(mix: np.ndarray, sr: int, target_lufs: float = -14.0, ceiling_db: float = -1.0,
           *, fade_in_s: float = DEFAULT_FADE_IN_S, fade_out_s: float = DEFAULT_FADE_OUT_S,
           first_pass_drive_db: float = FIRST_PASS_DRIVE_DB,
           max_drive_db: float | None = MAX_DRIVE_DB, max_passes: int = 4,
           ) -> tuple[np.ndarray, dict]:
    """Steps 14-15: normalise to `target_lufs`, limit to `ceiling_db` dBTP, fade.

    Returns (audio, report); report has lufs, true_peak, gain_db (the static
    gain before the limiter), limiter_db (its deepest reduction), passes and
    target_reached (final LUFS within 0.5 LU of the target). `max_drive_db=None`
    lets the limiter work as hard as the target needs.
    """
    x = as_2d(np.asarray(mix, dtype=np.float32))
    limiter = TruePeakLimiter(ceiling_db=ceiling_db)
    input_lufs = integrated_lufs(x, sr)
    report = {"input_lufs": input_lufs, "target_lufs": target_lufs, "ceiling_db": ceiling_db}
    if not np.isfinite(input_lufs):
        out = apply_fades(x, sr, fade_in_s, fade_out_s)
        return out, report | {"lufs": input_lufs, "true_peak": true_peak_db(out), "gain_db": 0.0,
                              "limiter_db": 0.0, "passes": 0, "target_reached": False}

    peaks = sample_true_peaks_db(x)
    headroom = ceiling_db - float(peaks.max())  # gain at which the limiter starts working
    cap = np.inf if max_drive_db is None else headroom + max_drive_db
    gain = min(target_lufs - input_lufs, headroom + first_pass_drive_db, cap)
    trials: list[tuple[float, float]] = []  # (gain, lufs) of each pass
    best = None  # (distance to target, output, gain, lufs, limiter_db)
    for _ in range(max_passes):
        out, limiter_db = limiter.process(x * np.float32(10.0 ** (gain / 20.0)), sr,
                                          peaks_db=peaks + gain, verify=False)
        out = apply_fades(out, sr, fade_in_s, fade_out_s)
        lufs = integrated_lufs(out, sr)
        trials.append((gain, lufs))
        if best is None or abs(target_lufs - lufs) < best[0]:
            best = (abs(target_lufs - lufs), out, gain, lufs, limiter_db)
        next_gain = min(_next_gain(trials, target_lufs), cap)
        if abs(target_lufs - lufs) <= 0.1 or abs(next_gain - gain) < 0.01:
            break
        gain = next_gain

    assert best is not None  # max_passes >= 1
    _, out, gain, lufs, limiter_db = best
    true_peak = true_peak_db(out)
    if true_peak > ceiling_db:  # rare: the trial pass skipped the limiter's own check
        out, limiter_db = limiter.process(x * np.float32(10.0 ** (gain / 20.0)), sr,
                                          peaks_db=peaks + gain)
        out = apply_fades(out, sr, fade_in_s, fade_out_s)
        lufs, true_peak = integrated_lufs(out, sr), true_peak_db(out)
    return out, report | {
        "lufs": lufs, "true_peak": true_peak, "gain_db": gain, "limiter_db": limiter_db,
        "passes": len(trials), "target_reached": abs(target_lufs - lufs) <= TARGET_TOLERANCE_LU,
    }


def _next_gain(trials: list[tuple[float, float]], target_lufs: float) -> float:
    """Secant step on loudness-vs-gain (its slope is <= 1 once the limiter bites)."""
    gain, lufs = trials[-1]
    slope = 1.0
    if len(trials) > 1:
        (g0, l0), (g1, l1) = trials[-2], trials[-1]
        if abs(g1 - g0) > 1e-6:
            slope = float(np.clip((l1 - l0) / (g1 - g0), 0.2, 1.0))
    return gain + (target_lufs - lufs) / slope

