"""The compressor (static curve, timing) and step 11's per-stem ratios.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, noise, sine

from musicmixer.dsp.dynamics import Compressor, compress_vocal, static_gain_db, vocal_compressor


def steady_gain_db(y, x):
    tail = slice(-SR // 2, None)
    return 20 * np.log10(np.abs(y[:, tail]).max() / np.abs(x[:, tail]).max())


def test_static_curve():
    assert static_gain_db(np.array([-30.0]), -20, 3)[0] == 0
    assert static_gain_db(np.array([-10.0]), -20, 3)[0] == pytest.approx(-20 / 3)
    # soft knee: continuous, half-way at the threshold
    knee = static_gain_db(np.array([-20.0, -17.0, -10.0]), -20, 3, knee_db=6)
    assert knee[0] == pytest.approx(-(2 / 3) * 9 / 12) and knee[1] == pytest.approx(-2.0)
    assert knee[2] == pytest.approx(-20 / 3)


def test_ten_db_over_at_3_to_1_takes_6_7_db():
    x = sine(1000, 2.0, peak_db=-10.0)
    y = Compressor(threshold_db=-20, ratio=3, attack_ms=10, release_ms=80)(x, SR)
    assert steady_gain_db(y, x) == pytest.approx(-6.67, abs=0.2)


def test_below_threshold_is_untouched():
    x = sine(1000, 1.0, peak_db=-30.0)
    assert np.allclose(Compressor()(x, SR), x, atol=1e-6)


def test_makeup_gain():
    x = sine(1000, 1.0, peak_db=-30.0)
    assert steady_gain_db(Compressor(makeup_db=3.0)(x, SR), x) == pytest.approx(3.0, abs=0.01)


def test_attack_and_release_timing():
    quiet, loud = sine(1000, 0.5, -40.0), sine(1000, 0.5, 0.0)
    x = np.concatenate([quiet, loud, quiet], axis=1)
    comp = Compressor(threshold_db=-20, ratio=4, attack_ms=10, release_ms=80)
    gain = comp.gain_db(x, SR)
    onset, offset = SR // 2, SR
    assert gain[onset - 128] == pytest.approx(0, abs=0.01)  # blocks: under 1.5 ms early
    full = -15.0  # 20 dB over at 4:1
    assert gain[onset + int(0.05 * SR)] == pytest.approx(full, abs=0.3)  # 5 time constants
    assert gain[onset + int(0.005 * SR)] > full * 0.8  # still on its way down
    assert gain[offset + int(0.08 * SR)] == pytest.approx(full * np.exp(-1), abs=1.0)
    assert gain[-1] == pytest.approx(0, abs=0.1)


def test_stereo_link():
    x = sine(1000, 1.0, -10.0)
    x[1] *= 0.1
    y = Compressor()(x, SR)
    assert np.allclose(y[1] / np.where(x[1] == 0, 1, x[1]), y[0] / np.where(x[0] == 0, 1, x[0]),
                       atol=1e-4)


@pytest.mark.parametrize("stem,ratio", [("lead_vocals", 3.0), ("vocals", 3.0),
                                        ("backing_vocals", 2.0)])
def test_step_11_ratios(stem, ratio):
    comp = vocal_compressor(stem)
    assert (comp.threshold_db, comp.ratio, comp.attack_ms, comp.release_ms) == (
        -20.0, ratio, 10.0, 80.0)


def test_backing_is_compressed_less_than_lead():
    x = sine(1000, 2.0, peak_db=-10.0)
    lead = steady_gain_db(compress_vocal(x, SR, "lead_vocals"), x)
    backing = steady_gain_db(compress_vocal(x, SR, "backing_vocals"), x)
    assert lead == pytest.approx(-20 / 3, abs=0.2)
    assert backing == pytest.approx(-5.0, abs=0.2)


def test_non_vocal_stem_is_refused():
    with pytest.raises(ValueError):
        compress_vocal(noise(0.1), SR, "drums")


def test_empty_and_mono_input():
    assert Compressor()(np.zeros((2, 0), np.float32), SR).shape == (2, 0)
    mono = sine(1000, 0.5, -10.0, channels=1)[0]
    assert Compressor()(mono, SR).shape == mono.shape


@pytest.mark.parametrize("block, n, m", [(1, 10, 10), (4, 37, 10), (5, 50, 10), (64, 1000, 16),
                                         (33, 5000, 152), (64, 40, 3), (8, 100, 1)])
def test_blocks_to_samples_is_interp_at_block_centres(block, n, m):
    from musicmixer.dsp.dynamics import blocks_to_samples

    values = np.random.default_rng(block + n).standard_normal(m)
    centres = np.arange(m) * block + (block - 1) / 2.0
    want = np.interp(np.arange(n), centres, values)
    np.testing.assert_allclose(blocks_to_samples(values, block, n), want, rtol=0, atol=1e-12)
    got32 = blocks_to_samples(values, block, n, np.float32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=0, atol=1e-5)
