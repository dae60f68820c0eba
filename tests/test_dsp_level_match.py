"""Cross-song level match, step 11.5, with the summed-LUFS approach for sub-stems.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, pink

from musicmixer.audio import integrated_lufs
from musicmixer.dsp.level_match import cross_song_level_match, level_match_vocal_stems


def test_vocal_lands_2_db_over_the_instrumental():
    inst, vocal = pink(4.0, 0.2, seed=1), pink(4.0, 0.08, seed=2)
    out = cross_song_level_match(vocal, inst, SR)
    assert integrated_lufs(out, SR) == pytest.approx(integrated_lufs(inst, SR) + 2, abs=0.05)


def test_gain_is_clamped_to_12_db():
    inst, vocal = pink(4.0, 0.3, seed=1), pink(4.0, 0.001, seed=2)
    out = cross_song_level_match(vocal, inst, SR)
    assert integrated_lufs(out, SR) - integrated_lufs(vocal, SR) == pytest.approx(12, abs=0.05)


def test_silence_is_left_alone():
    silent = np.zeros((2, SR * 2), np.float32)
    assert not np.any(cross_song_level_match(silent, pink(2.0), SR))
    vocal = pink(2.0)
    assert np.array_equal(cross_song_level_match(vocal, silent, SR), vocal)


def test_sub_stems_keep_their_ratio_and_sum_to_target():
    inst = pink(4.0, 0.2, seed=1)
    lead, backing = pink(4.0, 0.08, seed=2), pink(4.0, 0.04, seed=3)
    stems = {"lead_vocals": lead, "backing_vocals": backing}
    out = level_match_vocal_stems(stems, inst, SR)
    assert set(out) == set(stems)
    gain_lead = np.sum(out["lead_vocals"] * lead) / np.sum(lead * lead)
    gain_backing = np.sum(out["backing_vocals"] * backing) / np.sum(backing * backing)
    assert gain_lead == pytest.approx(gain_backing, rel=1e-5)  # one gain for both
    summed = out["lead_vocals"] + out["backing_vocals"]
    assert integrated_lufs(summed, SR) == pytest.approx(integrated_lufs(inst, SR) + 2, abs=0.05)
    assert stems["lead_vocals"] is lead and np.array_equal(lead, pink(4.0, 0.08, seed=2))


def test_single_vocals_stem_and_uneven_lengths():
    inst = pink(4.0, 0.2, seed=1)
    out = level_match_vocal_stems({"vocals": pink(3.0, 0.08, seed=2)}, inst, SR)
    assert integrated_lufs(out["vocals"], SR) == pytest.approx(
        integrated_lufs(inst, SR) + 2, abs=0.05)
    out = level_match_vocal_stems({"lead_vocals": pink(3.0, 0.05, seed=2),
                                   "backing_vocals": pink(4.0, 0.02, seed=3)}, inst, SR)
    assert out["lead_vocals"].shape[1] == 3 * SR and out["backing_vocals"].shape[1] == 4 * SR
    assert level_match_vocal_stems({}, inst, SR) == {}
