"""Harsh and breathy lead voices, made from the sung (or GM) lead after rendering.

Real band vocals are rarely a clean vowel: screamed/overdriven voices are
saturated and noisy, breathy ones carry as much air as tone. Both are built from
the clean lead so that their onsets and pitches stay the score's (the truth is
unchanged); noise is seeded, so equal specs still give byte-identical audio.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 44100
DRIVE = 8.0            # tanh drive of the harsh voice: clips most of each syllable
GRIT = 0.35            # noise (relative to the envelope) riding on the harsh voice
BREATH = 0.8           # noise (relative to the envelope) of the breathy voice
BREATHY_TONE = 0.55    # how much of the voiced sound a breathy voice keeps


def envelope(mono: np.ndarray, window_s: float = 0.01) -> np.ndarray:
    """Moving RMS over `window_s`: the voice's loudness contour."""
    k = max(1, int(window_s * SAMPLE_RATE))
    c = np.concatenate([[0.0], np.cumsum(mono.astype(np.float64) ** 2)])
    padded = np.concatenate([c, np.full(k, c[-1])])
    rms = np.sqrt(np.maximum(padded[k:k + len(mono)] - c[:len(mono)], 0.0) / k)
    return rms


def _highpass(x: np.ndarray, hz: float) -> np.ndarray:
    """One-pole high-pass (air, not rumble), in float64."""
    a = np.exp(-2 * np.pi * hz / SAMPLE_RATE)
    from scipy.signal import lfilter

    return lfilter([(1 + a) / 2, -(1 + a) / 2], [1, -a], x)


def colour_voice(audio: np.ndarray | None, timbre: str, seed: int) -> np.ndarray | None:
    """The lead part (2, n) made harsh or breathy at the same loudness contour;
    'clean' (or silence) is returned as it is."""
    if audio is None or timbre == "clean":
        return audio
    mono = audio.mean(axis=0).astype(np.float64)
    peak = float(np.max(np.abs(mono)))
    if peak <= 0:
        return audio
    rng = np.random.default_rng(seed)
    env = envelope(mono)
    noise = _highpass(rng.standard_normal(len(mono)), 1500.0 if timbre == "breathy" else 400.0)
    noise /= float(np.sqrt(np.mean(noise ** 2))) or 1.0
    if timbre == "harsh":
        x = np.tanh(DRIVE * mono / peak) * peak
        x = x + GRIT * env * noise * np.sqrt(2.0)
    elif timbre == "breathy":
        x = BREATHY_TONE * mono + BREATH * env * noise
    else:
        raise ValueError(f"unknown voice timbre {timbre!r}")
    x *= (float(np.sqrt(np.mean(mono ** 2))) / (float(np.sqrt(np.mean(x ** 2))) or 1.0))
    return np.stack([x, x]).astype(np.float32)
