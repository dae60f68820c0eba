"""bench/mix.py's placement checks: the vocal song's true beats carried through
the job's beat map land on the instrumental's true grid, or read how far off;
the rendered vocals heard against perfect placement, whatever the voice; and
the downbeat measure counts the job's mapping in true beats."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from grid_placement import SR, heard, placement


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


def _loose_voice(beats: np.ndarray, seed: int = 3) -> np.ndarray:
    """A singer who is loose on her own grid: noise syllables of varied length,
    each up to 60 ms either side of a beat or an off-beat, some beats left out."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int((beats[-1] + 1.0) * SR))
    period = float(np.median(np.diff(beats)))
    for b in beats[:-1]:
        for at in (b, b + period / 2):
            if rng.random() < 0.35:
                continue
            start = int((at + rng.uniform(-0.06, 0.06)) * SR)
            n = int(rng.uniform(0.3, 0.9) * period / 2 * SR)
            if start < 0 or start + n > len(out):
                continue
            out[start:start + n] += rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.4 * n))
    return np.stack([out, out]) * 0.2


def _render(source: np.ndarray, beat_map: np.ndarray, seconds: float) -> np.ndarray:
    """The source laid through a beat map (source time -> output time), as the
    renderer's stretch does (nearest sample: the envelopes are what count)."""
    t = np.arange(int(seconds * SR)) / SR
    src_t = np.interp(t, beat_map[:, 1], beat_map[:, 0], left=-1.0, right=-1.0)
    idx = np.clip((src_t * SR).astype(int), 0, source.shape[-1] - 1)
    return np.where(src_t >= 0, source[:, idx], 0.0)


def _heard(shift: float = 0.0, offset_beats: int = 0, per: float = 1.0, silent: bool = False,
           ) -> dict:
    inst = _grid(150.0 if per == 1 else 95.0, 72, start=0.5)
    vocal = _grid(170.0 if per == 1 else 190.0, 80, start=0.3)
    source = _loose_voice(vocal)
    bm = _map(vocal, inst, per, offset_beats=offset_beats)
    bus = _render(source, bm, inst[-1] + 1.0)
    if shift:  # the rendered vocals late by `shift` vocal beats
        n = int(shift * 60.0 / (150.0 * per) * SR)
        bus = np.concatenate([np.zeros((2, n)), bus[:, :-n]], axis=1)
    return heard(bus * (not silent), source, vocal, vocal[::4], bm, 0.0, inst, inst[::4], per)


def test_vocals_rendered_on_the_grid_are_heard_there_and_the_control_is_not():
    for per in (1.0, 2.0):
        r = _heard(per=per)
        assert r["judgeable"] and r["heard_placed"], r
        assert r["median_abs_beats"] < 0.03 and abs(r["control_median_abs_beats"] - 0.25) < 0.05


def test_vocals_rendered_off_the_grid_are_heard_off_it():
    late = _heard(shift=0.5)
    assert late["judgeable"] and not late["heard_placed"] and late["median_abs_beats"] > 0.4
    eighth = _heard(shift=0.25)
    assert not eighth["heard_placed"] and abs(eighth["median_abs_beats"] - 0.25) < 0.05


def test_a_bar_started_a_beat_late_is_heard_on_the_beat():
    r = _heard(offset_beats=1)  # bar lines are the placement check's figure
    assert r["heard_placed"] and r["median_abs_beats"] < 0.03


def test_vocals_at_three_beats_to_two_are_heard_off_the_grid():
    """A 3:2 tempo error: every other vocal beat between the instrumental's."""
    inst = _grid(150.0, 72, start=0.5)
    vocal = _grid(170.0, 80, start=0.3)
    source = _loose_voice(vocal)
    bm = _map(vocal, inst, 1.5)
    r = heard(_render(source, bm, inst[-1] + 1.0), source, vocal, vocal[::4], bm, 0.0, inst,
              inst[::4], 1.0)
    assert r["judgeable"] and not r["heard_placed"], r


def test_silent_vocals_give_no_verdict_which_is_not_a_pass():
    r = _heard(silent=True)
    assert not r["judgeable"] and not r["heard_placed"] and r["segments_heard"] == 0
