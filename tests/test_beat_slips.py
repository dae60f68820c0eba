"""The beat grid keeps one eighth-note phase for the whole song (analysis/slips.py).

Where the onsets favour the beats early in a song and the off-beats later (an
arpeggio whose off-beat notes are brighter, a drum stem that hears the pedal
note as a kick only in the intro) the dynamic-programming tracker used to slip
half a beat mid-song, so everything after the slip sat on the off-beat."""

from __future__ import annotations

import numpy as np
from _drummed_songs import BPM, SR, drummed_song, phases, pushed_intro, riff_intro, skank_intro

from musicmixer.analysis import beats as beatmod
from musicmixer.analysis.analyze import analyze_song
from musicmixer.analysis.features import compute_features
from musicmixer.analysis.periodicity import normalise
from musicmixer.analysis.slips import drum_entry, hold_phase, phase_labels


def _eighths(seconds: float, accent_until: float, sr: int = SR) -> np.ndarray:
    """Eighth-note clicks: low ones (a kick) on the beats, loud until
    `accent_until`, then bright off-beats louder than the beats."""
    rng = np.random.default_rng(3)
    n = int(seconds * sr)
    out = np.zeros(n)
    step = 60.0 / BPM / 2
    tone = np.arange(int(0.05 * sr)) / sr
    for k in range(int(seconds / step)):
        t = k * step
        on = k % 2 == 0
        if t < accent_until:
            amp, freq = (1.0, 70.0) if on else (0.35, 1600.0)
        else:
            amp, freq = (0.7, 70.0) if on else (1.0, 1600.0)
        burst = amp * np.exp(-tone * 60.0) * (np.sin(2 * np.pi * freq * tone)
                                              + 0.3 * rng.standard_normal(len(tone)))
        i = int(round(t * sr))
        out[i:i + len(burst)] += burst[: n - i]
    return np.stack([out, out]).astype(np.float32) * 0.3


def test_tracker_keeps_one_phase_when_the_accents_move_to_the_off_beat():
    feats = compute_features(_eighths(60.0, 16.0), SR, with_chroma=False)
    env = normalise(feats.onset)
    # the full band slips to the bright off-beats 16 s in
    _, _, beats = beatmod.estimate_beats(env)
    ph = phases(beats[(beats > 2.0) & (beats < 58.0)])
    assert 0.1 < np.mean(np.abs(ph) > 0.35) < 0.9
    # with the low band choosing (as the analysis does): one phase, the kick's
    _, _, beats = beatmod.estimate_beats(env, phase_env=normalise(feats.low_onset))
    ph = phases(beats[(beats > 2.0) & (beats < 58.0)])
    assert np.mean(np.abs(ph) < 0.15) >= 0.97


