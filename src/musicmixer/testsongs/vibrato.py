"""Vibrato and a slow pitch drift on a rendered voice, as singers have.

Festival sings a sustained "ooh" at one flat pitch, and HTDemucs takes such a
voice for a synth pad: on its own, the default harmony's backing part goes
0 % to the vocal stem (the rest to "other"); the same part with this vibrato
and drift goes 99 % to vocals (seed 1, 16 s of the chorus). The
`backing="harmony_vibrato"` songs use it to measure the vocal split on
backing voices that a separator hears as voices.

The pitch moves by reading the audio at a varying rate; both modulations are
sinusoids, so the read position never strays more than 5 ms from the
score and the notes stay on the song's timeline.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 44100


def add_vibrato(audio: np.ndarray, seed: int, rate_hz: float = 5.5, depth_cents: float = 35.0,
                drift_cents: float = 15.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(channels, n) -> the same shape: vibrato of `depth_cents` at about
    `rate_hz` plus a drift of `drift_cents` from two slow sinusoids, their
    rates and phases drawn from `seed` (two voices drift apart, as singers do)."""
    x = np.asarray(audio, dtype=np.float32)
    n = x.shape[-1]
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    vib = _cents(depth_cents) * np.sin(2 * np.pi * rate_hz * (1 + 0.05 * rng.standard_normal()) * t
                                       + rng.uniform(0, 2 * np.pi))
    slow = rng.uniform(0.3, 1.2, size=2)
    drift = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in slow) / 2
    ratio = 1.0 + vib + _cents(drift_cents) * drift
    return read_at(x, np.concatenate([[0.0], np.cumsum(ratio[:-1])]))


def read_at(audio: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(channels, n) audio read at the fractional sample positions `pos`
    (length n, linear interpolation): a read rate above 1 raises the pitch."""
    x = np.asarray(audio, dtype=np.float32)
    n = x.shape[-1]
    idx = np.arange(n)
    return np.stack([np.interp(pos, idx, ch) for ch in x.reshape(-1, n)]).reshape(x.shape).astype(np.float32)


def _cents(c: float) -> float:
    return float(2.0 ** (c / 1200.0) - 1.0)
