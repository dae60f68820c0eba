"""The generator's `lead_style="realistic"` option: the lead sung with a pitch
contour (scoop, overshoot, delayed vibrato, drift, per-note misses), a realism
fix of our test material. Onsets stay the score's; default songs are unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.testsongs import SongSpec
from musicmixer.testsongs.compose import Note, compose
from musicmixer.testsongs.lead_contour import note_offsets_cents, shape_cents, warp_lead
from musicmixer.testsongs.voice import festival_available, singing_xml

SR = 44100


def _note(start: float, end: float, pitch: int = 69) -> Note:
    return Note(beat=0.0, beats=1.0, pitch=pitch, velocity=100, lyric="la", start=start, end=end)


NOTES = [_note(0.5, 1.5), _note(1.5, 2.5), _note(3.0, 3.8)]


def _cents_track(x: np.ndarray, f_ref: float) -> np.ndarray:
    """Pitch of a pure tone per period in cents re f_ref, from its upward zero
    crossings, averaged over 4 periods."""
    i = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    times = (i + x[i] / (x[i] - x[i + 1])) / SR
    return 1200 * np.log2(4.0 / (times[4:] - times[:-4]) / f_ref)


def test_the_read_position_is_exact_at_every_onset_and_close_inside_notes():
    n = 4 * SR
    ramp = np.arange(n, dtype=np.float64)[None]  # reading a ramp returns the read position
    pos = warp_lead(ramp.astype(np.float32), NOTES, seed=5)[0].astype(np.float64)
    dev_ms = (pos - np.arange(n)) / SR * 1000
    for nt in NOTES:
        assert abs(dev_ms[int(round(nt.start * SR))]) < 0.1
    assert np.max(np.abs(dev_ms)) < 3.0
    assert np.max(np.abs(dev_ms[: int(0.5 * SR)])) < 0.1  # nothing moves before the first note


def test_the_pitch_scoops_then_swings_with_vibrato_and_silence_stays_silent():
    n = 4 * SR
    t = np.arange(n) / SR
    on = np.zeros(n, dtype=bool)
    for nt in NOTES:
        on |= (t >= nt.start) & (t < nt.end)
    tone = np.where(on, np.sin(2 * np.pi * 440.0 * t), 0.0).astype(np.float32)
    out = warp_lead(np.stack([tone, tone]), NOTES, seed=5)
    assert out.shape == (2, n) and out.dtype == np.float32
    late = _cents_track(out[0, int(0.9 * SR):int(1.45 * SR)].astype(np.float64), 440.0)
    assert np.percentile(late, 98) - np.percentile(late, 2) >= 40.0  # vibrato of +-25..40 cents
    start = _cents_track(out[0, int(0.5 * SR):int(0.53 * SR)].astype(np.float64), 440.0)
    assert start.mean() < -15.0  # the note starts below its pitch
    # the rest before the last note stays silent, and that note starts on time
    assert not np.any(np.abs(out[:, int(2.51 * SR):int(2.99 * SR)]) > 1e-6)
    first = np.nonzero(np.abs(out[0, int(2.9 * SR):]) > 1e-3)[0][0] / SR + 2.9
    assert abs(first - 3.0) < 0.002


def test_every_note_gets_its_own_miss_within_a_few_tens_of_cents():
    notes = [_note(0.3 * i, 0.3 * i + 0.25) for i in range(40)]
    off = np.array(note_offsets_cents(notes, seed=7))
    assert off.shape == (40,) and np.all(np.abs(off) <= 35.0) and off.std() > 3.0
    assert note_offsets_cents(notes, seed=7) == list(off)  # seeded: byte-identical songs
    assert not np.allclose(shape_cents(notes, 13 * SR, 7), shape_cents(notes, 13 * SR, 8))
    xml = singing_xml(notes[:1], [100.0])
    assert 'FREQ="466.1638"' in xml  # A4 sung 100 cents sharp = Bb4
    assert 'FREQ="440.0000"' in singing_xml(notes[:1])


def test_the_option_keeps_the_notes_and_default_songs_under_their_old_key():
    plain, real = SongSpec(seed=3, bars=16), SongSpec(seed=3, bars=16, lead_style="realistic")
    a, b = compose(plain), compose(real)
    assert [(n.start, n.end, n.pitch) for n in a.parts["lead"]] == \
           [(n.start, n.end, n.pitch) for n in b.parts["lead"]]
    assert real.cache_key("festival") != plain.cache_key("festival")
    assert plain.cache_key("festival") == "1bb37edcdaac"  # songs on disk stay valid
    assert "lead_style" not in plain.as_dict() and real.as_dict()["lead_style"] == "realistic"
    with pytest.raises(ValueError, match="lead_style"):
        SongSpec(lead_style="wobbly")


@pytest.mark.skipif(not festival_available(), reason="needs Festival to sing")
def test_a_sung_realistic_lead_starts_its_phrases_where_the_flat_one_does(tmp_path):
    from musicmixer.testsongs import generate_song

    base = dict(tempo=120.0, seed=11, bars=4, voices="festival", sections=(("verse", 4),))
    flat = generate_song(SongSpec(**base), tmp_path).load_stem("lead_vocals")[0]
    real = generate_song(SongSpec(lead_style="realistic", **base), tmp_path).load_stem("lead_vocals")[0]
    assert flat.shape == real.shape and not np.allclose(flat, real, atol=1e-3)

    def starts(x):  # sample where each sounding stretch begins after >= 50 ms of silence
        idx = np.nonzero(np.abs(x) > 1e-4)[0]
        return idx[np.concatenate([[True], np.diff(idx) > 0.05 * SR])]

    sf, sr_ = starts(flat), starts(real)
    assert len(sf) == len(sr_) and np.max(np.abs(sf - sr_)) / SR < 0.005
