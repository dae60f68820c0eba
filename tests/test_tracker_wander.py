"""A tracked grid that gained beats is tracked again, held to the song's tempo
(analysis/beats.py, `WANDER`): the dynamic-programming tracker may follow
guitars that push the off-beats 3 % fast for a few bars, which no later step
undoes, while a band's own drift is followed as before."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest
from pipeline_helpers import onset_pulses

from musicmixer.analysis import beats as beatmod
from musicmixer.analysis.features import FPS


def _f(ref: np.ndarray, est: np.ndarray) -> float:
    return float(mir_eval.beat.f_measure(ref, np.asarray(est), 0.07))


@pytest.mark.parametrize("guard", [True, False])
def test_a_grid_that_ran_fast_for_a_while_is_tracked_again(monkeypatch, guard):
    period = 0.4  # 150 BPM
    truth = np.arange(150) * period + 0.3
    env = onset_pulses(truth, int((truth[-1] + 1.0) * FPS))
    # the tracker's first grid: on the beat, then 3 % fast from 10 s to 30 s
    # (two beats gained, slid past the off-beat and back), then on the beat again
    fast = truth[25] + np.arange(1, 53) * period / 1.03
    wandered = np.concatenate([truth[:26], fast, truth[78:]])
    real_choose = beatmod.choose_level

    def first_grid(env_, bpm, track_env=None, drums=None):
        chosen, _ = real_choose(env_, bpm, track_env, drums)
        return chosen, np.round((wandered + beatmod.ONSET_LAG_S) * FPS).astype(int)

    monkeypatch.setattr(beatmod, "choose_level", first_grid)
    if not guard:
        monkeypatch.setattr(beatmod, "WANDER", 1.0)
    tempo, _, beats = beatmod.estimate_beats(env)
    if guard:
        assert tempo == pytest.approx(150.0, rel=0.005)
        assert _f(truth, beats) >= 0.98
    else:  # what the guard is for
        assert _f(truth, beats) < 0.9


def test_live_drift_is_followed_not_held():
    """+-3 % over a 20 s cycle: the grid's own tempo is the comb's, no re-track,
    and the beats stay on the drifting onsets."""
    rate = lambda t: 1.0 + 0.03 * np.sin(2 * np.pi * t / 20.0)  # noqa: E731
    t, truth = 0.3, []
    while t < 60.0:
        truth.append(t)
        t += 0.4 / rate(t)
    truth = np.array(truth)
    env = onset_pulses(truth, int((truth[-1] + 1.0) * FPS))
    _, _, beats = beatmod.estimate_beats(env)
    assert _f(truth, beats) >= 0.98


def test_a_grid_that_sat_on_the_off_beat_snares_for_a_while_is_tracked_again(monkeypatch):
    """A thrash skank (snare on every off-beat, louder than the kicks on the
    beat) drew the first grid onto the off-beats and it crept back a beat
    later: a real 135 BPM instrumental, beat F 0.835. Counted on the beats
    alone, the off-beat stretch's snares outweigh the slides and the first
    grid was kept; counted on the eighth-note lattice, which either phase
    shares, the held grid wins (beat F 1.0 there)."""
    period = 0.4
    truth = np.arange(150) * period + 0.3
    n = int((truth[-1] + 1.0) * FPS)
    skank = (truth > 10.0) & (truth < 30.0)
    kicks = onset_pulses(truth, n, 0.6)
    env = (kicks + onset_pulses(truth[skank] + period / 2, n, 1.0)
           + onset_pulses(truth[~skank], n, 0.4))
    # on the beat, half a beat early over 6 beats, on the off-beats, another
    # half beat over 14 beats: one beat lost, on the beat again
    i = np.arange(151, dtype=float)
    phase = np.interp(i, [0, 25, 31, 60, 74, 200], [0, 0, -0.5, -0.5, -1.0, -1.0])
    wandered = (i + phase) * period + 0.3
    wandered = wandered[wandered < truth[-1] + 0.01]
    real_choose = beatmod.choose_level

    def first_grid(env_, bpm, track_env=None, drums=None):
        chosen, _ = real_choose(env_, bpm, track_env, drums)
        return chosen, np.round((wandered + beatmod.ONSET_LAG_S) * FPS).astype(int)

    monkeypatch.setattr(beatmod, "choose_level", first_grid)
    assert _f(truth, wandered) < 0.8
    tempo, _, beats = beatmod.estimate_beats(env, phase_env=kicks)
    assert tempo == pytest.approx(150.0, rel=0.002)
    assert _f(truth, beats) >= 0.98
