"""Step 8.5 when key detection is unsure: the shift that minimises the measured
harmonic clash between the vocals and the instrumental (mix/clash.py), with
the clash before and after reported.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np
import pytest
from pipeline_helpers import SONG_CACHE

from musicmixer.analysis.analyze import analyze_song
from musicmixer.interpreter.plan import PlanSection, RemixPlan, TimeRange
from musicmixer.mix.clash import best_shift, clash_by_shift, dissonance_matrix
from musicmixer.mix.keymatch import MIN_KEY_CONFIDENCE, bar_pairs, plan_key
from musicmixer.stems import FOUR_STEMS
from musicmixer.testsongs import SongSpec, generate_song


@pytest.fixture(scope="module")
def semitone_pair():
    """C# minor vocals, a C minor band: the worst clash if left alone."""
    v = generate_song(SongSpec(tempo=110.0, key="C#", mode="minor", bars=16, seed=31,
                               title="Clash V", voices="gm"), SONG_CACHE)
    i = generate_song(SongSpec(tempo=110.0, key="C", mode="minor", bars=16, seed=32,
                               title="Clash I", voices="gm"), SONG_CACHE)
    return tuple(analyze_song(s.load_mix(), 44100, s.truth_stems(FOUR_STEMS)) for s in (v, i))


def unsure(a, key="C", mode="minor"):
    """The analysis as distorted guitars leave it: a key name, barely trusted."""
    return a.model_copy(update={"key": key, "mode": mode, "key_confidence": 0.05})


def test_dissonance_orders_intervals():
    d = dissonance_matrix()
    assert d[0, 0] == 0 and d[0, 7] == 0  # unison and fifth
    assert d[0, 1] == d[0, 11] == 1.0  # semitone and major seventh: the worst
    assert d[0, 3] < d[0, 4] < d[0, 6] < d[0, 2] < d[0, 1]  # Huron's order


def test_clash_finds_the_semitone_on_bare_chroma():
    c_major = np.zeros(12)
    c_major[[0, 4, 7]] = 1.0
    melody_in_c_sharp = np.zeros(12)
    melody_in_c_sharp[[1, 5, 8]] = 1.0
    scores = clash_by_shift(np.tile(melody_in_c_sharp, (4, 1)), np.tile(c_major, (4, 1)))
    assert best_shift(scores) == -1
    assert scores[-1] < scores[0]


def test_semitone_apart_with_unclear_keys_is_shifted_to_the_compatible_key(semitone_pair):
    va, ia = semitone_pair
    assert va.vocal_bar_chroma and ia.harmony_bar_chroma
    # both read as C minor, unsure: the key names alone would leave them as they are
    d = plan_key(unsure(va), unsure(ia))
    assert d.method == "clash"
    assert d.total_shift == -1 and d.vocal_shift == -1 and d.instrumental_shift == 0
    assert d.clash_after < d.clash_before - 0.03
    assert any("unsure" in w and "-1 semitones" in w for w in d.warnings)
    # still the same answer when the unsure keys are named wrongly the other way
    d2 = plan_key(unsure(va, "E", "major"), unsure(ia, "F", "minor"))
    assert d2.total_shift == -1


def test_unclear_keys_already_compatible_stay(semitone_pair):
    va, _ = semitone_pair
    d = plan_key(unsure(va), unsure(va))  # the vocal song's own band under its vocals
    assert d.method == "clash" and d.total_shift == 0
    assert d.clash_after == d.clash_before


def test_confident_keys_use_the_key_names_and_report_the_clash(semitone_pair):
    va, ia = semitone_pair
    assert min(va.key_confidence, ia.key_confidence) >= MIN_KEY_CONFIDENCE
    d = plan_key(va, ia)
    assert d.method == "key" and d.total_shift == -1
    assert d.clash_before is not None and d.clash_after < d.clash_before


def test_no_pitch_content_keeps_the_old_skip(semitone_pair):
    va, ia = semitone_pair
    bare = unsure(va).model_copy(update={"vocal_bar_chroma": []})
    d = plan_key(bare, unsure(ia, "D", "minor"))
    assert d.method == "none" and d.total_shift != 0 and d.vocal_shift == 0
    assert d.clash_before is None
    assert any("Key not matched" in w for w in d.warnings)


def test_bar_pairs_follow_the_plan():
    gains = {"vocals": 1.0, "drums": 1.0, "bass": 1.0, "other": 1.0}
    plan = RemixPlan(
        vocal_source="song_a", vocal_start_bar=3,
        vocal_range=TimeRange(start=0, end=10), instrumental_range=TimeRange(start=0, end=10),
        sections=[PlanSection(label="intro", start_beat=8, end_beat=16,
                              stem_gains={**gains, "vocals": 0.0}),
                  PlanSection(label="verse", start_beat=16, end_beat=24, stem_gains=gains)],
        explanation="", stem_names=list(FOUR_STEMS), planner="offline")
    assert bar_pairs(plan) == [(5, 4, 1.0), (6, 5, 1.0)]


def test_main_job_reports_the_clash_and_shifts_an_unsure_semitone_pair(tmp_path, monkeypatch):
    """End to end: the keys read as unsure, the job moves the vocals a semitone
    down and says so in report.json (method, clash before and after, warning)."""
    import json

    from pipeline_helpers import TruthBackend

    from musicmixer import pipeline
    from musicmixer.config import load_settings
    from musicmixer.mix import rubberband
    from musicmixer.pipeline import MixRequest, run_mix

    monkeypatch.setattr(rubberband, "VOCAL_OPTIONS", [*rubberband.VOCAL_OPTIONS, "--window-short"])
    real = pipeline.analyze_song
    monkeypatch.setattr(pipeline, "analyze_song",
                        lambda *a, **k: unsure(real(*a, **k)))
    v = generate_song(SongSpec(tempo=110.0, key="C#", mode="minor", bars=16, seed=31,
                               title="Clash V", voices="gm"), SONG_CACHE)
    i = generate_song(SongSpec(tempo=110.0, key="C", mode="minor", bars=16, seed=32,
                               title="Clash I", voices="gm"), SONG_CACHE)
    settings = load_settings(stem_backend="local", vocal_sub_separation=False,
                             data_dir=tmp_path / "data")
    out = tmp_path / "out" / "mashup.wav"
    run_mix(MixRequest(v.mix_path, i.mix_path, "vocals from song A over song B", out,
                       backends={"local": TruthBackend(v, i)}), settings)
    report = json.loads((out.parent / "report.json").read_text())
    key = report["key"]
    assert key["method"] == "clash" and key["total_shift"] == -1 and key["vocal_shift"] == -1
    assert key["clash_after"] < key["clash_before"]
    assert any("unsure" in w for w in report["warnings"])


def test_confident_but_misread_mode_is_overruled_by_the_clash(semitone_pair):
    """C# minor vocals read as C# major (power chords hide the third): the key
    names ask for +2 (to Eb major, C minor's relative), which clashes; -1 wins."""
    va, ia = semitone_pair
    misread = va.model_copy(update={"mode": "major"})
    d = plan_key(misread, ia)
    assert d.method == "clash" and d.total_shift == -1
    assert any("asked for +2" in w for w in d.warnings)
