"""Mastering, steps 14-15, and reference mastering, step 14.5.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, music_like, noise, pink, sine

from musicmixer.audio import integrated_lufs, true_peak_db
from musicmixer.dsp.filters import HighShelf
from musicmixer.dsp.limiter import TruePeakLimiter
from musicmixer.dsp.mastering import apply_fades, fade_curves, master
from musicmixer.dsp.reference import match_curve, reference_master


@pytest.mark.parametrize("scale,target", [(0.01, -14.0), (6.0, -14.0), (1.0, -12.0)],
                         ids=["quiet", "loud", "normal-12"])
def test_master_hits_target_under_the_ceiling(scale, target):
    x = music_like(6.0) * np.float32(scale)
    y, report = master(x, SR, target_lufs=target, ceiling_db=-1.0)
    assert y.shape == x.shape and y.dtype == np.float32
    assert integrated_lufs(y, SR) == pytest.approx(target, abs=0.5)
    assert true_peak_db(y) <= -1.0
    assert report["lufs"] == pytest.approx(integrated_lufs(y, SR))
    assert report["true_peak"] == pytest.approx(true_peak_db(y))
    assert report["target_reached"]
    assert report["gain_db"] == pytest.approx(target - report["input_lufs"], abs=4.0)


def test_master_other_ceiling():
    y, report = master(noise(4.0, 0.5), SR, target_lufs=-10.0, ceiling_db=-2.0)
    assert true_peak_db(y) <= -2.0
    assert report["lufs"] == pytest.approx(-10.0, abs=0.5)


def test_drive_cap_reports_a_missed_target():
    """Spiky material cannot be made loud without crushing it: the limiter
    stops at max_drive_db and the report says the target was missed."""
    x = np.zeros((2, 6 * SR), np.float32)
    x[:, ::SR // 4] = 1.0  # clicks
    x += noise(6.0, 0.001)
    y, report = master(x, SR, -14.0, -1.0, max_drive_db=3.0, first_pass_drive_db=3.0)
    assert not report["target_reached"] and report["lufs"] < -20
    assert report["limiter_db"] <= 3.2
    assert true_peak_db(y) <= -1.0


def test_master_silence():
    y, report = master(np.zeros((2, SR), np.float32), SR)
    assert not np.any(y) and report["lufs"] == float("-inf")


def test_limiter_catches_intersample_peaks():
    # a sine at fs/4 with a 45 degree phase: samples at 0.707, true peak 1.0
    n = SR
    t = np.arange(n)
    x = np.tile(np.sin(np.pi / 2 * t + np.pi / 4), (2, 1)).astype(np.float32) * 1.2
    assert true_peak_db(x) > np.max(20 * np.log10(np.abs(x))) + 2
    y = TruePeakLimiter(ceiling_db=-1.0)(x, SR)
    assert true_peak_db(y) <= -1.0
    assert true_peak_db(y) > -1.5  # not far under


def test_limiter_leaves_quiet_audio_alone():
    x = sine(440, 1.0, -12.0)
    assert np.array_equal(TruePeakLimiter()(x, SR), x)


def test_equal_power_fades():
    n = 10 * SR
    g = fade_curves(n, SR, 2.0, 3.0)
    assert g[0] == 0 and g[SR] == pytest.approx(np.sin(np.pi / 4))  # half-way: -3 dB
    assert g[2 * SR] == 1.0 and g[5 * SR] == 1.0
    assert g[n - 1] == pytest.approx(0, abs=1e-9)
    assert g[n - int(1.5 * SR)] == pytest.approx(np.cos(np.pi / 4), abs=1e-3)
    short = fade_curves(SR, SR, 2.0, 3.0)  # both scaled to fit one second
    assert short[0] == 0 and short.max() <= 1.0 and short[-1] == pytest.approx(0, abs=1e-9)
    x = noise(10.0)
    assert np.allclose(apply_fades(x, SR)[:, 3 * SR], x[:, 3 * SR])


def test_reference_curve_finds_a_darker_mix():
    ref = pink(6.0, 0.1, seed=1)
    mix = HighShelf(3000, -5.0)(pink(6.0, 0.03, seed=2), SR)
    freqs, gains = match_curve(mix, ref, SR)
    assert np.all(np.abs(gains) <= 6.0)
    assert gains[freqs > 6000].min() > 3.5  # brightens the top
    assert np.abs(gains[(freqs > 100) & (freqs < 1000)]).max() < 1.0  # leaves the middle


def test_reference_master_matches_tone_loudness_and_ceiling():
    ref = pink(6.0, 0.1, seed=1)
    mix = HighShelf(3000, -5.0)(pink(6.0, 0.03, seed=2), SR)
    out, report = reference_master(mix, ref, SR, ceiling_db=-1.0, fade_in_s=0, fade_out_s=0)
    assert report["lufs"] == pytest.approx(integrated_lufs(ref, SR), abs=0.5)
    assert true_peak_db(out) <= -1.0
    _, residual = match_curve(out, ref, SR)
    assert np.abs(residual).max() < 1.5
    assert len(report["eq_curve"]["freqs"]) == len(report["eq_curve"]["gain_db"])


def test_reference_eq_is_limited_to_6_db():
    ref = pink(4.0, 0.1, seed=1)
    mix = HighShelf(2000, -15.0)(pink(4.0, 0.1, seed=2), SR)
    _, gains = match_curve(mix, ref, SR)
    assert gains.max() == pytest.approx(6.0)
