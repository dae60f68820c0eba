"""Readings that hold a piece of a song, not all of it, give what the whole-array
code gave: `load_audio_range` (a span of a stem) and the true-peak readings on
the 4x signal taken piece by piece."""

import numpy as np
import pytest
import soundfile as sf

from musicmixer.audio import load_audio, load_audio_range, oversampled, true_peak_db
from musicmixer.dsp.chain import amp_to_db
from musicmixer.dsp.limiter import sample_true_peaks_db


@pytest.mark.parametrize("subtype,channels", [("FLOAT", 2), ("PCM_16", 1)],
                         ids=["separated-stem", "other-file"])
@pytest.mark.parametrize("lo,hi", [(0, 100), (1234, 30000), (40000, 50000), (60000, 70000)])
def test_range_equals_the_whole_file_cut(tmp_path, subtype, channels, lo, hi):
    rng = np.random.default_rng(3)
    audio = (0.3 * rng.standard_normal((44100, channels))).astype(np.float32)
    path = tmp_path / "stem.wav"
    sf.write(str(path), audio, 44100, subtype=subtype)
    got = load_audio_range(path, lo, hi)
    want = load_audio(path)[:, lo:hi]
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [1, 1000, (1 << 16) + 3, 3 * (1 << 16)])
def test_true_peaks_piece_by_piece_equal_the_whole_copy(n):
    rng = np.random.default_rng(n)
    x = (0.5 * rng.standard_normal((2, n))).astype(np.float32)
    whole = np.stack([np.abs(oversampled(row)).reshape(n, 4).max(axis=1) for row in x])
    want = amp_to_db(np.maximum(whole.max(axis=0), np.abs(x).max(axis=0)))
    np.testing.assert_array_equal(sample_true_peaks_db(x), want)
    peak = max(float(whole.max()), float(np.abs(x).max()))
    assert true_peak_db(x) == 20.0 * np.log10(peak)
