"""The LLM provider registry: LLM_PROVIDER's choices, the CLI's choices and the
call all come from `providers.PROVIDERS`, so a provider registered there (here
a fake, for the duration of a test) is usable with no other change."""

from __future__ import annotations

import pytest
from interpreter_cases import song_pair
from interpreter_helpers import settings_for

from musicmixer.cli import build_parser
from musicmixer.config import SettingsError, load_settings
from musicmixer.interpreter import interpret, providers
from musicmixer.interpreter.llm_types import LLMReply, Provider
from musicmixer.stems import stems_for


def test_the_choices_are_none_and_the_registered_providers():
    assert providers.provider_choices() == ("none", "anthropic", "openai")
    assert providers.provider_named("none") is None
    assert providers.provider_named("anthropic").name == "anthropic"


def _fake_call(system, messages, tool, settings):
    stems = tool["input_schema"]["properties"]["sections"]["items"]["properties"]["stem_gains"]["required"]
    plan = {"vocal_source": "song_b", "explanation": "fake",
            "sections": [{"label": "verse", "start_beat": 0, "end_beat": 32,
                          "stem_gains": dict.fromkeys(stems, 0.5)}]}
    return LLMReply(plan=plan, provider="fake", model=settings.llm_model, usage={"input_tokens": 1})


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(providers.PROVIDERS, "fake",
                        Provider("fake", _fake_call, configured=lambda settings: True))


def test_a_registered_provider_is_a_valid_setting_cli_choice_and_call(fake):
    assert load_settings(llm_provider="fake").llm_provider == "fake"
    args = build_parser().parse_args(["mix", "a.wav", "b.wav", "-o", "out.wav", "--llm-provider", "fake"])
    assert args.llm_provider == "fake"
    a, b = song_pair("6")
    plan = interpret(a, b, "anything", settings=settings_for("6", llm_provider="fake", llm_model="m1"))
    assert plan.planner == "fake:m1" and plan.vocal_source == "song_b"
    assert plan.stem_names == stems_for("modal", False)
    assert plan.llm_usage["attempts"] == 1


def test_an_unregistered_provider_is_refused_by_settings_and_cli(capsys):
    with pytest.raises(SettingsError, match=r"LLM_PROVIDER.*none, anthropic, openai"):
        load_settings(llm_provider="fake")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["mix", "a.wav", "b.wav", "-o", "out.wav", "--llm-provider", "fake"])
    assert "invalid choice: 'fake'" in capsys.readouterr().err
