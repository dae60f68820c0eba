"""Biquads, crossovers and the step 7.7 vocal bandpass.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, band_rms_db, noise, sine

from musicmixer.dsp import Chain, Gain
from musicmixer.dsp.crossover import Crossover
from musicmixer.dsp.filters import (
    HighPass,
    HighShelf,
    LowPass,
    LowShelf,
    PeakFilter,
    bandpass_filter,
    response_db,
    vocal_bandpass,
)


@pytest.mark.parametrize("filt,freq,expected", [
    (PeakFilter(1000, -3.0, q=2.0), 1000, -3.0),
    (PeakFilter(1000, 6.0), 1000, 6.0),
    (LowShelf(200, -4.0), 20, -4.0),
    (HighShelf(8000, 3.0), 20000, 3.0),
    (HighPass(100), 100, -3.01),
    (LowPass(5000, order=4), 5000, -3.01),
])
def test_filter_responses(filt, freq, expected):
    assert response_db(filt.sos(SR), [freq], SR)[0] == pytest.approx(expected, abs=0.05)


def test_zero_phase_peak_keeps_the_written_gain():
    x = sine(1000, 1.0, -6.0)
    y = PeakFilter(1000, -4.0, zero_phase=True)(x, SR)
    mid = slice(SR // 4, 3 * SR // 4)
    gain = 20 * np.log10(np.abs(y[:, mid]).max() / np.abs(x[:, mid]).max())
    assert gain == pytest.approx(-4.0, abs=0.1)


def test_chain_applies_in_order_and_keeps_float32():
    x = noise(0.5)
    y = Chain([Gain(-6.0), HighPass(200)])(x, SR)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.allclose(y, HighPass(200)(x * 10 ** (-6 / 20), SR), atol=1e-6)


@pytest.mark.parametrize("high,removed", [(16000, 18000), (8000, 12000)])
def test_vocal_bandpass_step_7_7(high, removed):
    x = noise(2.0, seed=1)
    y = bandpass_filter(x, SR, low=150, high=high)
    assert y.shape == x.shape and y.dtype == np.float32
    assert band_rms_db(y, 1000, 3000) - band_rms_db(x, 1000, 3000) == pytest.approx(0, abs=0.3)
    assert band_rms_db(y, 20, 60) - band_rms_db(x, 20, 60) < -20
    assert band_rms_db(y, removed, 22000) - band_rms_db(x, removed, 22000) < -5


def test_vocal_bandpass_follows_the_eq_flag():
    x = noise(1.0, seed=2)
    assert np.array_equal(vocal_bandpass(x, SR, True), bandpass_filter(x, SR, 150, 16000))
    assert np.array_equal(vocal_bandpass(x, SR, False), bandpass_filter(x, SR, 150, 8000))


def test_bandpass_is_zero_phase():
    """A click stays where it was (symmetric impulse response around it)."""
    x = np.zeros((1, SR), dtype=np.float32)
    x[0, SR // 2] = 1.0
    y = bandpass_filter(x, SR)
    assert int(np.argmax(np.abs(y))) == SR // 2


@pytest.mark.parametrize("zero_phase", [True, False])
def test_lr4_bands_sum_flat(zero_phase):
    impulse = np.zeros((1, 1 << 16), dtype=np.float32)
    impulse[0, 1000] = 1.0
    bands = Crossover((150.0, 600.0, 3000.0), zero_phase=zero_phase).split(impulse, SR)
    assert len(bands) == 4
    total = np.sum(bands, axis=0)[0]
    mag = 20 * np.log10(np.abs(np.fft.rfft(total)) + 1e-12)
    freqs = np.fft.rfftfreq(total.size, 1 / SR)
    audible = (freqs > 20) & (freqs < 20000)
    assert np.max(np.abs(mag[audible])) < 0.1
    if zero_phase:  # and exactly the input
        assert np.allclose(total, impulse[0], atol=1e-4)


def test_lr4_band_slopes():
    impulse = np.zeros((1, 1 << 15), dtype=np.float32)
    impulse[0, 4000] = 1.0
    low, high = Crossover((1000.0,), zero_phase=False).split(impulse, SR)
    freqs = np.fft.rfftfreq(impulse.shape[-1], 1 / SR)
    low_db = 20 * np.log10(np.abs(np.fft.rfft(low[0])) + 1e-12)
    high_db = 20 * np.log10(np.abs(np.fft.rfft(high[0])) + 1e-12)
    at = lambda f: int(np.argmin(np.abs(freqs - f)))  # noqa: E731
    assert low_db[at(1000)] == pytest.approx(-6.0, abs=0.2)  # LR4: -6 dB at crossover
    assert high_db[at(1000)] == pytest.approx(-6.0, abs=0.2)
    assert low_db[at(4000)] < -45  # 24 dB/octave, two octaves up


@pytest.mark.parametrize("zero_phase", [True, False])
def test_one_band_alone_is_that_band_of_the_split(zero_phase):
    x = np.random.default_rng(3).standard_normal((2, SR)).astype(np.float32)
    xo = Crossover((300.0, 3000.0), zero_phase=zero_phase)
    bands = xo.split(x, SR)
    for i, band in enumerate(bands):
        assert np.allclose(xo.band(x, SR, i), band, atol=1e-6)


@pytest.mark.parametrize("n", [SR * 3, 8191, 5000])
def test_long_term_spectrum_is_scipys_welch(n):
    from scipy.signal import welch

    from musicmixer.dsp.reference import long_term_spectrum

    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, n))
    freqs, power = long_term_spectrum(x, SR)
    ref_f, ref_p = welch(x.mean(axis=0), SR, nperseg=min(8192, n), detrend=False)
    assert np.allclose(freqs, ref_f) and np.allclose(power, ref_p, rtol=1e-4, atol=0)
    # a loud tone over noise ~95 dB under it per bin: the quiet bins stay right too
    t = np.arange(n) / SR
    x = np.sin(2 * np.pi * 1000.0 * t) + 1e-3 * rng.standard_normal((2, n))
    _, power = long_term_spectrum(x, SR)
    _, ref_p = welch(x.mean(axis=0), SR, nperseg=min(8192, n), detrend=False)
    np.testing.assert_allclose(10 * np.log10(power), 10 * np.log10(ref_p), atol=0.1)


@pytest.mark.parametrize("n", [2, 5, 1000, 3 * (1 << 16) + 17])
@pytest.mark.parametrize("sections", [1, 3])
@pytest.mark.parametrize("zero_phase", [False, True])
@pytest.mark.parametrize("core", ["compiled", "public"])
def test_apply_sos_gives_scipys_numbers_piece_by_piece(n, sections, zero_phase, core,
                                                       monkeypatch):
    """The chunked filter carries its state across pieces: the same samples as one
    scipy call over the whole signal (odd padding for the zero-phase pass), through
    scipy's compiled loop and through the public call it falls back on."""
    from scipy import signal

    from musicmixer.dsp import filters
    from musicmixer.dsp.filters import apply_sos

    assert filters._sosfilt_core is not None  # this scipy has it
    if core == "public":
        monkeypatch.setattr(filters, "_sosfilt_core", None)

    x = (0.3 * np.random.default_rng(n).standard_normal((2, n))).astype(np.float32)
    sos = signal.butter(2 * sections, 150.0, fs=SR, output="sos")
    got = apply_sos(x, sos, zero_phase)
    x64 = x.astype(np.float64)
    if zero_phase:
        want = signal.sosfiltfilt(sos, x64, axis=-1, padlen=min(3 * (2 * sections + 1), n - 1))
    else:
        want = signal.sosfilt(sos, x64, axis=-1)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_array_equal(got, want.astype(np.float32))
