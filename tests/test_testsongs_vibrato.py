"""The generator's `backing="harmony_vibrato"` option: the default harmony's
notes, sung with vibrato and a slow drift (`testsongs.vibrato`), so that a
separator hears the backing voices as voices. Default songs stay as they were."""

from __future__ import annotations

import numpy as np

from musicmixer.testsongs import SongSpec
from musicmixer.testsongs.compose import compose
from musicmixer.testsongs.vibrato import add_vibrato

SR = 44100


def _cents_track(x: np.ndarray, f_ref: float) -> np.ndarray:
    """Pitch of a pure tone per period, in cents re f_ref, from the times of
    its upward zero crossings (interpolated), averaged over 4 periods."""
    i = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    times = (i + x[i] / (x[i] - x[i + 1])) / SR
    f = 4.0 / (times[4:] - times[:-4])
    return 1200 * np.log2(f / f_ref)


def test_vibrato_moves_the_pitch_and_keeps_the_timeline():
    n = 4 * SR
    t = np.arange(n) / SR
    tone = np.where((t >= 1.0) & (t < 3.0), np.sin(2 * np.pi * 440.0 * t), 0.0).astype(np.float32)
    out = add_vibrato(np.stack([tone, tone]), seed=3)
    assert out.shape == (2, n) and out.dtype == np.float32
    assert np.array_equal(out[0], out[1])
    cents = _cents_track(out[0, int(1.2 * SR):int(2.8 * SR)].astype(np.float64), 440.0)
    swing = np.percentile(cents, 98) - np.percentile(cents, 2)
    assert 50.0 <= swing <= 120.0  # +-35 cents of vibrato plus up to +-15 of drift
    assert np.ptp(_cents_track(tone[int(1.2 * SR):int(2.8 * SR)].astype(np.float64), 440.0)) < 2.0
    # silence stays silent and the tone starts and stops where it did, within 5 ms
    on = np.nonzero(np.abs(out[0]) > 1e-3)[0]
    assert abs(on[0] / SR - 1.0) < 0.005 and abs(on[-1] / SR - 3.0) < 0.005
    assert not np.any(out[:, : int(0.99 * SR)])


def test_two_seeds_drift_apart():
    x = np.sin(2 * np.pi * 330.0 * np.arange(2 * SR) / SR).astype(np.float32)[None]
    assert not np.allclose(add_vibrato(x, seed=0), add_vibrato(x, seed=1), atol=1e-3)


def test_the_style_sings_the_default_harmony_notes_under_its_own_cache_key():
    plain, vib = SongSpec(seed=3, bars=16), SongSpec(seed=3, bars=16, backing="harmony_vibrato")
    a, b = compose(plain), compose(vib)
    for part in ("lead", "backing_hi", "backing_lo"):
        assert [(n.start, n.end, n.pitch, n.lyric) for n in a.parts[part]] == \
               [(n.start, n.end, n.pitch, n.lyric) for n in b.parts[part]]
    assert b.parts["backing_hi"]
    assert vib.cache_key("festival") != plain.cache_key("festival")
    assert plain.cache_key("festival") == "1bb37edcdaac"  # songs on disk stay valid
