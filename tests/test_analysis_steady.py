"""`analysis.steady`: a drifting band's onset envelope played back at its mean
tempo, so that the octave rules read its repetition over bars as it is heard."""

from __future__ import annotations

import numpy as np

from musicmixer.analysis import steady


def _ramp_beats(n_beats: int, period: float, rise: float) -> np.ndarray:
    """Beat frames whose period shrinks linearly by `rise` (0.06: 6 % faster by the end)."""
    periods = period * (1.0 - rise * np.linspace(0.0, 1.0, n_beats - 1))
    return np.concatenate([[20.0], 20.0 + np.cumsum(periods)])


def _clicks(frames: np.ndarray, n: int) -> np.ndarray:
    env = np.zeros(n)
    env[np.round(frames).astype(int)] = 1.0
    return env


def test_a_steady_grid_is_left_alone():
    frames = 20.0 + 28.0 * np.arange(120) + np.random.default_rng(0).integers(-1, 2, 120)
    assert steady.drift(frames) < steady.DRIFT_MIN
    assert steady.steady_clock(frames, int(frames[-1]) + 50) is None


def test_a_speeding_band_is_resampled_to_even_beats():
    frames = _ramp_beats(120, 28.0, 0.06)
    n = int(frames[-1]) + 50
    assert steady.drift(frames) > 0.02
    clock = steady.steady_clock(frames, n)
    assert clock is not None
    evened = np.interp(frames, np.arange(n), clock)
    gaps = np.diff(evened)
    assert np.std(gaps) / np.mean(gaps) < 0.005  # was 1.7 % before
    assert np.std(np.diff(frames)) / np.mean(np.diff(frames)) > 0.015
    # and the envelope's clicks repeat far more plainly over four beats once resampled
    env = _clicks(frames, n)
    assert steady.steady_clock_if_clearer(env, frames) is not None


def test_a_grid_that_wanders_around_a_steady_band_is_not_trusted():
    """A tracker's grid that bends where the band does not: resampling along it
    would smear the envelope, so the envelope is read as it is."""
    rng = np.random.default_rng(1)
    true = 20.0 + 28.0 * np.arange(120)
    n = int(true[-1]) + 50
    env = _clicks(true, n) + 0.05 * rng.random(n)
    wander = true + 6.0 * np.sin(np.arange(120) / 6.0)  # a grid bending +-2 % for no reason
    assert steady.drift(wander) > steady.DRIFT_MIN
    assert steady.steady_clock_if_clearer(env, wander) is None
