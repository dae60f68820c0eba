"""bench/mix.py's placement check: the vocal song's true beats carried through
the job's beat map land on the instrumental's true grid, or read how far off;
and the downbeat measure counts the job's mapping in true beats."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from grid_placement import placement


def _grid(bpm: float, n: int, start: float = 0.0) -> np.ndarray:
    return start + np.arange(n) * 60.0 / bpm


def _map(vocal_beats: np.ndarray, out_beats: np.ndarray, per_beat: float, shift: float = 0.0,
         offset_beats: int = 0) -> np.ndarray:
    """Vocal beat j (read `shift` beats late) onto instrumental beat
    `offset_beats + j / per_beat`, as the job's anchors are built."""
    j = np.arange(len(vocal_beats))
    pos = offset_beats + j / per_beat
    keep = pos <= len(out_beats) - 1
    period = float(np.median(np.diff(vocal_beats)))
    src = vocal_beats[keep] + shift * period
    dst = np.interp(pos[keep], np.arange(len(out_beats)), out_beats)
    return np.stack([src, dst], axis=1)


def test_a_map_on_the_true_beats_is_placed_at_one_to_one_and_two_to_one():
    for vbpm, per in ((170.0, 1.0), (190.0, 2.0)):
        inst = _grid(150.0 if per == 1 else 95.0, 96)
        vocal = _grid(vbpm, 120, start=0.3)
        r = placement(vocal, vocal[::4], _map(vocal, inst, per), 0.0, inst, inst[::4], per)
        assert r["placed"] and r["median_abs_beats"] < 0.01 and r["bars_on_bar_line"] == 1.0


def test_a_vocal_song_read_half_a_beat_off_is_not_placed():
    inst = _grid(150.0, 96)
    vocal = _grid(170.0, 120, start=0.3)
    r = placement(vocal, vocal[::4], _map(vocal, inst, 1.0, shift=0.5), 0.0, inst, inst[::4], 1.0)
    assert not r["placed"] and abs(r["median_abs_beats"] - 0.5) < 0.02


def test_an_instrumental_tracked_on_its_off_beat_is_not_placed():
    inst = _grid(150.0, 96)
    tracked = inst + 0.5 * 60.0 / 150.0  # the job's (wrong) instrumental beats
    vocal = _grid(170.0, 120, start=0.3)
    r = placement(vocal, vocal[::4], _map(vocal, tracked, 1.0), 0.0, inst, inst[::4], 1.0)
    assert not r["placed"] and abs(r["median_abs_beats"] - 0.5) < 0.02


def test_a_map_a_beat_late_is_on_the_beat_but_off_the_bar_line():
    inst = _grid(150.0, 96)
    vocal = _grid(170.0, 120, start=0.3)
    r = placement(vocal, vocal[::4], _map(vocal, inst, 1.0, offset_beats=1), 0.0, inst,
                  inst[::4], 1.0)
    assert r["placed"] and r["bars_on_bar_line"] == 0.0 and r["bar_offset_beats_median"] == 1.0


def test_at_one_to_two_the_vocal_beats_belong_on_beats_one_and_three():
    inst = _grid(172.0, 128)
    vocal = _grid(88.0, 60, start=0.2)
    good = placement(vocal, vocal[::4], _map(vocal, inst, 0.5), 0.0, inst, inst[::4], 0.5)
    # a vocal bar spans two instrumental bars: starting on either is on a bar line
    next_bar = placement(vocal, vocal[::4], _map(vocal, inst, 0.5, offset_beats=4), 0.0, inst,
                         inst[::4], 0.5)
    assert next_bar["placed"] and next_bar["bars_on_bar_line"] == 1.0
    late = placement(vocal, vocal[::4], _map(vocal, inst, 0.5, offset_beats=1), 0.0, inst,
                     inst[::4], 0.5)
    assert good["placed"] and good["bars_on_bar_line"] == 1.0
    assert not late["placed"] and abs(late["median_abs_beats"] - 0.5) < 0.02


def test_the_segment_start_is_added_back_and_no_map_gives_no_verdict():
    inst = _grid(150.0, 96)
    vocal = _grid(170.0, 120, start=10.3)
    bm = _map(vocal, inst, 1.0)
    bm[:, 0] -= 10.0  # anchors count from the vocal segment's start
    assert placement(vocal, vocal[::4], bm, 10.0, inst, inst[::4], 1.0)["placed"]
    assert placement(vocal, vocal[::4], np.zeros((0, 2)), 0.0, inst, inst[::4], 1.0) == {
        "placed": False, "why": "no beat map"}


def test_the_downbeat_measure_counts_the_jobs_mapping_in_true_beats():
    from types import SimpleNamespace

    from mix_measures import true_beats_per_beat

    def song(bpm: float) -> SimpleNamespace:
        return SimpleNamespace(truth={"tempo": bpm})

    def rep(vbpm: float, ibpm: float, per: float) -> dict:
        return {"tempo": {"vocal_bpm": vbpm, "instrumental_bpm": ibpm, "vocal_beats_per_beat": per}}

    # a 90 BPM vocal song read at 184 and mapped 2:1 is placed at 1:1
    assert true_beats_per_beat(rep(184.0, 108.0, 2.0), song(90.0), song(108.0)) == 1.0
    # read right: the job's own mapping
    assert true_beats_per_beat(rep(190.0, 95.0, 2.0), song(190.0), song(95.0)) == 2.0
    # an instrumental read at double, paired 1:1 with a 180 BPM vocal song: 2:1 in true beats
    assert true_beats_per_beat(rep(180.0, 174.0, 1.0), song(180.0), song(87.0)) == 2.0
