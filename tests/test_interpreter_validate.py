"""Lead/backing test 8: an LLM plan with 7-stem gains is accepted and missing stems
are filled with 0.0; every other defect is repaired, `repair_plan` raises only
`PlanRepairError`, and `plan_from_llm_output` never raises on LLM output.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import pytest
from interpreter_cases import song_pair
from interpreter_helpers import settings_for

from musicmixer.interpreter import plan_from_llm_output
from musicmixer.interpreter.validate import PlanRepairError, repair_plan
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS, stem_mode


def plan_with(sections, **extra):
    return {"vocal_source": "song_a", "sections": sections, "explanation": "x", **extra}


def section(start, end, gains, label="verse", **extra):
    return {"label": label, "start_beat": start, "end_beat": end, "stem_gains": gains, **extra}


def validate(raw, mode="7", prompt=""):
    a, b = song_pair(mode)
    return plan_from_llm_output(raw, a, b, prompt, settings_for(mode))


def test_accepts_7stem_gains_and_fills_missing_with_zero():
    plan = validate(plan_with([section(0, 32, {"lead_vocals": 0.9, "backing_vocals": 0.4, "drums": 0.7})]))
    gains = plan.sections[0].stem_gains
    assert list(gains) == SEVEN_STEMS
    assert gains == {"lead_vocals": 0.9, "backing_vocals": 0.4, "drums": 0.7,
                     "bass": 0.0, "guitar": 0.0, "piano": 0.0, "other": 0.0}
    assert plan.planner == "llm"


@pytest.mark.parametrize("mode, stems", [("4", FOUR_STEMS), ("6", ALL_STEMS), ("7", SEVEN_STEMS)])
def test_valid_stems_per_mode(mode, stems):
    plan = validate(plan_with([section(0, 16, {})]), mode=mode)
    assert plan.stem_names == stems and list(plan.sections[0].stem_gains) == stems


def test_unknown_stems_are_dropped_with_a_warning_and_gains_clamped():
    plan = validate(plan_with([section(0, 16, {"drums": 1.7, "bass": -0.2, "synth": 0.5,
                                                 "piano": "loud", "other": float("nan")})]), mode="6")
    gains = plan.sections[0].stem_gains
    assert "synth" not in gains and gains["drums"] == 1.0 and gains["bass"] == 0.0
    assert gains["piano"] == 0.0 and gains["other"] == 0.0
    assert any("synth" in w for w in plan.warnings)
    assert any("clamped" in w for w in plan.warnings)


def test_vocal_names_of_another_mode_are_mapped():
    plan7 = validate(plan_with([section(0, 16, {"vocals": 1.0})]), mode="7")
    assert plan7.sections[0].stem_gains["lead_vocals"] == 1.0
    assert plan7.sections[0].stem_gains["backing_vocals"] == pytest.approx(0.65)
    plan6 = validate(plan_with([section(0, 16, {"lead_vocals": 0.8, "backing_vocals": 0.3})]), mode="6")
    assert plan6.sections[0].stem_gains["vocals"] == 0.8
    plan4 = validate(plan_with([section(0, 16, {"guitar": 0.9, "other": 0.2})]), mode="4")
    assert plan4.sections[0].stem_gains["other"] == 0.9


def test_sections_sorted_snapped_and_overlaps_and_gaps_repaired():
    raw = plan_with([
        section(66, 98, {}, label="chorus"),
        section(1, 30, {}, label="intro"),
        section(30, 70, {}, label="verse"),  # overlaps the chorus (68 after snapping)
        section(40, 48, {}, label="bridge"),  # inside the verse: dropped
        section(112, 128, {}, label="outro"),  # gap 96..112 closed
    ])
    plan = validate(raw)
    bounds = [(s.label, s.start_beat, s.end_beat) for s in plan.sections]
    assert bounds == [("intro", 0, 32), ("verse", 32, 72), ("chorus", 72, 112), ("outro", 112, 128)]
    for prev, nxt in zip(plan.sections, plan.sections[1:]):
        assert prev.end_beat == nxt.start_beat


def test_sections_are_clamped_to_the_instrumental_length():
    _, b = song_pair("7")
    max_beat = len(b.downbeats) * 4
    plan = validate(plan_with([section(0, 32, {}), section(32, 100000, {}), section(200000, 200016, {})]))
    assert plan.sections[-1].end_beat == max_beat
    assert plan.instrumental_range.end <= b.duration + 1e-6


def test_labels_transitions_and_intents_are_coerced():
    raw = plan_with([section(0, 16, {}, label="Pre-Chorus", transition_in="swoosh", transition_beats=99),
                     section(16, 32, {}, label="hook", transition_beats=-3),
                     section(32, 48, {}, label="chorus 2"),
                     section(48, 64, {}, label="???")],
                    tempo_intent="warp", key_intent="match_vocal", vocal_source="B")
    plan = validate(raw)
    assert [s.label for s in plan.sections] == ["verse", "chorus", "chorus", "verse"]
    assert plan.sections[0].transition_in == "crossfade" and plan.sections[0].transition_beats == 8
    assert plan.sections[1].transition_beats == 0
    assert plan.tempo_intent == "match_instrumental" and plan.key_intent == "match_vocal"
    assert plan.vocal_source == "song_b"


def test_ranges_follow_the_vocal_start_bar():
    a, b = song_pair("7")
    plan = validate(plan_with([section(32, 96, {})], vocal_start_bar=8))
    assert plan.vocal_range.start == pytest.approx(a.downbeats[8])
    assert plan.vocal_range.end == pytest.approx(a.downbeats[8 + 16])
    assert plan.instrumental_range.start == pytest.approx(b.downbeats[8])


def test_vocals_past_the_vocal_songs_end_are_silenced():
    plan = validate(plan_with([section(0, 32, {"lead_vocals": 1.0}), section(32, 64, {"lead_vocals": 1.0})],
                              vocal_start_bar=len(song_pair("7")[0].downbeats) - 4))
    assert plan.sections[0].stem_gains["lead_vocals"] == 1.0
    assert plan.sections[1].stem_gains["lead_vocals"] == 0.0
    assert any("vocal song ends" in w for w in plan.warnings)


@pytest.mark.parametrize("raw", [
    None, "not a plan", 42, [], {}, {"sections": []}, {"sections": "verse"},
    {"sections": [{"label": "verse"}]}, {"sections": [{"start_beat": "x", "end_beat": None}]},
    {"sections": [{"start_beat": 16, "end_beat": 16}]}, {"sections": [{"start_beat": float("inf"), "end_beat": 8}]},
])
def test_unrepairable_plans_fall_back_to_the_offline_planner(raw):
    plan = validate(raw, prompt="vocals from the second song, no drums")
    assert plan.planner == "offline"
    assert plan.vocal_source == "song_b"
    assert all(s.stem_gains["drums"] == 0.0 for s in plan.sections)
    assert any("could not be used" in w for w in plan.warnings)


@pytest.mark.parametrize("raw", [None, {"sections": []}, {"sections": [{"start_beat": 16, "end_beat": 16}]}])
def test_repair_plan_is_pure_and_says_when_nothing_is_left(raw):
    a, b = song_pair("7")
    with pytest.raises(PlanRepairError):
        repair_plan(raw, stem_mode("modal", True), a, b, planner="llm")


def test_garbage_inside_a_plan_never_raises():
    raw = plan_with([section("0", "16.2", {"drums": True, 7: 0.5, "bass": [1]}, energy="hot"),
                     "junk", None, section(16, 32, None, label=None)],
                    warnings=["ok", 5, None], explanation=["not", "text"])
    plan = validate(raw)
    assert [s.start_beat for s in plan.sections] == [0, 16]
    assert plan.explanation  # a default text
    assert "ok" in plan.warnings
