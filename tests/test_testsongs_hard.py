"""The hard set's generator options: the truth stays exact (beats follow the
wander and the drift, the beats are the felt pulse of each feel), and every
option left at its default leaves today's songs as they were."""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.testsongs import SongSpec, generate_song
from musicmixer.testsongs.compose import KICK, SNARE, compose
from musicmixer.testsongs.spec import Clock
from musicmixer.testsongs.timbre import colour_voice

BASE = SongSpec(tempo=128.0, key="A", mode="minor", bars=8, seed=3, title="Test Base",
                sections=(("intro", 2), ("verse", 2), ("chorus", 2), ("breakdown", 2)))


def _hits(score, pitch, bar, beat_len=4):
    return sorted(round(n.beat - bar * beat_len, 3) for n in score.parts["drums"]
                  if n.pitch == pitch and bar * beat_len <= n.beat < (bar + 1) * beat_len)


def test_default_options_keep_the_hash_and_the_notes():
    # the cache key of the songs every other test uses, from before the options existed
    assert BASE.cache_key("festival") == "efa0513959b6"
    assert BASE.hard_options() == {} and "syncopation" not in BASE.as_dict()
    explicit = SongSpec(**{**BASE.__dict__, "syncopation": False, "guitar_tone": "clean",
                           "drumless_intro": False, "tempo_wander": 0.0, "voice_timbre": "clean"})
    assert explicit.cache_key("gm") == BASE.cache_key("gm")
    a, b = compose(BASE), compose(explicit)
    for part in a.parts:
        assert [(n.start, n.pitch) for n in a.parts[part]] == [(n.start, n.pitch) for n in b.parts[part]]
    assert SongSpec(**{**BASE.__dict__, "syncopation": True}).cache_key("gm") != BASE.cache_key("gm")


def test_wander_clock_is_the_integral_of_its_tempo():
    c = Clock(170.0, 64, drift=0.02, wander=0.02, phases=(0.3, 1.1))
    beats = np.arange(0, 64.5, 0.5)
    t = np.array([c.time(b) for b in beats])
    bpm = np.array([c.bpm(b) for b in beats])
    assert np.all(np.abs(bpm / (170.0 * (1 + 0.02 * beats / 64)) - 1) <= 0.02 + 1e-9)
    assert bpm.max() / bpm.min() > 1.03  # it does wander
    # every time is the integral of seconds-per-beat, within a microsecond
    from scipy.integrate import quad

    for k in (1, 17, 40, 128):
        exact = quad(lambda b: 60.0 / c.bpm(b), 0.0, beats[k], limit=200)[0]
        assert abs(t[k] - exact) < 1e-6
    with pytest.raises(ValueError):
        c.time(64 + Clock.MARGIN_BEATS + 1)


def test_truth_beats_follow_drift_and_wander(tmp_path):
    spec = SongSpec(tempo=176.0, key="E", mode="minor", bars=8, seed=5, feel="double_time",
                    tempo_drift=-0.02, tempo_wander=0.02, voices="gm", title="wander",
                    sections=(("verse", 8),))
    song = generate_song(spec, tmp_path)
    beats = np.array(song.truth["beats"])
    gaps = np.diff(beats)
    assert np.ptp(gaps) / np.mean(gaps) > 0.02  # not a fixed grid
    assert np.all(np.abs(60.0 / gaps / 176.0 - 1) < 0.045)
    score = compose(spec)
    snares = sorted(n.start for n in score.parts["drums"] if n.pitch == SNARE)
    np.testing.assert_allclose(snares[:8], beats[[1, 3, 5, 7, 9, 11, 13, 15]], atol=1e-6)
    # the audio agrees: a drum onset on every truth beat, silence just before it
    drums = song.load_stem("drums").mean(0)
    sr = 44100
    for t in beats[1:-1]:
        on = np.sum(drums[int(t * sr): int((t + 0.03) * sr)] ** 2)
        before = np.sum(drums[int((t - 0.035) * sr): int((t - 0.005) * sr)] ** 2)
        assert on > 3 * before, t
    assert song.truth["felt_pulse"].startswith("notated quarter")


