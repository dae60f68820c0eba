"""The plain SDR that tests and benchmarks judge separation by."""

import numpy as np
import pytest

from musicmixer.metrics import sdr


def test_sdr_reference_points():
    s = np.random.default_rng(0).standard_normal((2, 1000))
    assert sdr(s, np.zeros_like(s)) == pytest.approx(0.0, abs=1e-6)  # silence: 0 dB
    assert sdr(s, s) > 80  # perfect: bounded only by the epsilon
    assert sdr(s, 0.9 * s) == pytest.approx(20.0, abs=1e-6)  # error at a tenth of the amplitude
    assert sdr(s, 2 * s) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(sdr(np.zeros(10), np.zeros(10)))


def test_sdr_needs_matching_shapes():
    with pytest.raises(ValueError, match="shape"):
        sdr(np.zeros((2, 10)), np.zeros((2, 11)))
