"""Step 9's Rubber Band wrapper: pitch and time map, the cheapest working form
that loses nothing, room for an upward shift, level kept near full scale.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np
import pytest
from _dsp_signals import SR, band_rms_db, noise, sine

from musicmixer.mix import rubberband


def test_rubberband_shifts_pitch_and_follows_the_time_map():
    x = sine(440.0, 2.0, peak_db=-10.0)
    y = rubberband.stretch(x, SR, time_map=np.array([[0.0, 0.0], [1.0, 1.3], [2.0, 2.4]]),
                           out_samples=int(2.4 * SR), semitones=2, vocal=True)
    assert y.shape == (2, int(2.4 * SR))
    spec = np.abs(np.fft.rfft(y[0, SR // 2: 2 * SR]))
    peak = np.fft.rfftfreq(len(y[0, SR // 2: 2 * SR]), 1 / SR)[np.argmax(spec)]
    assert abs(peak - 440.0 * 2 ** (2 / 12)) < 3.0


def harmonic(freq, seconds=2.0, top_hz=6000.0, stereo=(1.0, 1.0)):
    """A note with harmonics up to `top_hz`, each channel scaled as given."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * k * freq * t) / k for k in range(1, int(top_hz // freq) + 1))
    return (0.2 * np.stack([stereo[0] * x, stereo[1] * x])).astype(np.float32)


def test_rubberband_working_form_is_the_cheapest_that_loses_nothing():
    same = harmonic(220.0)  # nothing above 6 kHz
    work, rate, mono = rubberband.working_form(same, SR)
    assert mono and work.shape[0] == 1 and rate == 22050
    wide = harmonic(220.0, stereo=(1.0, 0.9))  # side at -26 dB: a real stereo image
    _, rate, mono = rubberband.working_form(wide, SR)
    assert not mono and rate == 22050
    _, rate, _ = rubberband.working_form(harmonic(220.0, top_hz=12000.0), SR)
    assert rate == 32768  # harmonics up to 12 kHz: more than 22.05 kHz carries
    bright = same + noise(2.0, 0.05)  # full-band noise: air above 14 kHz
    _, rate, mono = rubberband.working_form(bright, SR)
    assert rate == SR and not mono


@pytest.mark.parametrize("top_hz, cheap_rate", [(6000.0, 22050), (12000.0, 32768)])
def test_rubberband_cheap_form_sounds_like_the_full_one(monkeypatch, top_hz, cheap_rate):
    """Band levels of a stretched, shifted band-limited note agree within 1 dB
    whether R3 ran on one channel at a lower rate or on both at 44.1 kHz."""
    x = harmonic(220.0, 3.0, top_hz=top_hz, stereo=(1.0, 0.999))  # side at -66 dB
    assert rubberband.working_form(x, SR)[1:] == (cheap_rate, True)
    kw = dict(ratio=1.25, semitones=2.0, vocal=True)
    cheap = rubberband.stretch(x, SR, **kw)
    monkeypatch.setattr(rubberband, "NEGLIGIBLE_DB", -1000.0)
    assert rubberband.working_form(x, SR)[1:] == (SR, False)
    full = rubberband.stretch(x, SR, **kw)
    assert cheap.shape == full.shape == (2, int(round(x.shape[-1] * 1.25)))
    assert np.array_equal(cheap[0], cheap[1])
    middle = slice(SR // 2, cheap.shape[-1] - SR // 2)
    for lo in (200, 400, 800, 1600, 3200, 6400)[: 5 if top_hz < 8000 else 6]:
        assert band_rms_db(cheap[:, middle], lo, 2 * lo) == pytest.approx(
            band_rms_db(full[:, middle], lo, 2 * lo), abs=1.0)


def test_rubberband_rate_leaves_room_for_an_upward_shift(monkeypatch):
    """A note whose top harmonics sit just under what 22.05 kHz carries is shifted up
    past it by +3 semitones: the rate must carry the shifted band, not only the input."""
    x = harmonic(300.0, 3.0, top_hz=9000.0, stereo=(1.0, 1.0))  # up to 9 kHz -> 10.7 kHz
    assert rubberband.working_form(x, SR)[1] == 22050
    assert rubberband.working_form(x, SR, semitones=-3.0)[1] == 22050
    assert rubberband.working_form(x, SR, semitones=3.0)[1] == 32768
    shifted = rubberband.stretch(x, SR, semitones=3.0, vocal=False)
    monkeypatch.setattr(rubberband, "NEGLIGIBLE_DB", -1000.0)
    full = rubberband.stretch(x, SR, semitones=3.0, vocal=False)
    middle = slice(SR // 2, x.shape[-1] - SR // 2)
    assert band_rms_db(shifted[:, middle], 9800, 11000) == pytest.approx(
        band_rms_db(full[:, middle], 9800, 11000), abs=1.0)


def test_rubberband_keeps_the_level_of_a_stem_near_full_scale():
    """The rubberband tool clamps its output at full scale or restarts at a lower
    gain; a loud stem must come back as loud as it went in, peaks over 1.0 kept."""
    x = harmonic(110.0, 4.0, top_hz=4000.0, stereo=(1.0, 0.8))
    x *= np.float32(0.99 / np.abs(x).max())
    y = rubberband.stretch(x, SR, semitones=-2.0, vocal=False)
    middle = slice(SR // 2, x.shape[-1] - SR // 2)
    level = lambda a: 10 * np.log10(np.mean(a[:, middle].astype(np.float64) ** 2))  # noqa: E731
    assert level(y) == pytest.approx(level(x), abs=0.3)
    assert np.abs(y).max() > 1.0  # the shifted waveform's own overshoot, not clamped
