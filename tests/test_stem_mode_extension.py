"""A new stem mode needs only its `StemMode` entry (and the backend that makes
its stems): registered here for the duration of each test, a 5-stem mode
(lead/backing vocals, drums, bass, other: a local CPU split with a vocal pass)
gets a schema, few-shot examples, a system prompt, fallback and offline plans,
repaired LLM plans, the dispatcher's check and its vocal fallback, and fader
labels, without any other code knowing about it.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from interpreter_cases import song_pair
from interpreter_helpers import settings_for
from separation_fakes import band_split, write_song

from musicmixer import stems
from musicmixer.audio import SAMPLE_RATE
from musicmixer.config import load_settings
from musicmixer.interpreter import build_llm_request, interpret, plan_from_llm_output
from musicmixer.interpreter.fallback import generate_fallback_plan
from musicmixer.separation.dispatcher import separate_stems
from musicmixer.stems import DEFAULT_BACKING_VOCAL_RATIO, StemMode

FIVE = ("lead_vocals", "backing_vocals", "drums", "bass", "other")
FIVE_STEM = StemMode(
    "5-stem", FIVE, "local", True,
    folds={"guitar": "other", "piano": "other"},
    splits={"vocals": {"lead_vocals": 1.0, "backing_vocals": DEFAULT_BACKING_VOCAL_RATIO}},
    descriptions={"other": stems.OTHER_WITH_GUITAR_AND_PIANO},
)


@pytest.fixture
def five(monkeypatch):
    monkeypatch.setitem(stems.STEM_MODES, FIVE_STEM.name, FIVE_STEM)
    return settings_for("4", vocal_sub_separation=True)  # local + flag: the new mode


def test_the_configuration_selects_the_new_mode_without_a_warning(five, caplog):
    with caplog.at_level(logging.WARNING, logger="musicmixer.stems"):
        assert stems.stem_mode_for_settings(five) is FIVE_STEM
    assert not caplog.records
    assert stems.stems_for("local", True) == list(FIVE)
    assert stems.stem_mode("local", False).name == "4-stem"  # the old row is untouched
    assert stems.vocal_split_backends() == ["local", "modal"]  # the CLI's help texts


def test_llm_request_schema_prompt_and_examples(five):
    a, b = song_pair("7")
    system, messages, tool = build_llm_request(a, b, "choir in the chorus", five)
    gains = tool["input_schema"]["properties"]["sections"]["items"]["properties"]["stem_gains"]
    assert gains["required"] == list(FIVE) and list(gains["properties"]) == list(FIVE)
    assert gains["additionalProperties"] is False
    assert "guitar" in gains["properties"]["other"]["description"]
    assert "Stems (5): lead_vocals, backing_vocals, drums, bass, other." in system
    assert "For stripped-down verses: backing_vocals" in system  # backing guidance: it has the stem
    examples = [block["input"] for m in messages if m["role"] == "assistant" for block in m["content"]]
    assert examples
    for plan in examples:
        for section in plan["sections"]:
            g = section["stem_gains"]
            assert list(g) == list(FIVE)
            assert g["backing_vocals"] == pytest.approx(g["lead_vocals"] * DEFAULT_BACKING_VOCAL_RATIO, abs=1e-3)
    assert "lead_vocals:" in messages[-1]["content"][-1]["text"]  # stem character lines


def test_fallback_plan(five):
    a, b = song_pair("7")
    plan = generate_fallback_plan(a, b, five)
    assert plan.stem_names == list(FIVE)
    for section in plan.sections:
        g = section.stem_gains
        assert list(g) == list(FIVE)
        assert g["backing_vocals"] == pytest.approx(g["lead_vocals"] * DEFAULT_BACKING_VOCAL_RATIO)


def test_offline_plan_reads_backing_vocal_wishes_and_folds_piano(five):
    a, b = song_pair("7")
    plan = interpret(a, b, "choir on the last chorus, no piano", settings=five)
    assert plan.planner == "offline" and plan.stem_names == list(FIVE)
    assert any(s.stem_gains["backing_vocals"] >= 0.9 for s in plan.sections)  # the choir
    assert any("piano is part of 'other'" in w for w in plan.warnings)
    assert not any("VOCAL_SUB_SEPARATION" in w for w in plan.warnings)


def test_llm_plans_of_other_modes_are_carried_over(five):
    a, b = song_pair("7")
    raw = {"vocal_source": "song_a", "explanation": "x", "sections": [
        {"label": "verse", "start_beat": 0, "end_beat": 16,
         "stem_gains": {"vocals": 1.0, "drums": 0.5, "guitar": 0.8, "other": 0.3}}]}
    plan = plan_from_llm_output(raw, a, b, "", five)
    assert plan.planner == "llm"
    assert plan.sections[0].stem_gains == {
        "lead_vocals": 1.0, "backing_vocals": pytest.approx(DEFAULT_BACKING_VOCAL_RATIO),
        "drums": 0.5, "bass": 0.0, "other": 0.8}


def _backend(names):
    def backend(job):
        edges = np.linspace(0, 22050, len(names) + 1)
        edges[-1] = 1e9
        return band_split(job.audio, SAMPLE_RATE, {n: (edges[i], edges[i + 1]) for i, n in enumerate(names)})
    return backend


def test_dispatcher_checks_the_new_stems_and_accepts_its_vocal_fallback(five, tmp_path):
    song = tmp_path / "song.wav"
    write_song(song, seconds=1.0)
    settings = load_settings(stem_backend="local", vocal_sub_separation=True, data_dir=tmp_path)
    result = separate_stems(song, tmp_path / "out", settings=settings, cache=False,
                            backends={"local": _backend(FIVE)})
    assert result.stem_names == list(FIVE) and result.vocal_sub_separation
    assert FIVE_STEM.unsplit_stems == ("vocals", "drums", "bass", "other")
    fallback = separate_stems(song, tmp_path / "out2", settings=settings, cache=False,
                              backends={"local": _backend(FIVE_STEM.unsplit_stems)},
                              allow_vocal_fallback=True)
    assert fallback.stem_names == ["vocals", "drums", "bass", "other"]
    assert not fallback.vocal_sub_separation


def test_fader_labels(five):
    assert FIVE_STEM.labels == {"lead_vocals": "Lead vocals", "backing_vocals": "Backing vocals",
                                "drums": "Drums", "bass": "Bass", "other": "Other"}
