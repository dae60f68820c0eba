"""The offline planner reads the prompt: a table of prompts with the plan
properties each must have (tests/interpreter_cases.py), adversarial prompts
that must all give a valid plan, and the explanation it writes."""

from __future__ import annotations

import pytest
from interpreter_cases import ADVERSARIAL, CASES, check, run_case, song_pair
from interpreter_helpers import EDM_LAYOUT, make_analysis, settings_for

from musicmixer.interpreter import interpret
from musicmixer.interpreter.prompt_reading import read_prompt
from musicmixer.stems import stems_for_settings


def assert_valid(plan, settings, a, b):
    stems = stems_for_settings(settings)
    assert plan.stem_names == stems
    inst = b if plan.vocal_source == "song_a" else a
    assert plan.sections[-1].end_beat <= len(inst.downbeats) * 4
    for prev, nxt in zip(plan.sections, plan.sections[1:]):
        assert prev.end_beat == nxt.start_beat
    for s in plan.sections:
        assert list(s.stem_gains) == stems
        assert all(0.0 <= g <= 1.0 for g in s.stem_gains.values())
        assert s.start_beat % 4 == 0 and s.end_beat % 4 == 0 and s.end_beat > s.start_beat
        assert 0 <= s.transition_beats <= 8
    assert 0 <= plan.vocal_range.start <= plan.vocal_range.end <= (a if inst is b else b).duration + 1e-6
    assert 0 <= plan.instrumental_range.start < plan.instrumental_range.end <= inst.duration + 1e-6
    assert plan.explanation


def test_the_table_has_at_least_30_prompts():
    assert len(CASES) >= 30


@pytest.mark.parametrize("prompt, mode, expect", CASES, ids=[c[0][:40] or "<empty>" for c in CASES])
def test_prompt_is_honoured(prompt, mode, expect):
    plan, a, b = run_case(prompt, mode)
    assert_valid(plan, settings_for(mode), a, b)
    assert plan.planner == "offline"
    assert check(plan, expect) == []


@pytest.mark.parametrize("prompt", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
@pytest.mark.parametrize("mode", ["4", "7"])
def test_adversarial_prompts_give_a_valid_plan(prompt, mode):
    plan, a, b = run_case(prompt, mode)
    assert_valid(plan, settings_for(mode), a, b)
    assert plan.planner == "offline"
    assert len(plan.explanation) < 2000


def test_explanation_says_what_was_understood_and_ignored():
    plan, _, _ = run_case("B's vocals over A's beat, no drums in the verses, make it sparkle", "6")
    assert "Vocals from song B" in plan.explanation
    assert "B's vocals over A's beat" in plan.explanation  # the evidence
    assert "no drums in the verse sections" in plan.explanation
    assert 'Ignored (not understood): "make it sparkle"' in plan.explanation


def test_default_vocal_source_is_explained():
    plan, _, _ = run_case("", "6")
    assert "did not say which song sings" in plan.explanation


def test_long_prompt_is_read_up_to_a_bound():
    plan, _, _ = run_case("no drums. " + "la " * 5000, "6")
    assert all(s.stem_gains["drums"] == 0.0 for s in plan.sections)
    assert "first 4000 characters" in plan.explanation


def test_vocal_activity_places_the_vocal_entry():
    vocal = make_analysis("Late", tempo=120.0).model_copy(update={"vocal_activity": [(20.5, 40.0)]})
    inst = make_analysis("Early", tempo=120.0)
    plan = interpret(vocal, inst, "", settings=settings_for("6"))
    assert plan.vocal_start_bar + plan.sections[0].bars == 10  # 20.5 s is in bar 10 at 2 s a bar


def test_sections_follow_the_vocal_songs_structure():
    vocal = make_analysis("Rise", tempo=128.0, layout=EDM_LAYOUT)
    inst = make_analysis("Fall", tempo=124.0)
    plan = interpret(vocal, inst, "", settings=settings_for("6"))
    labels = [s.label for s in plan.sections]
    assert labels[0] == "intro" and labels[-1] == "outro"
    assert "drop" in labels and "breakdown" in labels  # named by the vocal song's structure
    # the vocal song's first sung bar (16) lines up with the end of the plan's intro
    assert plan.vocal_start_bar + plan.sections[0].bars == 16


def test_titles_taken_from_file_names_are_matched():
    a = make_analysis("01_-_neon_rain.mp3")
    b = make_analysis("kite_song.wav")
    plan = interpret(a, b, "kite song vocals over neon rain", settings=settings_for("6"))
    assert plan.vocal_source == "song_b"


def test_songs_without_sections_still_get_a_structured_plan():
    a = make_analysis(tempo=90.0).model_copy(update={"sections": []})
    b = make_analysis(tempo=95.0).model_copy(update={"sections": []})
    plan = interpret(a, b, "short", settings=settings_for("7"))
    assert_valid(plan, settings_for("7"), a, b)
    assert {"verse", "outro"} <= {s.label for s in plan.sections}


def test_reading_is_bounded_and_clause_based():
    reading = read_prompt("no drums in the verse and heavy bass in the chorus")
    scopes = {w.action: w.scope.labels for w in reading.wishes}
    assert scopes == {"mute": frozenset({"verse"}), "feature": frozenset({"chorus"})}
    assert read_prompt("drop the drums").wishes[0].scope.labels is None  # "drop" is the verb here
    assert read_prompt("no drums until the chorus").wishes[0].scope.which == "before"


def test_vocal_source_vote_is_not_fooled_by_articles():
    a, b = song_pair("6")
    assert read_prompt("A chill mix with a song a bit slower", a, b).vocal_source is None
    assert read_prompt("make it R&B style, vocals from B", a, b).vocal_source == "song_b"
