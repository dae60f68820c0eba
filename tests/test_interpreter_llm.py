"""Both LLM clients against a real HTTP server on loopback: a good tool call,
malformed tool output, wrong stem names, 500 then success, 500 twice, 429,
529 and a timeout. Every failure must end in a valid offline plan."""

from __future__ import annotations

import pytest
from interpreter_cases import song_pair
from interpreter_helpers import settings_for
from interpreter_llm_server import (
    ScriptedServer,
    anthropic_text_reply,
    anthropic_tool_reply,
    error_body,
    openai_tool_reply,
)

from musicmixer.interpreter import interpret, llm
from musicmixer.stems import SEVEN_STEMS, stems_for

PROVIDERS = ("anthropic", "openai")


@pytest.fixture(autouse=True)
def fast_retry(monkeypatch):
    monkeypatch.setattr(llm, "RETRY_DELAY_S", 0.01)


def good_plan(stem_names, vocal_source="song_b") -> dict:
    def gains(vocal):
        return {s: (vocal if s in ("vocals", "lead_vocals") else 0.5 if s == "backing_vocals" else 0.8)
                for s in stem_names}

    return {
        "vocal_source": vocal_source,
        "vocal_start_bar": 4,
        "sections": [
            {"label": "intro", "start_beat": 0, "end_beat": 32, "stem_gains": gains(0.0),
             "transition_in": "fade", "transition_beats": 4},
            {"label": "verse", "start_beat": 32, "end_beat": 96, "stem_gains": gains(1.0)},
            {"label": "chorus", "start_beat": 96, "end_beat": 128, "stem_gains": gains(1.0)},
        ],
        "tempo_intent": "match_instrumental",
        "key_intent": "match_vocal",
        "explanation": "LLM plan.",
    }


def tool_reply(provider, plan):
    return anthropic_tool_reply(plan) if provider == "anthropic" else openai_tool_reply(plan)


def run(provider, server, mode="7", timeout=5.0, prompt="vocals from B, no piano"):
    base = server.url if provider == "anthropic" else server.url + "/v1"
    settings = settings_for(mode, llm_provider=provider, llm_model="claude-sonnet-4-6",
                            llm_api_key="test-key", llm_base_url=base, llm_timeout_s=timeout)
    a, b = song_pair(mode)
    return interpret(a, b, prompt, settings=settings)


