"""Tempo levels and one tempo everywhere: `analyze` and the mix job must read
the same tempo from the same song. A mashup once had a 170 BPM song warped on
a 136 BPM grid inside `musicmixer mix` while `musicmixer analyze` said 170:
the job analyses with the separated stems and a drum stem with a periodicity
of its own moved the tempo. These tests feed such a drum stem."""

from __future__ import annotations

import json

import mir_eval
import numpy as np
import pytest
from pipeline_helpers import SONG_CACHE, drum_pulse

from musicmixer.analysis.analyze import analyze_file, analyze_song
from musicmixer.cli import main
from musicmixer.config import load_settings
from musicmixer.interpreter import interpret
from musicmixer.mix.tempo import local_bpm
from musicmixer.stems import FOUR_STEMS
from musicmixer.testsongs import SongSpec, generate_song

SR = 44100


@pytest.fixture(scope="module")
def song_170():
    return generate_song(SongSpec(tempo=170.0, key="E", mode="minor", bars=12, seed=43,
                                  title="Vocal 170", voices="gm", feel="straight"), SONG_CACHE)


def test_a_drum_stem_at_another_tempo_does_not_move_the_tempo(song_170):
    mix = song_170.load_mix()
    alone = analyze_song(mix, SR)
    for bpm in (136.0, 113.3, 127.5):  # 4/5, 2/3 and 3/4 of the song's tempo
        stems = song_170.truth_stems(FOUR_STEMS) | {"drums": drum_pulse(bpm, mix.shape[1])}
        a = analyze_song(mix, SR, stems)
        assert a.tempo == pytest.approx(alone.tempo, rel=0.01), bpm
        assert a.tempo == pytest.approx(170.0, rel=0.02)
        assert [lv.bpm for lv in a.tempo_levels] == pytest.approx(
            [lv.bpm for lv in alone.tempo_levels], rel=0.01)


def test_the_plan_range_reads_the_songs_tempo(song_170):
    a = analyze_song(song_170.load_mix(), SR, song_170.truth_stems(FOUR_STEMS))
    other = analyze_song(song_170.load_mix(), SR)
    plan = interpret(a, other, "vocals from song A over song B", settings=load_settings())
    r = plan.vocal_range
    assert local_bpm(a.beats, r.start, r.end, a.tempo) == pytest.approx(a.tempo, rel=0.01)
    assert local_bpm(a.beats[:5] + a.beats[6:], r.start, r.end, a.tempo) == \
        pytest.approx(a.tempo, rel=0.01)  # a beat the tracker missed does not slow it


def test_levels_are_half_beat_and_double_with_scores(song_170):
    a = analyze_file(song_170.mix_path)
    by = {lv.level: lv for lv in a.tempo_levels}
    assert set(by) == {"half", "beat", "double"}
    assert by["beat"].bpm == pytest.approx(a.tempo)
    assert by["half"].bpm == pytest.approx(a.tempo / 2, abs=0.01)
    assert by["double"].bpm == pytest.approx(a.tempo * 2, abs=0.01)
    assert sum(lv.score for lv in a.tempo_levels) == pytest.approx(1.0, abs=1e-3)
    assert a.tempo_level_confidence == by["beat"].score
    beat_f = mir_eval.beat.f_measure(np.array(song_170.truth["beats"]), np.array(a.beats), 0.07)
    assert beat_f >= 0.9


