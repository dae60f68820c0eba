"""`load_audio_range`: a span of a stem without holding the whole song, the same
samples as loading it whole and cutting."""

import numpy as np
import pytest
import soundfile as sf

from musicmixer.audio import load_audio, load_audio_range


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
