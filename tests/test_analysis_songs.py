"""Song analysis against the generated songs' exact truth: tempos 70-170 BPM,
major and minor keys, straight, swung and half-time drums; stems in the 4-,
6- and 7-stem vocabularies; the CLI.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import json

import mir_eval
import numpy as np
import pytest

from musicmixer.analysis.analyze import analyze_file, analyze_song
from musicmixer.analysis.model import SECTION_LABELS
from musicmixer.cli import main
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, LEAD_VOCAL_STEM, MIXED_VOCAL_STEM, SEVEN_STEMS
from musicmixer.testsongs import SongSpec, generate_song

SPECS = {
    "slow_swing_minor": SongSpec(tempo=70.0, key="A", mode="minor", bars=8, seed=1,
                                 feel="swing", title="Slow Swing", voices="gm"),
    "mid_straight_major": SongSpec(tempo=118.0, key="Eb", mode="major", bars=8, seed=2,
                                   feel="straight", title="Mid Straight", voices="gm"),
    "fast_half_time_minor": SongSpec(tempo=170.0, key="F#", mode="minor", bars=8, seed=3,
                                     feel="half_time", title="Fast Half", voices="gm"),
}
FORM_SPEC = SongSpec(tempo=140.0, key="G", mode="major", bars=16, seed=4, feel="straight",
                     title="Form", voices="gm")


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    root = tmp_path_factory.mktemp("analysis-songs")
    return {name: generate_song(spec, root) for name, spec in SPECS.items()}


@pytest.fixture(scope="module")
def form_song(tmp_path_factory):
    return generate_song(FORM_SPEC, tmp_path_factory.mktemp("analysis-form"))


@pytest.fixture(scope="module")
def mix_analyses(songs):
    return {name: analyze_song(s.load_mix(), 44100) for name, s in songs.items()}


@pytest.mark.parametrize("name", list(SPECS))
def test_tempo_beats_and_bars_match_truth(songs, mix_analyses, name):
    truth, a = songs[name].truth, mix_analyses[name]
    assert a.tempo == pytest.approx(truth["tempo"], rel=0.02)
    assert 0.0 <= a.tempo_confidence <= 1.0
    beat_f = mir_eval.beat.f_measure(np.array(truth["beats"]), np.array(a.beats), 0.07)
    bar_f = mir_eval.beat.f_measure(np.array(truth["downbeats"]), np.array(a.downbeats), 0.07)
    assert beat_f >= 0.9, f"beat F {beat_f:.3f}"
    assert bar_f >= 0.8, f"downbeat F {bar_f:.3f}"
    assert a.beats_per_bar == 4
    assert np.all(np.diff(a.beats) > 0)


@pytest.mark.parametrize("name", list(SPECS))
def test_key_and_mode_match_truth(songs, mix_analyses, name):
    truth, a = songs[name].truth, mix_analyses[name]
    score = mir_eval.key.weighted_score(f"{truth['key']} {truth['mode']}", f"{a.key} {a.mode}")
    assert score == 1.0, f"{a.key} {a.mode} for {truth['key']} {truth['mode']}"


@pytest.mark.parametrize("vocabulary, vocal", [(FOUR_STEMS, MIXED_VOCAL_STEM),
                                               (ALL_STEMS, MIXED_VOCAL_STEM),
                                               (SEVEN_STEMS, LEAD_VOCAL_STEM)])
def test_every_stem_mode_gets_a_character(songs, vocabulary, vocal):
    song = songs["mid_straight_major"]
    a = analyze_song(song.load_mix(), 44100, song.truth_stems(vocabulary))
    assert set(a.stem_character) == set(vocabulary)
    assert set(a.stem_bar_energy) == set(vocabulary)
    assert a.vocal_stem == vocal
    for name, c in a.stem_character.items():
        assert c.description.startswith(f"{name}:")
        assert c.presence in ("absent", "sparse", "present", "dominant")
    assert a.stem_character["drums"].presence in ("present", "dominant")
    if {"guitar", "piano"} <= set(vocabulary):  # guitar and piano have their own stems
        assert a.stem_character["other"].presence == "absent"  # nothing left for "other"
    assert a.tempo == pytest.approx(song.truth["tempo"], rel=0.02)


def test_sections_energy_and_vocals_follow_the_arrangement(form_song):
    truth = form_song.truth
    a = analyze_song(form_song.load_mix(), 44100, form_song.truth_stems(FOUR_STEMS))
    bar = 240.0 / truth["tempo"]
    # boundaries on the bar grid, each truth boundary found within one bar
    ref = [s["start_time"] for s in truth["sections"][1:]]
    est = [s.start_time for s in a.sections[1:]]
    assert all(min(abs(e - r) for e in est) <= bar * 1.01 for r in ref), (ref, est)
    assert a.sections[0].start_bar == 0 and a.sections[-1].end_bar == len(a.downbeats)
    for s, nxt in zip(a.sections, a.sections[1:]):
        assert s.end_bar == nxt.start_bar
    assert {s.label for s in a.sections} <= set(SECTION_LABELS)
    assert a.sections[0].label == "intro" and a.sections[-1].label == "outro"
    assert any(s.label == "chorus" for s in a.sections)
    chorus = max(a.sections, key=lambda s: s.energy)
    assert chorus.energy == 1.0 and a.sections[0].energy < 1.0
    # per-bar energy: vocals silent in the intro (bars 0-3), singing in the verse (4-7)
    vox = a.stem_bar_energy["vocals"]
    assert max(vox[:4]) < 0.1 and min(vox[4:8]) > 0.5
    assert len(a.bar_energy) == len(a.downbeats)
    # vocal activity covers the truth's singing and little else
    sung = truth["stem_activity"]["lead_vocals"]
    t = np.arange(0, truth["duration"], 0.05)
    ref_on = np.zeros(t.size, bool)
    est_on = np.zeros(t.size, bool)
    for s0, s1 in sung:
        ref_on |= (t >= s0) & (t < s1)
    for s0, s1 in a.vocal_activity:
        est_on |= (t >= s0) & (t < s1)
    iou = (ref_on & est_on).sum() / max((ref_on | est_on).sum(), 1)
    assert iou >= 0.7
    assert 80.0 <= a.vocal_pitch_hz <= 1000.0  # read from the sung stretches (tests/test_vocal_pitch.py)


def test_analyze_file_reads_lead_vocals_in_seven_stem_mode(songs):
    """Step 3.5: with vocal_sub_separation the vocal analysis reads lead_vocals.wav."""
    song = songs["slow_swing_minor"]
    a = analyze_file(song.mix_path, song.song_dir, vocal_sub_separation=True)
    assert a.vocal_stem == LEAD_VOCAL_STEM
    assert "backing_vocals" in a.stem_character and "lead_vocals" in a.stem_character
    assert a.vocal_activity
    assert a.title == song.mix_path.stem


def test_cli_prints_analysis_and_json(songs, capsys):
    song = songs["fast_half_time_minor"]
    assert main(["analyze", str(song.mix_path), "--mix-only"]) == 0
    text = capsys.readouterr().out
    assert "BPM" in text and "sections" in text
    assert main(["analyze", str(song.mix_path), "--stems", str(song.song_dir),
                 "--vocal-sub-separation", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tempo"] == pytest.approx(170.0, rel=0.02)
    assert data["vocal_stem"] == LEAD_VOCAL_STEM


def test_cli_reports_silence_as_an_error(tmp_path, capsys):
    import soundfile as sf

    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros((44100 * 10, 2), dtype=np.float32), 44100)
    assert main(["analyze", str(path)]) == 1
    assert "silent" in capsys.readouterr().err
