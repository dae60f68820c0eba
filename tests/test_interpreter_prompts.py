"""System prompt, user message, few-shot messages and `stem_character`
for every stem mode."""

from __future__ import annotations

import pytest
from interpreter_cases import song_pair
from interpreter_helpers import make_analysis, settings_for

from musicmixer.interpreter import build_llm_request
from musicmixer.interpreter.few_shot import few_shot_messages
from musicmixer.interpreter.prompts import build_user_message, stem_character, system_prompt
from musicmixer.stems import (
    ALL_STEMS,
    DEFAULT_BACKING_VOCAL_RATIO,
    FOUR_STEMS,
    SEVEN_STEMS,
    stem_mode_for_settings,
)

MODES = [("4", FOUR_STEMS), ("6", ALL_STEMS), ("7", SEVEN_STEMS)]


def mode_for(mode, **overrides):
    return stem_mode_for_settings(settings_for(mode, **overrides))


@pytest.mark.parametrize("mode, stems", MODES)
def test_system_prompt_lists_the_modes_stems(mode, stems):
    text = system_prompt(mode_for(mode))
    assert f"Stems ({len(stems)}): {', '.join(stems)}." in text
    assert "multiples of 4" in text and "Mixing rules" in text
    has_backing_rules = "For stripped-down verses: backing_vocals at 0.0-0.1" in text
    assert has_backing_rules == (mode == "7")
    if mode == "7":
        for line in ("Backing at 0.3-0.6 adds fullness", "For full choruses: backing_vocals at 0.5-0.8",
                     'For "choir" effect: backing_vocals at 0.8-1.0, lead_vocals at 0.6-0.7',
                     "may partially reconstruct the original vocal mix"):
            assert line in text


def test_system_prompt_is_static_per_mode():
    assert system_prompt(mode_for("7")) == system_prompt(mode_for("7"))


def test_local_backend_with_flag_gets_the_4stem_prompt():
    text = system_prompt(mode_for("4", vocal_sub_separation=True))
    assert "Stems (4): vocals, drums, bass, other." in text and "backing_vocals" not in text


@pytest.mark.parametrize("mode, stems", MODES)
def test_stem_character_covers_exactly_the_modes_stems(mode, stems):
    song = make_analysis(mode=mode, absent=("piano",) if "piano" in stems else ())
    text = stem_character(song, mode_for(mode))
    names = [line.split(":")[0].strip() for line in text.splitlines()]
    assert names == stems
    if mode == "7":
        assert "lead_vocals: present" in text and "backing_vocals: present" in text
    if "piano" in stems:
        assert "piano: absent" in text


def test_stem_character_says_when_a_stem_has_no_data():
    six_stem_song = make_analysis(mode="6")  # analysed without the karaoke pass
    text = stem_character(six_stem_song, mode_for("7"))
    assert "lead_vocals: no data" in text and "backing_vocals: no data" in text


def test_user_message_carries_both_analyses_and_the_prompt():
    a, b = song_pair("7")
    text = build_user_message(a, b, "choir on the last chorus", mode_for("7"))
    assert "<song_a> Midnight Train / The Weekenders" in text and "<song_b> Hollow Pines" in text
    assert "tempo 120.0 BPM" in text and "tempo 100.0 BPM" in text
    assert "key A minor" in text and "key C major" in text
    assert "chorus bars 24-32" in text
    assert "backing_vocals:" in text
    assert "<request>\nchoir on the last chorus\n</request>" in text


def test_user_message_bounds_and_fences_the_prompt():
    a, b = song_pair("6")
    text = build_user_message(a, b, "x" * 10_000 + "</request>", mode_for("6"))
    assert text.count("</request>") == 1 and "x" * 2000 in text and "x" * 2001 not in text
    assert "(no request" in build_user_message(a, b, "   ", mode_for("6"))


def _plans(messages):
    return [block["input"] for m in messages if m["role"] == "assistant" for block in m["content"]]


@pytest.mark.parametrize("mode, stems", MODES)
def test_few_shot_messages_use_the_modes_stems(mode, stems):
    messages = few_shot_messages(mode_for(mode))
    assert [m["role"] for m in messages[:3]] == ["user", "assistant", "user"]
    plans = _plans(messages)
    assert len(plans) >= 2
    for plan in plans:
        for section in plan["sections"]:
            assert list(section["stem_gains"]) == stems
            assert section["start_beat"] % 4 == 0 and section["end_beat"] % 4 == 0
    tool_ids = [m["content"][0]["id"] for m in messages if m["role"] == "assistant"]
    results = [m["content"][0]["tool_use_id"] for m in messages[2::2]]
    assert tool_ids == results
    assert all(m1["role"] != m2["role"] for m1, m2 in zip(messages, messages[1:]))


def test_7stem_few_shot_splits_vocals_with_the_ratio():
    six = _plans(few_shot_messages(mode_for("6")))
    seven = _plans(few_shot_messages(mode_for("7")))
    for p6, p7 in zip(six, seven):
        for s6, s7 in zip(p6["sections"], p7["sections"]):
            assert s7["stem_gains"]["lead_vocals"] == s6["stem_gains"]["vocals"]
            assert s7["stem_gains"]["backing_vocals"] == pytest.approx(
                s6["stem_gains"]["vocals"] * DEFAULT_BACKING_VOCAL_RATIO, abs=1e-3)


def test_4stem_few_shot_folds_guitar_and_piano_into_other():
    six = _plans(few_shot_messages(mode_for("6")))
    four = _plans(few_shot_messages(mode_for("4")))
    s6, s4 = six[0]["sections"][2]["stem_gains"], four[0]["sections"][2]["stem_gains"]
    assert s4["other"] == max(s6["other"], s6["guitar"], s6["piano"])


def test_request_ends_with_the_real_user_message():
    a, b = song_pair("7")
    system, messages, tool = build_llm_request(a, b, "no drums", settings_for("7"))
    assert "lead_vocals" in system
    last = messages[-1]
    assert last["role"] == "user" and last["content"][0]["type"] == "tool_result"
    assert last["content"][-1]["type"] == "text" and "no drums" in last["content"][-1]["text"]
    assert all(m1["role"] != m2["role"] for m1, m2 in zip(messages, messages[1:]))
    gains = tool["input_schema"]["properties"]["sections"]["items"]["properties"]["stem_gains"]
    assert gains["required"] == SEVEN_STEMS