def test_analyze_prints_the_levels_and_confidences(song_170, capsys):
    assert main(["analyze", str(song_170.mix_path), "--mix-only", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {lv["level"] for lv in data["tempo_levels"]} == {"half", "beat", "double"}
    assert 0.0 <= data["tempo_level_confidence"] <= 1.0 and "tempo_confidence" in data
    assert main(["analyze", str(song_170.mix_path), "--mix-only"]) == 0
    text = capsys.readouterr().out
    assert "levels" in text and "double" in text


def test_eighths_as_strong_as_the_beat_move_the_score_to_double_time():
    """An 85 BPM grid with eighth-note onsets of growing strength: at full strength
    the music is really at 170 and the double level must say so."""
    from musicmixer.analysis.features import FPS
    from musicmixer.analysis.levels import metrical_levels

    n, period = int(30 * FPS), 60 * FPS / 85.0

    def scores(eighths: float) -> dict:
        env = np.zeros(n)
        for k in range(int(2 * n / period)):
            i = int(round(k * period / 2))
            if i < n:
                env[i] += 1.0 if k % 2 == 0 else eighths
        return {name: s for name, _, s in metrical_levels(env, 85.0)}

    assert scores(0.0)["beat"] > 0.9
    assert scores(1.0)["double"] > 0.9
    assert scores(0.2)["double"] < scores(0.6)["double"]


@pytest.mark.parametrize("index", [0, 2])  # double-time metal 168, syncopated rock 173 BPM
def test_backbeat_snares_keep_fast_songs_at_their_felt_tempo(index):
    """Eighth-note kicks, pushed kicks and snares and +-2% wander smear the pulse
    of these songs; both were tracked at half tempo until the snare's backbeat
    (every second beat) was read. With stems the tempo is the same."""
    from musicmixer.testsongs.hardset import hard_specs

    spec = hard_specs(index + 1, "dev", voices="gm")[index]
    s = generate_song(spec, SONG_CACHE)
    a = analyze_song(s.load_mix(), SR)
    assert a.tempo == pytest.approx(spec.tempo, rel=0.04)
    assert max(a.tempo_levels, key=lambda lv: lv.score).level == "beat"
    stems = analyze_song(s.load_mix(), SR, s.truth_stems(FOUR_STEMS))
    assert stems.tempo == pytest.approx(a.tempo, rel=0.01)


def test_a_minor_song_in_distorted_power_chords_reads_minor():
    """The hard set's G minor metal song (distorted root-fifth chords, whose fifth
    harmonics ring a major third above each note) was read as G major with its
    harsh voice (with the GM voice the melody's minor third outweighs them)."""
    from musicmixer.testsongs.hardset import hard_specs

    spec = hard_specs(1, "dev", voices="auto")[0]
    assert (spec.key, spec.mode, spec.guitar_tone) == ("G", "minor", "distortion")
    s = generate_song(spec, SONG_CACHE)
    a = analyze_song(s.load_mix(), SR, s.truth_stems(FOUR_STEMS))
    assert (a.key, a.mode) == ("G", "minor")


def test_a_drum_stem_in_the_mixs_tempo_family_lends_its_snare_to_the_octave_choice():
    """The separated snare repeats on 2 and 4 more plainly than the mix's mid
    band (hats, strums and voice fill it), so with a drum stem the backbeat
    reading of a 168 BPM double-time metal song (harsh voice) clears its rule by more, and the
    beat level is surer; a drum stem pulsing at a tempo of its own lends nothing."""
    from musicmixer.analysis.features import compute_features
    from musicmixer.analysis.octave import (
        DrumBands,
        backbeat_margin,
        drum_autocorr,
        level_drum_bands,
    )
    from musicmixer.analysis.periodicity import normalise
    from musicmixer.testsongs.hardset import hard_specs

    spec = hard_specs(1, "dev", voices="auto")[0]  # the harsh voice fills the mid band
    s = generate_song(spec, SONG_CACHE)
    mix = compute_features(s.load_mix(), SR, with_chroma=False)
    drums = compute_features(s.load_stem("drums"), SR, with_chroma=False)
    chosen = level_drum_bands(normalise(mix.onset), mix.mid_onset, normalise(drums.onset),
                              drums.mid_onset)
    assert chosen.snare is drums.mid_onset and chosen.separated
    assert backbeat_margin(drum_autocorr(chosen), spec.tempo) > \
        backbeat_margin(drum_autocorr(DrumBands(mix.mid_onset)), spec.tempo) + 0.03

    bad = compute_features(drum_pulse(spec.tempo * 0.8, s.load_mix().shape[1]), SR, with_chroma=False)
    lent = level_drum_bands(normalise(mix.onset), mix.mid_onset, normalise(bad.onset), bad.mid_onset)
    assert lent.snare is mix.mid_onset and not lent.separated

    beat = {}
    for name, stems in (("mix", None), ("stems", s.truth_stems(FOUR_STEMS))):
        a = analyze_song(s.load_mix(), SR, stems)
        assert a.tempo == pytest.approx(spec.tempo, rel=0.04)
        beat[name] = a.tempo_level_confidence
    assert beat["stems"] >= beat["mix"]


@pytest.fixture
def own_data_dir(monkeypatch, tmp_path):
    """A DATA_DIR (and so a stem cache) of this test's own, in the settings the CLI reads."""
    from musicmixer.config import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_analyze_separates_as_the_job_does_by_default(song_170, monkeypatch, own_data_dir, capsys):
    """`analyze SONG` (and `--separate`, the same) separates as the job does and
    analyses with those stems (here a separator that returns the song's own stems)."""
    from pipeline_helpers import TruthBackend

    from musicmixer.separation import dispatcher
    from musicmixer.stems import stems_for_settings

    monkeypatch.setitem(dispatcher.BACKENDS, "local", TruthBackend(song_170))
    settings = load_settings()
    assert settings.stem_backend == "local"
    job = analyze_song(song_170.load_mix(), SR, song_170.truth_stems(stems_for_settings(settings)))
    for flags in ([], ["--separate"]):
        assert main(["analyze", str(song_170.mix_path), *flags, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["tempo"] == pytest.approx(job.tempo, abs=1e-3)
        assert data["beats"] == pytest.approx(job.beats, abs=1e-3)
        assert data["downbeats"] == pytest.approx(job.downbeats, abs=1e-3)
        assert data["stem_bar_energy"].keys() == job.stem_bar_energy.keys()
        assert not any("mix alone" in w for w in data["warnings"])
    with pytest.raises(SystemExit) as usage:
        main(["analyze", str(song_170.mix_path), "--mix-only", "--separate"])
    assert usage.value.code == 2


def test_plan_separates_audio_songs_as_the_job_does(song_170, monkeypatch, own_data_dir, capsys):
    """`plan A.wav B.wav` analysed the mixes alone, so its tempo octave and beat
    grid could differ from the job's; it now separates as the job does (and
    `--mix-only` keeps the quick reading)."""
    from pipeline_helpers import TruthBackend

    from musicmixer.separation import dispatcher

    backend = TruthBackend(song_170)
    monkeypatch.setitem(dispatcher.BACKENDS, "local", backend)
    monkeypatch.setenv("LLM_PROVIDER", "none")
    song = str(song_170.mix_path)
    assert main(["plan", song, song, "--prompt", "vocals from A", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["sections"]
    assert backend.calls == 1  # song B, the same file, comes from the job's stem cache
    assert main(["plan", song, song, "--prompt", "vocals from A", "--mix-only"]) == 0
    assert json.loads(capsys.readouterr().out)["sections"]
    assert backend.calls == 1


def test_analyze_without_the_model_reads_the_mix_and_says_so(song_170, monkeypatch, own_data_dir,
                                                             capsys):
    from musicmixer.errors import ModelMissingError
    from musicmixer.separation import dispatcher

    def no_model(job):
        raise ModelMissingError("htdemucs.onnx is missing: run `musicmixer models fetch`")

    monkeypatch.setitem(dispatcher.BACKENDS, "local", no_model)
    assert main(["analyze", str(song_170.mix_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    mix_only = analyze_song(song_170.load_mix(), SR)
    assert data["tempo"] == pytest.approx(mix_only.tempo, abs=1e-3)
    assert any("mix alone" in w and "models fetch" in w for w in data["warnings"])


def test_the_drum_stem_keeps_a_96_bpm_song_off_its_eighths():
    """A 96 BPM straight song's hats and strums fill the mix's mid band on every
    beat, so its 192 BPM eighths nearly pass the backbeat rule from the mix; the
    drum stem's snare, which repeats every four of those eighths, fails it plainly
    (its two-beat repetition, 0.36, is too weak for `BACKBEAT_FOUR_SHARE` to apply)."""
    from musicmixer.analysis.features import compute_features
    from musicmixer.analysis.octave import DrumBands, backbeat_margin, drum_autocorr

    s = generate_song(SongSpec(tempo=96.0, key="C", mode="major", bars=12, seed=12,
                               title="Drift I", voices="gm"), SONG_CACHE)
    mix = compute_features(s.load_mix(), SR, with_chroma=False)
    drums = compute_features(s.load_stem("drums"), SR, with_chroma=False)
    from_mix = backbeat_margin(drum_autocorr(DrumBands(mix.mid_onset)), 192.0)
    from_drums = backbeat_margin(drum_autocorr(DrumBands(drums.mid_onset, separated=True)), 192.0)
    assert from_drums < 0.0 and from_drums < from_mix - 0.05
    a = analyze_song(s.load_mix(), SR, s.truth_stems(FOUR_STEMS))
    assert a.tempo == pytest.approx(96.0, rel=0.04)


def test_a_double_time_metal_song_whose_drum_stem_repeats_by_the_bar_reads_fast():
    """A 180 BPM double-time metal song (distorted guitars, harsh voice; snare on
    2 and 4, kicks on the eighths) was read at 90 with its stems, as the issue's
    170 BPM vocal song was read at 85: its drum stem's snare band repeats every
    two beats (0.65) far more than every beat (0.36), but a little less than
    every four (0.71, the bar), which failed the backbeat rule's four-beat side.
    From a separated drum stem that side asks a share of the bar's repetition."""
    s = generate_song(SongSpec(tempo=180.0, key="D", mode="minor", seed=81, bars=32,
                               title="Real V0", feel="double_time", guitar_tone="distortion",
                               voice_timbre="harsh", voices="festival"), SONG_CACHE)
    a = analyze_song(s.load_mix(), SR, s.truth_stems(FOUR_STEMS))
    assert a.tempo == pytest.approx(180.0, rel=0.02)
    assert max(a.tempo_levels, key=lambda lv: lv.score).level == "beat"


def _noisy_groove(bpm: float, eighths: list[float], noise: float, seconds: float = 60.0):
    """An onset envelope: a drum pattern on the eighth notes of `bpm` (strengths
    varying +-15 %) buried in the onsets of a dense real mix (gamma noise)."""
    from musicmixer.analysis.features import FPS

    rng = np.random.default_rng(3)
    env = np.zeros(int(seconds * FPS))
    step = 60.0 * FPS / bpm / 2
    for i, t in enumerate(np.arange(0.0, len(env) - 2, step)):
        env[int(round(t))] += eighths[i % len(eighths)] * rng.uniform(0.7, 1.0)
    return env + noise * rng.gamma(1.0, 1.0, len(env))


@pytest.mark.parametrize("noise", [0.12, 0.15, 0.17])
def test_a_weak_but_even_pulse_in_a_dense_mix_is_the_beat(noise):
    """Real recordings read every autocorrelation lower than generated songs: a
    140 BPM half-time groove (kick on 1, snare on 3, hats on the eighths) in a
    dense mix keeps its pulse as strong as its two-beat repetition but under
    the absolute FAST_PULSE, and was read at 70. A 90 BPM rock beat in the same
    mix, whose 180 BPM eighths repeat far more every two than every one, stays at 90."""
    from musicmixer.analysis import beats as B
    from musicmixer.analysis.features import FPS
    from musicmixer.analysis.octave import FAST_PULSE
    from musicmixer.analysis.periodicity import acf_at, autocorr, normalise

    half_time = normalise(_noisy_groove(140.0, [1.0, .3, .5, .3, 1.0, .3, .5, .3], noise))
    ac = autocorr(half_time, 800)
    assert acf_at(ac, 60.0 * FPS / 140.0) < FAST_PULSE  # the old rule said 70
    assert B.choose_level(half_time, 140.0)[0] == pytest.approx(140.0)
    straight = normalise(_noisy_groove(90.0, [1.0, .25, .9, .25, 1.0, .25, .9, .25], noise))
    assert B.choose_level(straight, 90.0)[0] == pytest.approx(90.0)
