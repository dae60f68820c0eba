"""The median sung pitch (analysis step 3.5) that tells "her voice" from
"his voice": harmonic tones with vibrato and breaths, at 44.1 kHz.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.analysis.vocal_pitch import median_sung_pitch

SR = 44100


def sung(f0: float, seconds: float = 8.0, seed: int = 0) -> np.ndarray:
    """A voice-like tone: 8 harmonics falling off, 5 Hz vibrato, a rest every 2 s, light noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    freq = f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(freq) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, 9))
    y *= (t % 2.0) < 1.6
    return (0.2 * y + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize("f0", [110.0, 165.0, 220.0, 330.0, 440.0])
def test_median_pitch_of_a_sung_tone(f0):
    got = median_sung_pitch(sung(f0), SR, [(0.0, 8.0)])
    assert got == pytest.approx(f0, rel=0.03)


def test_a_higher_singer_reads_higher_and_stereo_is_accepted():
    low = median_sung_pitch(np.stack([sung(150.0)] * 2), SR, [(0.0, 8.0)])
    high = median_sung_pitch(sung(340.0, seed=1), SR, [(0.0, 8.0)])
    assert high / low > 2.0


def test_noise_or_no_singing_gives_no_pitch():
    noise = (0.2 * np.random.default_rng(3).standard_normal(8 * SR)).astype(np.float32)
    assert median_sung_pitch(noise, SR, [(0.0, 8.0)]) is None
    assert median_sung_pitch(sung(220.0), SR, []) is None
