"""The LLM path gets the same reading rules and the same schema-level checks
as the offline reader (issue 16, item 6): the system prompt states the
negation, exception, scope and conflict rules with examples, and whatever
plan an LLM returns for a prompt of the listener-phrased table is validated
and repaired into the mode's schema."""

from __future__ import annotations

import pytest
from interpreter_helpers import settings_for
from interpreter_llm_server import ScriptedServer, anthropic_tool_reply, openai_tool_reply
from prompt_checks import analyses
from prompt_table import rows

from musicmixer.interpreter import interpret, llm
from musicmixer.interpreter.prompts import build_user_message, system_prompt
from musicmixer.interpreter.reading_rules import READING_RULES
from musicmixer.stems import stem_mode_for_settings


@pytest.fixture(autouse=True)
def fast_retry(monkeypatch):
    monkeypatch.setattr(llm, "RETRY_DELAY_S", 0.01)


@pytest.mark.parametrize("mode", ["4", "6", "7"])
def test_system_prompt_states_the_negation_and_scope_rules_with_examples(mode):
    system = system_prompt(stem_mode_for_settings(settings_for(mode)))
    assert READING_RULES in system
    for example in ("don't remove the bass", "keep everything except the drums", "only in the verses",
                    "after the first chorus", "the later clause wins", "every gain at 0"):
        assert example in system


def test_user_message_carries_the_sung_pitch_when_known():
    a, b = analyses("6", pitch=(150.0, 340.0))
    message = build_user_message(a, b, "her voice over their groove",
                                 stem_mode_for_settings(settings_for("6")))
    assert "sung pitch: median 150 Hz" in message and "sung pitch: median 340 Hz" in message


def sloppy_plan(stems) -> dict:
    """What a careless LLM might send: off-grid beats, a gap, a stray stem, gains out of range."""
    gains = {s: 1.4 for s in stems} | {"synth": 0.5}
    return {"vocal_source": "song_b", "explanation": "LLM plan.",
            "sections": [{"label": "verse", "start_beat": 1, "end_beat": 30, "stem_gains": gains},
                         {"label": "chorus", "start_beat": 40, "end_beat": 70,
                          "stem_gains": {s: -0.2 for s in stems}}]}


TABLE = [r for r in rows() if r[1] in ("negation", "contradiction")][:8]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("index, kind, prompt, mode, expect, layout", TABLE, ids=[str(r[0]) for r in TABLE])
def test_llm_plans_for_table_prompts_pass_the_schema_checks(provider, index, kind, prompt, mode, expect, layout):
    stems = list(stem_mode_for_settings(settings_for(mode)).stems)
    reply = sloppy_plan(stems)
    body = anthropic_tool_reply(reply) if provider == "anthropic" else openai_tool_reply(reply)
    with ScriptedServer([(200, body)]) as server:
        base = server.url if provider == "anthropic" else server.url + "/v1"
        settings = settings_for(mode, llm_provider=provider, llm_model="claude-sonnet-4-6",
                                llm_api_key="test-key", llm_base_url=base, llm_timeout_s=5.0)
        a, b = analyses(mode, layout)
        plan = interpret(a, b, prompt, settings=settings)
    assert plan.planner.startswith(provider)
    assert plan.stem_names == stems
    for prev, nxt in zip(plan.sections, plan.sections[1:]):
        assert prev.end_beat == nxt.start_beat
    for s in plan.sections:
        assert list(s.stem_gains) == stems
        assert all(0.0 <= g <= 1.0 for g in s.stem_gains.values())
        assert s.start_beat % 4 == 0 and s.end_beat % 4 == 0
    assert any("synth" in w for w in plan.warnings)
