"""Multiband compression, step 13.3, and the auto-leveler, step 13.7.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, band_rms_db, pink, rms_db

from musicmixer.audio import integrated_lufs
from musicmixer.config import load_settings
from musicmixer.dsp.leveler import AutoLeveler, auto_level, leveler_tuning
from musicmixer.dsp.multiband import MULTIBAND_BANDS, MULTIBAND_CROSSOVERS, multiband_compress


def test_reference_values():
    assert MULTIBAND_CROSSOVERS == (150.0, 600.0, 3000.0)
    assert [(b.threshold_db, b.ratio, b.attack_ms, b.release_ms) for b in MULTIBAND_BANDS] == [
        (-14, 4, 20, 200), (-20, 3, 10, 120), (-20, 2.5, 5, 100), (-24, 2, 3, 80)]


def test_multiband_restores_input_loudness():
    x = pink(4.0, level=0.3)
    y = multiband_compress(x, SR)
    assert y.shape == x.shape and y.dtype == np.float32
    assert integrated_lufs(y, SR) == pytest.approx(integrated_lufs(x, SR), abs=0.1)


def test_multiband_is_transparent_below_thresholds():
    x = pink(2.0, level=0.001)
    y = multiband_compress(x, SR, restore_lufs=False)
    assert np.allclose(y[:, 2000:-2000], x[:, 2000:-2000], atol=1e-5)


def test_multiband_compresses_a_loud_band_more():
    """A hot low band is pulled down relative to the rest (before the loudness restore)."""
    x = pink(3.0, level=0.05)
    t = np.arange(x.shape[1]) / SR
    x = x + (0.8 * np.sin(2 * np.pi * 60 * t)).astype(np.float32)
    y = multiband_compress(x, SR, restore_lufs=False)
    low = band_rms_db(y, 30, 120) - band_rms_db(x, 30, 120)
    high = band_rms_db(y, 5000, 15000) - band_rms_db(x, 5000, 15000)
    assert low < -3 and low < high - 2


@pytest.mark.parametrize("flags,expected", [
    ({}, (2.0, 3.0, 3.0)),
    ({"ab_autolvl_tune_v1": True}, (1.5, 2.5, 4.0)),
    ({"ab_multiband_comp_v1": True}, (1.0, 1.5, 3.0)),
    ({"ab_multiband_comp_v1": True, "ab_autolvl_tune_v1": True}, (1.0, 1.5, 4.0)),
])
def test_leveler_tuning_table(flags, expected):
    assert leveler_tuning(flags) == expected
    assert leveler_tuning(load_settings(**flags)) == expected


def test_leveler_brings_a_quiet_half_and_a_loud_half_closer():
    quiet, loud = pink(6.0, 0.05, seed=1), pink(6.0, 0.2, seed=2)  # 12 dB apart
    x = np.concatenate([quiet, loud], axis=1)
    y = auto_level(x, SR)
    half = x.shape[1] // 2
    mid_q, mid_l = slice(SR, half - 2 * SR), slice(half + 2 * SR, -SR)
    boost = rms_db(y[:, mid_q]) - rms_db(x[:, mid_q])
    cut = rms_db(y[:, mid_l]) - rms_db(x[:, mid_l])
    assert boost == pytest.approx(2.0, abs=0.2)  # the default limits
    assert cut == pytest.approx(-3.0, abs=0.2)


def test_leveler_limits_follow_the_tuning():
    x = np.concatenate([pink(6.0, 0.05, seed=1), pink(6.0, 0.2, seed=2)], axis=1)
    gain = AutoLeveler.from_flags({"ab_multiband_comp_v1": True}).gain_db(x, SR)
    assert gain.max() <= 1.0 + 1e-9 and gain.min() >= -1.5 - 1e-9
    assert gain.max() > 0.9 and gain.min() < -1.4


def test_leveler_leaves_steady_material_and_silence_alone():
    x = pink(8.0, 0.1)
    assert np.abs(AutoLeveler().gain_db(x, SR)).max() < 0.5
    silent = np.zeros((2, SR * 2), np.float32)
    assert not np.any(auto_level(silent, SR))