def assert_offline(plan, server_requests, expected_requests, why):
    assert plan.planner == "offline"
    assert len(server_requests) == expected_requests
    assert any(why in w for w in plan.warnings), plan.warnings
    assert plan.vocal_source == "song_b"  # the offline planner still read the prompt
    assert all(s.stem_gains["piano"] == 0.0 for s in plan.sections)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_good_tool_call_gives_the_llm_plan(provider):
    plan_in = good_plan(SEVEN_STEMS)
    with ScriptedServer([(200, tool_reply(provider, plan_in))]) as server:
        plan = run(provider, server)
    assert plan.planner == f"{provider}:claude-sonnet-4-6"
    assert [s.label for s in plan.sections] == ["intro", "verse", "chorus"]
    assert plan.key_intent == "match_vocal" and plan.vocal_start_bar == 4
    assert plan.llm_usage["input_tokens"] > 0 and plan.llm_usage["attempts"] == 1
    assert plan.llm_usage["cost_usd"] > 0
    assert len(server.requests) == 1
    path, headers, body = server.requests[0]
    if provider == "anthropic":
        assert path == "/v1/messages"
        assert "test-key" in (headers.get("x-api-key") or headers.get("Authorization") or "")
        assert body["tool_choice"] == {"type": "tool", "name": "create_remix_plan"}
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        schema = body["tools"][0]["input_schema"]
    else:
        assert path == "/v1/chat/completions"
        assert headers.get("Authorization") == "Bearer test-key"
        assert body["tool_choice"]["function"]["name"] == "create_remix_plan"
        assert body["messages"][0]["role"] == "system"
        assert any(m["role"] == "tool" for m in body["messages"])  # few-shot converted
        schema = body["tools"][0]["function"]["parameters"]
    gains = schema["properties"]["sections"]["items"]["properties"]["stem_gains"]
    assert gains["required"] == SEVEN_STEMS and gains["additionalProperties"] is False
    last = body["messages"][-1]
    last_user = last["content"] if provider == "openai" else last["content"][-1]["text"]
    assert last["role"] == "user"
    assert "<request>" in last_user and "vocals from B, no piano" in last_user
    roles = [m["role"] for m in body["messages"]]
    if provider == "anthropic":  # strictly alternating turns
        assert all(r1 != r2 for r1, r2 in zip(roles, roles[1:]))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_stem_names_are_repaired_not_rejected(provider):
    plan_in = good_plan(SEVEN_STEMS)
    for section in plan_in["sections"]:
        section["stem_gains"] = {"vocals": 0.8, "synth": 0.5, "drums": 2.0}
    with ScriptedServer([(200, tool_reply(provider, plan_in))]) as server:
        plan = run(provider, server)
    assert plan.planner.startswith(provider)
    verse = plan.sections[1].stem_gains
    assert list(verse) == SEVEN_STEMS
    assert verse["lead_vocals"] == 0.8 and verse["backing_vocals"] == pytest.approx(0.8 * 0.65)
    assert verse["drums"] == 1.0 and verse["bass"] == 0.0
    assert any("synth" in w for w in plan.warnings)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_tool_output_falls_back(provider):
    reply = (anthropic_text_reply("Sure! Here is a plan: ...") if provider == "anthropic"
             else openai_tool_reply('{"vocal_source": "song_b", "sections": [{"label": '))
    with ScriptedServer([(200, reply)]) as server:
        plan = run(provider, server)
    assert_offline(plan, server.requests, 1, "LLM")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unrepairable_tool_input_falls_back(provider):
    plan_in = {"vocal_source": "song_b", "sections": [{"label": "verse", "start_beat": "soon"}]}
    with ScriptedServer([(200, tool_reply(provider, plan_in))]) as server:
        plan = run(provider, server)
    assert_offline(plan, server.requests, 1, "could not be used")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_500_then_success_retries_once(provider):
    script = [(500, error_body(500)), (200, tool_reply(provider, good_plan(SEVEN_STEMS)))]
    with ScriptedServer(script) as server:
        plan = run(provider, server)
    assert plan.planner.startswith(provider)
    assert len(server.requests) == 2 and plan.llm_usage["attempts"] == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_500_twice_falls_back(provider):
    with ScriptedServer([(500, error_body(500))]) as server:
        plan = run(provider, server)
    assert_offline(plan, server.requests, 2, "500")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_then_success(provider):
    script = [(429, error_body(429), 0.0, {"retry-after": "0"}),
              (200, tool_reply(provider, good_plan(SEVEN_STEMS)))]
    with ScriptedServer(script) as server:
        plan = run(provider, server)
    assert plan.planner.startswith(provider) and len(server.requests) == 2


def test_anthropic_529_overloaded_is_retried_then_falls_back():
    with ScriptedServer([(529, error_body(529))]) as server:
        plan = run("anthropic", server)
    assert_offline(plan, server.requests, 2, "529")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_400_is_not_retried(provider):
    with ScriptedServer([(400, error_body(400))]) as server:
        plan = run(provider, server)
    assert_offline(plan, server.requests, 1, "400")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout_falls_back_without_retry(provider):
    script = [(200, tool_reply(provider, good_plan(SEVEN_STEMS)), 1.0)]
    with ScriptedServer(script) as server:
        plan = run(provider, server, timeout=0.3)
    assert_offline(plan, server.requests, 1, "timed out")


@pytest.mark.parametrize("mode", ["4", "6"])
def test_schema_sent_matches_the_mode(mode):
    stems = stems_for(*{"4": ("local", False), "6": ("modal", False)}[mode])
    with ScriptedServer([(200, anthropic_tool_reply(good_plan(stems)))]) as server:
        plan = run("anthropic", server, mode=mode)
    assert plan.stem_names == stems
    body = server.requests[0][2]
    gains = body["tools"][0]["input_schema"]["properties"]["sections"]["items"]["properties"]["stem_gains"]
    assert gains["required"] == stems
    few_shot_plan = body["messages"][1]["content"][0]["input"]
    assert set(few_shot_plan["sections"][0]["stem_gains"]) == set(stems)


def test_no_key_or_endpoint_means_offline_without_a_request():
    a, b = song_pair("6")
    for overrides in ({"llm_provider": "anthropic"}, {"llm_provider": "openai"}, {}):
        plan = interpret(a, b, "no drums", settings=settings_for("6", **overrides))
        assert plan.planner == "offline"
        assert all(s.stem_gains["drums"] == 0.0 for s in plan.sections)
