"""Lead/backing test 9: the fallback plan uses the right stem names per flag;
the vocal split and `default_arrangement` keep the designed behaviour.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import pytest
from interpreter_cases import song_pair
from interpreter_helpers import make_analysis, settings_for

from musicmixer.interpreter.fallback import (
    default_arrangement,
    generate_fallback_plan,
    project_sections,
)
from musicmixer.interpreter.plan import PlanSection
from musicmixer.stems import (
    ALL_STEMS,
    DEFAULT_BACKING_VOCAL_RATIO,
    FOUR_STEMS,
    SEVEN_STEMS,
    stem_mode,
)


def test_ratio_is_the_spec_value():
    assert DEFAULT_BACKING_VOCAL_RATIO == 0.65


def test_projecting_onto_7_stems_splits_vocals():
    sections = [PlanSection(label="verse", start_beat=0, end_beat=16,
                            stem_gains={"vocals": 0.8, "drums": 0.5}),
                PlanSection(label="intro", start_beat=16, end_beat=32, stem_gains={"drums": 0.5})]
    out = project_sections(sections, stem_mode("modal", True))
    assert out is sections
    assert out[0].stem_gains == {"lead_vocals": 0.8, "backing_vocals": pytest.approx(0.52), "drums": 0.5,
                                 "bass": 0.0, "guitar": 0.0, "piano": 0.0, "other": 0.0}
    assert out[1].stem_gains["lead_vocals"] == 0.0 and out[1].stem_gains["backing_vocals"] == 0.0


@pytest.mark.parametrize("mode, stems", [("4", FOUR_STEMS), ("6", ALL_STEMS), ("7", SEVEN_STEMS)])
def test_fallback_plan_uses_the_modes_stem_names(mode, stems):
    a, b = song_pair(mode)
    plan = generate_fallback_plan(a, b, settings_for(mode))
    assert plan.planner == "fallback" and plan.vocal_source == "song_a"
    assert "automatic remix layout" in plan.explanation
    assert plan.stem_names == stems
    for section in plan.sections:
        assert list(section.stem_gains) == stems
        if mode == "7":
            g = section.stem_gains
            assert g["backing_vocals"] == pytest.approx(g["lead_vocals"] * DEFAULT_BACKING_VOCAL_RATIO)


def test_local_backend_ignores_the_flag_in_the_fallback():
    a, b = song_pair("4")
    plan = generate_fallback_plan(a, b, settings_for("4", vocal_sub_separation=True))
    assert plan.stem_names == FOUR_STEMS


def test_default_arrangement_is_the_fixed_layout():
    sections = default_arrangement(200, stem_mode("modal", False))
    assert [s.label for s in sections] == ["intro", "verse", "chorus", "verse", "chorus",
                                           "bridge", "chorus", "outro"]
    assert sections[-1].end_beat == 80 * 4
    assert all(s.start_beat % 4 == 0 and s.end_beat % 4 == 0 for s in sections)
    assert sections[0].stem_gains["vocals"] == 0.0 and sections[1].stem_gains["vocals"] == 1.0


def test_default_arrangement_truncates_to_a_short_song_and_ends_in_an_outro():
    sections = default_arrangement(30, stem_mode("modal", True))
    assert sections[-1].end_beat == 120 and sections[-1].label == "outro"
    assert all(list(s.stem_gains) == SEVEN_STEMS for s in sections)


def test_fallback_survives_a_degenerate_analysis():
    tiny = make_analysis(layout=(("verse", 1),))
    tiny = tiny.model_copy(update={"downbeats": [], "beats": [], "sections": []})
    plan = generate_fallback_plan(tiny, tiny, settings_for("6"))
    assert plan.sections and plan.sections[0].start_beat == 0
