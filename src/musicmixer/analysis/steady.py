"""A drifting band heard at a steady tempo (step 2): the onset envelope
resampled so that the tracked beats fall evenly, for the octave rules.

Which member of an octave pair is the beat (`octave`) is read from repetition
over one, two and four beats. A band that speeds up or slows down smears the
song-long autocorrelation, and the longer the lag the more: a generated
straight 90 BPM song whose tempo rose 6 % over two minutes read its 185 BPM
member's four-beat repetition 0.30 (0.65 once resampled) against 0.47 over two
beats, which passed the backbeat rule and put the song at double tempo.
Resampled along the tracker's own beats, the repetition is read as it is
heard.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from .features import FPS
from .periodicity import acf_at, autocorr

STEADY_SPAN_S = 5.0  # the local tempo: the mean beat period over this long
# Below this largest departure of the local tempo from the mean the envelope
# is left as it is (the tracker's frame-rounded beats alone read up to about
# 0.5 % on steady songs), so that steady songs read exactly as before.
DRIFT_MIN = 0.012
# ... and the resampled envelope is used only where it repeats clearly better
# (mean autocorrelation at one, two and four beats): a tracker's grid that
# wanders on a steady song would smear it instead. Gains measured: the
# drifting 90 BPM song above +0.36; 31 steady songs (generated, game
# soundtracks) -0.05 to +0.09; generated songs with +-2 % drift +0.05.
STEADY_GAIN = 0.1


def local_periods(frames: np.ndarray) -> np.ndarray:
    """Each beat's period (frames): the slope of a straight line fitted to the
    beats within `STEADY_SPAN_S` around it (sub-frame, and a beat snapped a
    frame early or late moves it little); the first and last half span take
    the slope of the nearest whole span."""
    f = np.asarray(frames, dtype=float)
    if len(f) < 3:
        return np.diff(f)
    span = int(np.clip(round(STEADY_SPAN_S * FPS / float(np.median(np.diff(f)))), 3, len(f)))
    k = np.arange(span) - (span - 1) / 2.0
    slopes = np.convolve(f, k[::-1] / float(k @ k), mode="valid")
    return np.pad(slopes, (span // 2, span - 1 - span // 2), mode="edge")


def drift(frames: np.ndarray) -> float:
    """Largest departure of the local tempo from the mean (0.03: 3 %)."""
    local = local_periods(frames)
    if len(local) < 2:
        return 0.0
    return float(np.max(np.abs(local / local.mean() - 1.0)))


def steady_clock(frames: np.ndarray, n: int) -> np.ndarray | None:
    """For each of `n` envelope frames, its time (in frames) on a clock that
    runs at the beats' mean tempo; None where the tempo holds within
    `DRIFT_MIN` (nothing to undo)."""
    if len(frames) < 8 or drift(frames) < DRIFT_MIN:
        return None
    local = local_periods(frames)
    rate = local.mean() / np.interp(np.arange(n), np.asarray(frames, dtype=float), local)
    return np.concatenate([[0.0], np.cumsum(rate[:-1])])


def resample(env: np.ndarray, clock: np.ndarray) -> np.ndarray:
    """`env` read at whole frames of `clock` (the band played at its mean tempo)."""
    m = min(len(env), len(clock))
    return np.interp(np.arange(0.0, clock[m - 1]), clock[:m], env[:m])


def _repetition(env: np.ndarray, period: float) -> float:
    ac = autocorr(env, min(len(env) - 1, int(period * 4) + 8))
    return float(np.mean([acf_at(ac, period * k) for k in (1, 2, 4)]))


def steady_clock_if_clearer(env: np.ndarray, frames: np.ndarray) -> np.ndarray | None:
    """`steady_clock` of the beats `frames`, where the band drifts and the
    resampled `env` repeats at least `STEADY_GAIN` better over one, two and four
    beats than `env` itself; else None (read `env` as it is)."""
    clock = steady_clock(frames, len(env))
    if clock is None:
        return None
    period = float(np.mean(np.diff(np.asarray(frames, dtype=float))))
    steady_period = float(np.mean(local_periods(frames)))
    gain = _repetition(resample(env, clock), steady_period) - _repetition(env, period)
    return clock if gain >= STEADY_GAIN else None
