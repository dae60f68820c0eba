"""Steps 8 and 8.5: who is stretched and shifted, and when matching is refused or skipped.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from types import SimpleNamespace

import pytest

from musicmixer.mix.keymatch import MAX_VOCAL_SHIFT, plan_key, split_shift
from musicmixer.mix.tempo import TempoMatchError, local_bpm, plan_tempo


def song(key, mode, conf=0.8):
    return SimpleNamespace(key=key, mode=mode, key_confidence=conf)


def test_instrumental_is_the_timeline_vocals_take_the_stretch():
    d = plan_tempo(120.0, 100.0)
    assert d.instrumental_ratio == 1.0 and d.vocal_ratio == pytest.approx(1.2)
    assert d.target_bpm == pytest.approx(100.0)
    assert d.warnings  # 20% is audible: reported


def test_small_gap_no_warning_and_meet_in_middle_splits():
    assert not plan_tempo(100.0, 98.0).warnings
    d = plan_tempo(120.0, 100.0, "meet_in_middle")
    assert d.vocal_ratio == pytest.approx(d.instrumental_ratio ** -1, rel=1e-6)
    assert 100.0 < d.target_bpm < 120.0


def test_past_vocal_limit_instrumental_takes_the_rest_and_past_total_limit_refuses():
    d = plan_tempo(140.0, 100.0)  # 40% at 1:1, 43% at 2:1
    assert d.mapping == "1:1"
    assert d.vocal_ratio == pytest.approx(1.3)
    assert d.vocal_ratio / d.instrumental_ratio == pytest.approx(1.4)
    with pytest.raises(TempoMatchError, match="cannot be matched"):
        plan_tempo(130.0, 100.0, max_stretch=0.2)  # 30% at 1:1, 54% at 2:1
    with pytest.raises(TempoMatchError):
        plan_tempo(0.0, 100.0)


def test_local_bpm_follows_a_drifting_grid():
    beats = [i * 0.5 for i in range(20)] + [10 + i * 0.4 for i in range(1, 20)]
    assert local_bpm(beats, 0, 9, 1) == pytest.approx(120.0)
    assert local_bpm(beats, 10.5, 17, 1) == pytest.approx(150.0)


@pytest.mark.parametrize("total", range(-6, 7))
def test_split_keeps_the_total_and_vocals_take_the_bulk(total):
    v, i = split_shift(total)
    assert v - i == total and abs(v) <= MAX_VOCAL_SHIFT and abs(i) <= abs(v)


def test_key_plan_smallest_shift_relative_keys_and_skips():
    d = plan_key(song("C", "major"), song("D", "minor"))  # F major is D minor's relative
    assert d.total_shift == 5 and d.vocal_shift == 3 and d.instrumental_shift == -2
    assert plan_key(song("A", "minor"), song("C", "major")).total_shift == 0
    low = plan_key(song("C", "major", 0.05), song("D", "major"))
    assert low.vocal_shift == low.instrumental_shift == 0 and low.skipped and low.warnings
    kept = plan_key(song("C", "major"), song("D", "major"), "keep_original")
    assert kept.vocal_shift == kept.instrumental_shift == 0 and not kept.warnings
    mv = plan_key(song("C", "major"), song("D", "major"), "match_vocal")
    assert mv.vocal_shift == 0 and mv.instrumental_shift == -2
