"""Resonance detection and notching, step 9.5.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, noise, pink

from musicmixer.dsp.filters import PeakFilter
from musicmixer.dsp.resonance import find_resonances, notch_resonances


def test_finds_a_planted_400_hz_resonance():
    x = PeakFilter(400, 18.0, q=8)(pink(4.0, seed=1), SR)
    found = find_resonances(x, SR)
    assert len(found) == 1
    assert found[0].freq == pytest.approx(400, rel=0.02)
    assert found[0].prominence_db > 10 and 4 <= found[0].q <= 6


def test_notch_cuts_at_most_3_db():
    x = PeakFilter(400, 18.0, q=8)(pink(4.0, seed=1), SR)
    y, found = notch_resonances(x, SR)
    assert len(found) == 1
    spec = lambda a: np.abs(np.fft.rfft(a[0].astype(np.float64)))  # noqa: E731
    freqs = np.fft.rfftfreq(x.shape[1], 1 / SR)
    at = (freqs > 395) & (freqs < 405)
    change = 20 * np.log10(np.mean(spec(y)[at]) / np.mean(spec(x)[at]))
    assert -3.2 < change < -2.0


def test_flat_spectra_are_left_alone():
    for x in (noise(4.0, seed=2), pink(4.0, seed=3)):
        y, found = notch_resonances(x, SR)
        assert found == [] and np.array_equal(y, x)


def test_only_searches_its_bands_and_caps_the_count():
    x = pink(4.0, seed=4)
    x = PeakFilter(1000, 18.0, q=8)(x, SR)  # outside both search bands
    assert find_resonances(x, SR) == []
    for freq in (250, 450, 2500, 3500):
        x = PeakFilter(freq, 16.0 + freq / 1000, q=8)(x, SR)
    found = find_resonances(x, SR)
    assert len(found) == 3
    heights = [r.prominence_db for r in found]
    assert heights == sorted(heights, reverse=True)
