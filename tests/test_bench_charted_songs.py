"""The charted set's bookkeeping (bench/charted_songs.py): beats and bar lines read
from a chart's tempo map and metre, the excerpt window, and the cut that sums the
band and the lead guitar. No network: a chart and its audio made here."""

from __future__ import annotations

import sys
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from charted_songs import SR, STARTS, chart_beats, cut, excerpt_name, load_charted, window


def _chart(path: Path) -> None:
    """120 BPM in 4/4 for 16 beats (8 s), then 150 BPM in 3/4; a note at each end."""
    tpb = 480
    mid = mido.MidiFile(ticks_per_beat=tpb)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track += [mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
              mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120), time=0),
              mido.Message("note_on", note=60, velocity=100, time=0),
              mido.Message("note_off", note=60, velocity=0, time=tpb),
              mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(150), time=15 * tpb),
              mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0),
              mido.Message("note_on", note=60, velocity=100, time=15 * tpb),
              mido.Message("note_off", note=60, velocity=0, time=tpb)]
    mid.save(str(path))


def test_beats_follow_the_tempo_map_and_bars_the_metre(tmp_path):
    _chart(tmp_path / "notes.mid")
    beats, bars = chart_beats(tmp_path / "notes.mid")
    assert np.allclose(np.diff(beats[:16]), 0.5)  # 120 BPM
    assert np.allclose(np.diff(beats[16:24]), 0.4)  # 150 BPM from beat 16 (8 s)
    assert np.allclose(bars[:4], [0.0, 2.0, 4.0, 6.0])  # four beats a bar
    assert np.allclose(bars[4:6], [8.0, 9.2])  # then three


def test_the_window_keeps_its_own_times_from_the_start():
    t = np.arange(0.0, 100.0, 0.5)
    w = window(t, 10.25, 2.0)
    assert w == [0.25, 0.75, 1.25, 1.75]


def test_the_cut_sums_band_and_guitar_and_keeps_the_peak_under_full_scale(tmp_path):
    n = SR * 3
    band = np.full((n, 2), 0.6, dtype=np.float32)
    guitar = np.full((n, 2), 0.6, dtype=np.float32)
    guitar[SR:] = 0.1
    sf.write(str(tmp_path / "song.ogg"), band, SR, format="OGG")
    sf.write(str(tmp_path / "guitar.ogg"), guitar, SR, format="OGG")
    out = tmp_path / "ex.wav"
    cut(tmp_path, 0.5, out)  # half a second where the sum reaches 1.2, then 0.7
    x, sr = sf.read(str(out), always_2d=True)
    assert sr == SR and len(x) == int(2.5 * SR)  # the song ends before 60 s are up
    assert np.abs(x).max() == pytest.approx(0.98, abs=1e-3)
    assert np.median(x[SR:, 0]) == pytest.approx(0.7 * 0.98 / 1.2, abs=0.03)
    cut(tmp_path, 0.5, out, 1.0)
    assert len(sf.read(str(out))[0]) == SR  # an excerpt of its length
    cut(tmp_path, 0.0, out, None)
    assert len(sf.read(str(out))[0]) == n  # the whole song


def test_excerpts_are_named_by_song_and_start_and_splits_do_not_share_a_start(tmp_path):
    assert excerpt_name(Path("x/Metal madness"), 57.5) == "metal_madness_57.5"
    assert not set(STARTS["dev"]) & set(STARTS["test"])
    assert excerpt_name(Path("x/Metal madness"), "whole") == "metal_madness_whole"
    with pytest.raises(SystemExit, match="splits dev, test, whole"):
        load_charted("fresh", None, tmp_path)


def test_the_charted_pairs_take_one_start_of_each_split_and_every_song_once_a_start():
    from charted_songs import split_of
    from mix_pairs import CHARTED_PAIRS

    starts = [float(v.rsplit("_", 1)[1]) for v, _ in CHARTED_PAIRS]
    assert [split_of(s) for s in dict.fromkeys(starts)] == ["dev", "test"]
    for start in set(starts):
        names = [n for pair in CHARTED_PAIRS for n in pair if n.endswith(f"_{start}")]
        assert len(names) == len(set(names)) == 8
        assert all(float(n.rsplit("_", 1)[1]) == start for pair in CHARTED_PAIRS
                   if pair[0].endswith(f"_{start}") for n in pair)