def test_a_gradual_half_beat_slip_is_found_and_undone():
    period = 30.0
    frames = np.arange(120) * period
    frames[60:] += np.linspace(0.0, 0.5 * period, 8).tolist() + [0.5 * period] * 52
    labels, ramp = phase_labels(frames)
    assert labels[:55].max() == 0 and labels[68:].min() == 1
    strength = np.zeros(int(frames[-1]) + 40)
    strength[np.round(np.arange(121) * period).astype(int)] = 1.0  # onsets on the first phase
    held = hold_phase(frames, strength)
    # the beats part-way through the slip are placed anew, evenly across the gap
    # between the phases; every beat is on the grid and none is lost or gained
    assert ramp[61:68].all() and ramp.sum() <= 20
    assert len(held) == 120
    assert np.all(np.abs((held / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert np.all(np.abs(np.diff(held) / period - 1.0) < 0.05)


def test_tempo_drift_is_no_slip():
    # +-2 % of tempo over the song (live playing), no phase change
    t = np.arange(200)
    intervals = 24.0 * (1.0 + 0.02 * np.sin(2 * np.pi * t / 200))
    frames = np.concatenate([[0.0], np.cumsum(intervals)])
    assert phase_labels(frames)[0].max() == 0
    assert np.array_equal(hold_phase(frames, np.ones(int(frames[-1]) + 10)), frames)


def _drifting(amount: float, cycle_beats: float, n: int = 240, period: float = 24.0) -> np.ndarray:
    t = np.arange(n)
    return np.concatenate([[0.0], np.cumsum(period * (1.0 + amount * np.sin(2 * np.pi * t / cycle_beats)))])


def test_faster_live_drift_is_no_slip():
    # a band speeding up and holding back by 2-3 % every 30-40 beats (15-20 s at
    # 120 BPM): the straight-line fits either side of a beat read up to 0.4 beat
    # apart there, which used to move a third of such songs' grids off the beat
    for amount, cycle in ((0.02, 30), (0.03, 30), (0.03, 40)):
        frames = _drifting(amount, cycle)
        assert phase_labels(frames)[0].max() == 0, (amount, cycle)
        assert np.array_equal(hold_phase(frames, np.ones(int(frames[-1]) + 10)), frames)


def test_a_slip_inside_drift_is_still_found():
    frames = _drifting(0.02, 60)
    frames[120:] += np.linspace(0.0, 12.0, 5).tolist() + [12.0] * (len(frames) - 125)
    labels, _ = phase_labels(frames)
    assert labels[:110].max() == 0 and labels[130:].min() == 1


def test_a_jump_both_sides_of_which_sit_on_the_onsets_is_left():
    # the grid jumps half a beat, but the strength envelope has its peaks on the
    # beats on both sides of the jump (a band pushing the tempo for a bar, a drift
    # cycle too short for the smooth curve): no side is on the off-beat, nothing moves
    period = 30.0
    frames = np.arange(120) * period
    frames[60:] += np.linspace(0.0, 0.5 * period, 8).tolist() + [0.5 * period] * 52
    assert phase_labels(frames)[0].max() == 1
    strength = np.zeros(int(frames[-1]) + 40)
    strength[np.round(frames).astype(int)] = 1.0
    assert np.array_equal(hold_phase(frames, strength), frames)


def _pushed_intro_grid(period: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """A grid that follows an intro's pushes half a beat early for 40 beats,
    then glides onto the true beats (as the tracker did on a drummed intro
    whose kicks hit the riff's pushes); the low band (kicks) has its peaks on
    the grid's own beats on both sides of the glide."""
    truth = np.arange(120) * period
    frames = truth.copy()
    frames[:40] -= 0.5 * period
    frames[40:48] -= np.linspace(0.5 * period, 0.0, 8)
    frames += period  # keep the first frame inside the envelopes
    low = np.zeros(int(frames[-1]) + 60)
    low[np.round(frames).astype(int)] = 1.0
    return frames, low


def _snare(frames: np.ndarray, period: float, where: str) -> np.ndarray:
    """Snares on 2 and 4 of the true grid (`where`="true"), on every other
    beat of the grid itself ("grid": both parts alternate on their own beats),
    or a skank beat in the intro (on every one of its beats, the true
    off-beats) and 2 and 4 of the true grid after it ("skank")."""
    env = np.zeros(int(frames[-1]) + 60)
    truth = np.arange(120) * period + period
    hits = (truth[1::2] if where == "true" else frames[1::2] if where == "grid"
            else np.concatenate([frames[:40], truth[41::2]]))
    env[np.round(hits).astype(int)] = 1.0
    return env


def test_the_drums_backbeat_decides_a_slip_the_low_band_leaves():
    period = 30.0
    frames, low = _pushed_intro_grid(period)
    assert phase_labels(frames)[0].max() == 1
    # the low band alone sits on the grid's beats on both sides: nothing moves
    assert np.array_equal(hold_phase(frames, low), frames)
    # the snare on the true 2 and 4 alternates between the intro's beats: the
    # intro is moved onto the later part's phase, the true grid
    held = hold_phase(frames, low, _snare(frames, period, "true"))
    assert np.all(np.abs(((held - period) / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert held[0] < 5 * period and np.all(np.diff(held) > 0.9 * period)


def test_a_drummed_intro_on_the_pushes_takes_the_snares_phase():
    # the tracker follows the intro's kicks and chords half a beat early, then
    # glides onto the band's beats; the low band favours both sides' own beats,
    # the separated drums' snare band (2 and 4 throughout) puts the intro back
    mix, drums = drummed_song(pushed_intro)
    feats, drum_feats = (compute_features(x, SR, with_chroma=False) for x in (mix, drums))
    env, low = normalise(feats.onset), normalise(feats.low_onset)
    _, _, beats = beatmod.estimate_beats(env, phase_env=low)
    ph = phases(beats)
    assert np.mean(np.abs(ph[beats < 14.0]) > 0.35) > 0.9 and np.mean(np.abs(ph[beats > 20.0]) < 0.1) > 0.9
    _, _, beats = beatmod.estimate_beats(env, phase_env=low, backbeat_env=normalise(drum_feats.mid_onset))
    assert np.mean(np.abs(phases(beats)) < 0.1) >= 0.97
    # the analysis hands its drum stem's snare band to the repair
    beats = np.array(analyze_song(mix, SR, {"drums": drums}).beats)
    assert np.mean(np.abs(phases(beats)) < 0.1) >= 0.97


def test_a_backbeat_on_both_sides_of_a_slip_moves_nothing():
    # a snare that alternates on the grid's own beats on both sides of the jump
    # puts no part on the off-beat: the grid is left as the tracker found it
    period = 30.0
    frames, low = _pushed_intro_grid(period)
    assert np.array_equal(hold_phase(frames, low, _snare(frames, period, "grid")), frames)


def test_a_skank_intro_takes_the_phase_of_the_backbeat_after_it():
    # an intro whose snare hits every off-beat (a skank beat: it does not
    # alternate, so it says nothing about the phase) was tracked on those
    # off-beats; the verse's backbeat on 2 and 4 decides the whole song's phase
    period = 30.0
    frames, low = _pushed_intro_grid(period)
    held = hold_phase(frames, low, _snare(frames, period, "skank"))
    assert np.all(np.abs(((held - period) / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert held[0] < 5 * period and np.all(np.diff(held) > 0.9 * period)


def test_a_faint_backbeat_decides_nothing():
    # the other part's snare does not alternate, but neither does this one's
    # clearly: a snare on 2 and 4 buried under one on every beat is no cue
    period = 30.0
    frames, low = _pushed_intro_grid(period)
    faint = _snare(frames, period, "skank")
    faint[np.round(frames[40:]).astype(int)] += 8.0
    assert np.array_equal(hold_phase(frames, low, faint), frames)


def test_a_skank_intro_song_reads_on_the_beat_from_its_drum_stem():
    # the tracker follows the intro's snare on the off-beats; the verse's
    # backbeat, read from the separated drums, puts the intro back on the beat
    mix, drums = drummed_song(skank_intro)
    beats = np.array(analyze_song(mix, SR, {"drums": drums}).beats)
    assert np.mean(np.abs(phases(beats[beats < 14.0])) < 0.1) >= 0.95
    assert np.mean(np.abs(phases(beats)) < 0.1) >= 0.97


def _two_slips(period: float = 30.0, apart: int = 34) -> tuple[np.ndarray, np.ndarray]:
    """A grid on the true beats that glides half a beat off at beat 50 and back
    `apart` beats later (an intro's riff on the off-beat, then the band), and
    a low band (kicks) on the true beats throughout."""
    truth = np.arange(140) * period + period
    idx = np.arange(140)
    off = np.clip((idx - 50) / 8, 0, 1) - np.clip((idx - 50 - apart) / 8, 0, 1)
    frames = truth + 0.5 * period * off
    low = np.zeros(int(frames[-1]) + 60)
    low[np.round(truth).astype(int)] = 1.0
    return frames, low


def test_two_slips_close_together_are_both_found_and_undone():
    # read together, each slip's fitted lines straddle the other and the
    # offsets between them never settle: only one used to be found, which put
    # the song's end on the off-beat instead of its middle
    period = 30.0
    frames, low = _two_slips(period)
    labels, _ = phase_labels(frames)
    first, second = np.nonzero(np.diff(labels))[0] + 1  # exactly two, one in each glide
    assert 50 <= first <= 58 and 84 <= second <= 92
    held = hold_phase(frames, low)
    assert np.all(np.abs(((held - period) / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert len(held) >= 108  # only the beats around the two slips are dropped


def test_an_intro_whose_kick_and_snare_take_turns_follows_the_kick():
    # a skank intro (kick on the beats, snare on every off-beat, accented a
    # little every other hit) tracked on the snare, then a verse whose kick
    # leans to the off-beats: the low band favours neither part's beats and the
    # intro's snare alternates a little on its grid; read as the meter reads a
    # skank, by the kick, the intro sits between its beats and moves
    period = 30.0
    frames, _ = _pushed_intro_grid(period)
    truth = np.arange(120) * period + period
    low, snare = np.zeros(int(frames[-1]) + 60), np.zeros(int(frames[-1]) + 60)
    low[np.round(truth[:40]).astype(int)] = 1.0
    low[np.round(truth[40:]).astype(int)] = 0.5
    low[np.round(truth[40:] + 0.5 * period).astype(int)] = 1.0
    snare[np.round(frames[:40]).astype(int)] = np.where(np.arange(40) % 2, 0.9, 1.0)
    snare[np.round(truth[41::2]).astype(int)] = 1.0
    assert np.array_equal(hold_phase(frames, low), frames)  # the low band leaves it
    held = hold_phase(frames, low, snare)
    assert np.all(np.abs(((held - period) / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert held[0] < 5 * period


def _snare_on_every_beat_after(kick_on_grid: bool, period: float = 30.0):
    """A grid on the true beats that slips half a beat at beat 60 and stays (as
    the tracker followed a thrash section's snare). Before the slip a rock beat
    (kicks on 1 and 3, snare on 2 and 4); after it the snare on every true
    off-beat, unevenly loud, over kicks on every sixteenth, a little louder on
    those off-beats (`kick_on_grid`: kicks only there)."""
    truth = np.arange(120) * period + period
    frames = truth.copy()
    frames[60:] += 0.5 * period * np.clip((np.arange(60) + 1) / 3, 0, 1)
    size = int(frames[-1]) + 60
    low, snare = np.zeros(size), np.zeros(size)
    low[np.round(truth[:60:2]).astype(int)] = 1.0
    if not kick_on_grid:
        low[np.round(np.arange(truth[60], frames[-1], period / 4)).astype(int)] = 0.9
    low[np.round(truth[60:] + 0.5 * period).astype(int)] = 1.0
    snare[np.round(truth[1:60:2]).astype(int)] = 1.0
    loud = np.random.default_rng(3).uniform(0.5, 1.0, 60)
    snare[np.round(truth[60:] + 0.5 * period).astype(int)] = loud
    return frames, low, snare


def test_a_snare_on_every_beat_over_sixteenth_kicks_takes_the_backbeats_phase():
    # a thrash section: the snare moves from 2 and 4 to every off-beat over
    # double kicks on every sixteenth, and the tracker slips onto the snare; on
    # the slipped grid the snare hits every beat (no backbeat, however its hits'
    # loudness reads) and the kicks every position: that part says nothing of
    # its phase, and the backbeat before it decides (a charted 140 BPM
    # instrumental: beat F 0.62 -> 1.00)
    period = 30.0
    frames, low, snare = _snare_on_every_beat_after(kick_on_grid=False)
    assert phase_labels(frames)[0].max() == 1
    held = hold_phase(frames, low, snare)
    assert np.all(np.abs(((held - period) / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert len(held) >= 100
    # kicks on the slipped grid's beats do say it is on the beat: nothing moves
    frames, low, snare = _snare_on_every_beat_after(kick_on_grid=True)
    assert np.array_equal(hold_phase(frames, low, snare), frames)


def test_a_drumless_intro_on_the_pushes_takes_the_drums_phase():
    # the tracker follows the riff's pushes through a drumless intro, half a
    # beat off; the intro's low band favours its own beats as the verse's does,
    # its drums say nothing, and the verse's backbeat decides (a drumless
    # part's snare cue used to be no reading at all, and nothing moved)
    mix, drums = drummed_song(riff_intro, seconds=40.0, intro=20.0)
    beats = np.array(analyze_song(mix, SR, {"drums": drums}).beats)
    assert np.mean(np.abs(phases(beats[beats < 18.0])) < 0.1) >= 0.95
    assert np.mean(np.abs(phases(beats)) < 0.1) >= 0.97


def _gliding_intro(period: float = 30.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid half a beat off through a 30-beat drumless intro that glides onto
    the true beats over its last 16 (too slowly to read as a slip), onsets on
    every true eighth note (a riff, then the band), and a snare on 2 and 4
    from the drums' entry at beat 30."""
    truth = np.arange(100) * period + period
    frames = np.round(truth + 0.5 * period * np.clip((30 - np.arange(100)) / 16, 0, 1)).astype(int)
    size = int(frames[-1]) + 60
    env, snare = np.zeros(size), np.zeros(size)
    env[np.round(np.arange(truth[0], truth[-1] + 1, period / 2)).astype(int)] = 1.0
    snare[np.round(truth[31::2]).astype(int)] = 1.0
    return frames, env, snare


def test_a_drumless_intro_that_glides_onto_the_drums_takes_their_phase():
    period = 30.0
    frames, env, snare = _gliding_intro(period)
    assert phase_labels(frames)[0].max() == 0  # no slip in the geometry alone
    assert drum_entry(frames, snare) in range(27, 31)
    held = beatmod.anchor_intro(frames, env, period, snare)
    assert np.all(np.abs(((held - period) / period + 0.5) % 1.0 - 0.5) < 0.05)
    assert len(held) == 100 and np.all(np.abs(np.diff(held) / period - 1.0) < 0.05)
    # an intro 2.5 % slower than the band, tracked on its own eighths: the drums'
    # grid carried back falls off them, and the intro's own grid is kept
    entry_at = int(frames[30])
    intro = entry_at - np.arange(30, 0, -1) * period * 1.025
    slow = np.zeros_like(env)
    slow[np.round(np.concatenate([intro, intro + 0.5125 * period])).astype(int)] = 1.0
    slow[entry_at:] = env[entry_at:]
    tracked = np.concatenate([np.round(intro).astype(int), frames[30:]])
    assert np.array_equal(beatmod.anchor_intro(tracked, slow, period, snare), tracked)
    # drums from the first beat: no entry, and the grid is left as it is
    snare[np.round(frames[1:30:2]).astype(int)] = 1.0
    assert drum_entry(frames, snare) is None
    assert np.array_equal(beatmod.anchor_intro(frames, env, period, snare), frames)
