"""Spectral ducking of the instrumental under the vocals, step 12.5.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, band_rms_db, noise, sine

from musicmixer.dsp.ducking import SpectralDucker, duck_instrumental, vocal_activity


def vocal_in_the_middle(seconds=4.0):
    """Silence, then 2 s of 'singing' (a 440 Hz tone), then silence."""
    v = np.zeros((2, int(seconds * SR)), np.float32)
    v[:, SR:3 * SR] = sine(440, 2.0, -12.0)
    return v


def test_only_the_mid_band_is_ducked_while_vocals_sing():
    inst = noise(4.0, 0.1, seed=4)
    out = duck_instrumental(inst, vocal_in_the_middle(), SR)
    singing = slice(int(1.3 * SR), int(2.7 * SR))
    quiet = slice(int(3.6 * SR), 4 * SR)

    def change(lo, hi, part):
        return band_rms_db(out[:, part], lo, hi) - band_rms_db(inst[:, part], lo, hi)

    assert change(600, 2000, singing) == pytest.approx(-3.5, abs=0.3)
    assert abs(change(30, 120, singing)) < 0.3
    assert abs(change(8000, 16000, singing)) < 0.3
    assert abs(change(600, 2000, quiet)) < 0.3


def test_no_vocals_means_no_change():
    inst = noise(2.0, 0.1, seed=5)
    silent = np.zeros_like(inst)
    assert np.array_equal(duck_instrumental(inst, silent, SR), inst)
    # vocals present elsewhere: the untouched stretch is (nearly) bit-exact
    out = duck_instrumental(noise(4.0, 0.1, seed=5), vocal_in_the_middle(), SR)
    ref = noise(4.0, 0.1, seed=5)
    assert np.allclose(out[:, 5000:SR // 2], ref[:, 5000:SR // 2], atol=1e-4)


def test_attack_and_release():
    ducker = SpectralDucker()
    n = 4 * SR
    gain = ducker.mid_gain_db(vocal_in_the_middle(), SR, n)
    onset, offset = SR, 3 * SR
    assert gain[onset - int(0.1 * SR)] == pytest.approx(0, abs=0.01)
    assert gain[onset + int(0.2 * SR)] == pytest.approx(-3.5, abs=0.05)
    # 30 ms attack is much faster than the 150 ms release
    down = -gain[onset + int(0.06 * SR)]
    up = gain[offset + int(0.06 * SR)] + 3.5
    assert down > 2.0 and up < 2.0
    assert gain[offset + int(0.8 * SR)] == pytest.approx(0, abs=0.05)


def test_vocal_activity_ignores_bleed():
    v = vocal_in_the_middle()
    v += noise(4.0, 10 ** (-70 / 20), seed=9)  # bleed far below the singing
    active, block = vocal_activity(v, SR)
    seconds = np.arange(len(active)) * block / SR
    assert active[(seconds > 1.2) & (seconds < 2.8)].all()
    assert not active[(seconds < 0.8) | (seconds > 3.2)].any()