def test_felt_pulse_of_double_and_half_time():
    common = dict(tempo=180.0, bars=4, seed=2, sections=(("verse", 4),))
    double = compose(SongSpec(feel="double_time", **common))
    assert _hits(double, SNARE, 1) == [1.0, 3.0]          # backbeat on 2 and 4: the pulse
    assert _hits(double, KICK, 1) == [0.0, 0.5, 1.5, 2.0, 2.5, 3.5]  # eighths around it
    half = compose(SongSpec(feel="half_time", **common))
    assert _hits(half, SNARE, 1) == [2.0]                 # one snare per bar, on 3
    hats = sorted(n.beat for n in half.parts["drums"] if n.pitch == 42 and 4 <= n.beat < 8)
    assert np.allclose(np.diff(hats), 0.5)                # eighths: two per felt beat


def test_skank_beat_puts_the_snares_between_the_pulse():
    score = compose(SongSpec(tempo=180.0, bars=4, seed=2, feel="skank", sections=(("verse", 4),)))
    assert _hits(score, KICK, 1) == [0.0, 1.0, 2.0, 3.0]      # kick on every felt beat
    assert _hits(score, SNARE, 1) == [0.5, 1.5, 2.5, 3.5]     # snare on every off-beat


def test_natural_minor_drops_the_leading_tone_over_v():
    from musicmixer.testsongs.harmony import Pitches

    harmonic = Pitches(SongSpec(key="A", mode="minor")).chord_pitches(4, 60, 72)
    natural = Pitches(SongSpec(key="A", mode="minor", natural_minor=True)).chord_pitches(4, 60, 72)
    assert 8 in {p % 12 for p in harmonic} and 8 not in {p % 12 for p in natural}  # G# vs G
    assert 7 in {p % 12 for p in natural}


def test_syncopation_anticipates_kicks_and_snares():
    spec = SongSpec(tempo=160.0, bars=8, seed=2, syncopation=True, sections=(("verse", 8),))
    plain = compose(SongSpec(**{**spec.__dict__, "syncopation": False}))
    score = compose(spec)
    assert _hits(plain, KICK, 1) == [0.0, 2.0, 2.5]
    assert _hits(score, KICK, 1) == [0.0, 1.5, 2.5, 3.5]  # push: 3 early, 4-and takes bar 2
    assert 0.0 not in _hits(score, KICK, 2)               # ... whose downbeat kick is gone
    assert _hits(score, SNARE, 3) == [1.0, 2.5]           # snare on 4 pulled to 3-and
    assert _hits(score, SNARE, 2) == [1.0, 3.0]


def test_drive_guitar_plays_power_chords_in_place_of_the_piano():
    spec = SongSpec(tempo=170.0, key="C", bars=8, seed=1, guitar_tone="distortion",
                    drumless_intro=True, sections=(("intro", 2), ("verse", 2), ("chorus", 4)))
    score = compose(spec)
    assert score.programs["guitar"] == 30 and not score.parts["piano"]
    intro_end = 2 * 4
    assert not [n for n in score.parts["drums"] if n.beat < intro_end]
    assert not [n for n in score.parts["bass"] if n.beat < intro_end]
    assert [n for n in score.parts["guitar"] if n.beat < intro_end]
    by_onset: dict[float, list[int]] = {}
    for n in score.parts["guitar"]:
        by_onset.setdefault(n.beat, []).append(n.pitch)
    for pitches in by_onset.values():
        lo = min(pitches)
        assert sorted(p - lo for p in pitches) == [0, 7, 12]  # no third
        assert 40 <= lo < 52


def test_drumless_intro_and_drive_guitar_in_the_truth(tmp_path):
    spec = SongSpec(tempo=170.0, key="C", bars=4, seed=1, guitar_tone="overdrive",
                    drumless_intro=True, voices="gm", title="heavy",
                    sections=(("intro", 2), ("chorus", 2)))
    t = generate_song(spec, tmp_path).truth
    intro, chorus = t["sections"]
    assert "drums" not in intro["stems"] and "guitar" in intro["stems"]
    assert "piano" not in chorus["stems"] and "drums" in chorus["stems"]
    assert t["hard_options"] == {"guitar_tone": "overdrive", "drumless_intro": True}
    assert len(t["beats"]) == 16  # the intro is counted: the grid starts at 0


