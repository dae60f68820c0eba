"""Step 8's beat mapping: a tempo is only known up to its octave, so the pair is
matched 1:1, 2:1 (vocals at double time) or 1:2 (half time), whichever needs
least stretch, and refused only when none is within the limit.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from types import SimpleNamespace

import numpy as np
import pytest

from musicmixer.mix.align import vocal_range_for, vocal_time_map
from musicmixer.mix.tempo import TempoMatchError, choose_mapping, local_bpm, plan_tempo


@pytest.mark.parametrize("vocal, inst, mapping, ratio", [
    (170.0, 150.0, "1:1", 170 / 150),
    (85.0, 150.0, "1:2", 170 / 150),  # a 170 BPM song tracked at 85: mapped back
    (190.0, 95.0, "2:1", 1.0),
    (95.0, 190.0, "1:2", 1.0),
    (120.0, 100.0, "1:1", 1.2),
])
def test_the_mapping_with_least_stretch_wins(vocal, inst, mapping, ratio):
    d = plan_tempo(vocal, inst)
    assert d.mapping == mapping
    assert d.stretch == pytest.approx(ratio)
    assert d.vocal_ratio == pytest.approx(ratio) and d.instrumental_ratio == 1.0
    assert d.target_bpm == pytest.approx(inst)
    assert mapping in d.explanation and set(d.alternatives) == {"1:1", "2:1", "1:2"}


def test_a_tie_keeps_one_to_one():
    assert choose_mapping(100.0 * np.sqrt(2), 100.0)[0] == "1:1"


def levels(bpm):
    return [SimpleNamespace(level=n, bpm=bpm * m) for n, m in (("half", .5), ("beat", 1), ("double", 2))]


def test_refusal_names_every_level_and_what_would_work():
    with pytest.raises(TempoMatchError) as err:
        plan_tempo(60.0, 200.0, vocal_levels=levels(60.0), instrumental_levels=levels(200.0))
    msg = str(err.value)
    for bpm in ("30", "60", "120", "100", "200", "400"):
        assert f" {bpm}" in msg
    assert "1:2" in msg and "45% limit" in msg
    assert "138-290 BPM (1:1)" in msg  # 200 / 1.45 .. 200 * 1.45


def test_local_bpm_ignores_a_missing_beat():
    beats = [i * 60 / 170 for i in range(40) if i != 17]
    assert local_bpm(beats, 0, 20, 1) == pytest.approx(170.0)


def grid_song(bpm, n, duration=None):
    beats = list(np.arange(n) * 60.0 / bpm)
    return SimpleNamespace(beats=beats, downbeats=beats[::4], tempo=bpm,
                           duration=duration or beats[-1] + 1.0)


def plan_over(bars, vocal_start=0.0, vocal_end=10.0):
    return SimpleNamespace(sections=[SimpleNamespace(start_beat=0, end_beat=4 * bars)],
                           vocal_start_bar=0, total_beats=4 * bars,
                           vocal_range=SimpleNamespace(start=vocal_start, end=vocal_end),
                           instrumental_range=SimpleNamespace(start=0.0, end=60.0))


@pytest.mark.parametrize("per_beat", [2.0, 0.5])
def test_beat_map_keeps_bars_aligned_at_double_and_half_time(per_beat):
    vocal, inst = grid_song(95.0 * per_beat, 200), grid_song(95.0, 100)
    plan = plan_over(8, vocal_end=vocal.beats[-1])
    anchors = vocal_time_map(vocal, inst, plan, vocal_beats_per_beat=per_beat)
    src, dst = anchors[:, 0], anchors[:, 1]
    # every vocal beat is an anchor, and time runs at the instrumental's pace
    assert np.allclose(np.diff(dst) / np.diff(src), 1.0, atol=1e-6)
    # vocal downbeats meet instrumental beats, and every instrumental downbeat has one
    inst_downbeats = np.asarray(inst.downbeats[:8])
    vocal_downbeats_out = dst[np.isin(np.round(src, 6), np.round(vocal.downbeats, 6))]
    assert all(np.min(np.abs(vocal_downbeats_out - t)) < 1e-6
               for t in inst_downbeats[::max(1, int(1 / per_beat))])
    # the vocals fill the 8 planned bars: twice the vocal bars at 2:1, half at 1:2
    span = vocal_range_for(plan, vocal, per_beat)
    assert span.end == pytest.approx(vocal.downbeats[int(8 * per_beat)])


@pytest.mark.parametrize("per_beat", [1.0, 2.0, 0.5])
def test_measured_downbeat_pairs_follow_the_mapping(per_beat):
    from musicmixer.mix.measure import paired_downbeats

    vocal, inst = grid_song(95.0 * per_beat, 200), grid_song(95.0, 100)
    plan = plan_over(8, vocal_end=vocal.beats[-1])
    src, out = paired_downbeats({"downbeats": vocal.downbeats},
                                {"beats": inst.beats, "downbeats": inst.downbeats}, plan, 1.0,
                                per_beat)
    anchors = vocal_time_map(vocal, inst, plan, vocal_beats_per_beat=per_beat)
    assert len(src) == int(8 * per_beat) + 1
    assert np.allclose(np.interp(src, anchors[:, 0], anchors[:, 1]), out)