@pytest.mark.parametrize("timbre", ["harsh", "breathy"])
def test_voice_timbres_keep_the_contour_and_change_the_tone(timbre):
    sr = 44100
    t = np.arange(sr) / sr
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (t < 0.5)
    audio = np.stack([tone, tone]).astype(np.float32)
    out = colour_voice(audio, timbre, seed=4)
    assert out.shape == audio.shape
    assert np.array_equal(out, colour_voice(audio, timbre, seed=4))
    assert np.max(np.abs(out[:, int(0.6 * sr):])) < 1e-6   # a rest stays silent
    spec_in = np.abs(np.fft.rfft(tone[: sr // 2]))
    spec_out = np.abs(np.fft.rfft(out[0, : sr // 2]))
    def hf(s):
        return np.sum(s[2000:] ** 2) / np.sum(s ** 2)
    assert hf(spec_out) > 100 * hf(spec_in)
    assert colour_voice(audio, "clean", 4) is audio


def test_hard_set_splits_are_fixed_and_disjoint():
    from musicmixer.testsongs.hardset import hard_specs

    dev, test = hard_specs(8, "dev"), hard_specs(8, "test")
    assert hard_specs(3, "dev") == dev[:3]  # song i does not depend on the set's size
    assert not {s.seed for s in dev} & {s.seed for s in test}
    assert {s.feel for s in dev} == {"double_time", "half_time", "straight", "swing", "skank"}
    for s in dev + test:
        assert s.hard_options()
        if s.feel != "swing":
            assert 150.0 <= s.tempo <= 200.0
    with pytest.raises(ValueError):
        hard_specs(2, "train")


def test_pushed_intro_set_accents_the_off_beats_before_the_drums():
    """The pushed-intro set: fixed, disjoint splits; every song opens with 8
    drumless bars whose power chords are louder between the beats than on them."""
    from musicmixer.testsongs.compose import compose
    from musicmixer.testsongs.hardset import hard_specs, pushed_specs

    dev, test = pushed_specs(6, "dev"), pushed_specs(6, "test")
    assert pushed_specs(2, "dev") == dev[:2]
    seeds = {s.seed for s in dev}
    assert not seeds & {s.seed for s in test}
    assert not (seeds | {s.seed for s in test}) & {s.seed for s in hard_specs(24, "dev") + hard_specs(24, "test")}
    assert {s.feel for s in dev} == {"straight", "double_time", "half_time"}
    spec = dev[0]
    assert spec.hard_options()["offbeat_riff"] and spec.drumless_intro
    score = compose(spec)
    intro = [n for n in score.parts["guitar"] if n.beat < 32]
    on = np.mean([n.velocity for n in intro if n.beat % 1 == 0])
    off = np.mean([n.velocity for n in intro if n.beat % 1 == 0.5])
    assert off > on
    assert not [n for n in score.parts.get("drums", []) if n.beat < 32]
    with pytest.raises(ValueError):
        pushed_specs(2, "train")


def test_pushed_drums_intros_kick_the_pushes_and_keep_the_snare_on_2_and_4():
    """The drummed variant: its own seeds; the intro's kicks fall between the
    beats, its snares on 2 and 4 only, no hats; the band after it plays as usual."""
    from musicmixer.testsongs.compose import HAT, KICK, SNARE, compose
    from musicmixer.testsongs.hardset import pushed_specs

    drummed, drumless = pushed_specs(3, "dev", drums=True), pushed_specs(3, "dev")
    assert not {s.seed for s in drummed} & {s.seed for s in drumless + pushed_specs(6, "test")}
    spec = drummed[0]
    assert spec.pushed_drums and not spec.drumless_intro and spec.hard_options()["offbeat_riff"]
    drums = compose(spec).parts["drums"]
    intro = [n for n in drums if n.beat < 32]
    kicks = {n.beat % 4 for n in intro if n.pitch == KICK}
    snares = {n.beat % 4 for n in intro if n.pitch == SNARE and n.beat % 32 < 31}  # the fill aside
    assert kicks == {0.5, 1.5, 2.5, 3.5} and snares == {1.0, 3.0}
    assert not [n for n in intro if n.pitch == HAT]
    assert {n.beat % 4 for n in drums if n.beat >= 32 and n.pitch == HAT} >= {0.0, 1.0, 2.0, 3.0}
    # the drumless set's songs (and cache keys) are as they were
    assert not drumless[0].pushed_drums and "pushed_drums" not in drumless[0].hard_options()
