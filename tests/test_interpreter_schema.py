"""Lead/backing test 7: the 7-stem tool has the designed stem_gains schema; the 4-stem
tool and the mode precedence (local -> 4, flag -> 7, else 6).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import copy

import pytest
from interpreter_helpers import settings_for

from musicmixer.interpreter.schema import (
    REMIX_PLAN_TOOL,
    stem_gains_schema,
    tool_schema,
    tool_schema_for,
)
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS, stem_mode


def test_7stem_schema_is_as_designed():
    gains = stem_gains_schema(tool_schema(stem_mode("modal", True)))
    assert gains["required"] == ["lead_vocals", "backing_vocals", "drums", "bass", "guitar", "piano", "other"]
    assert list(gains["properties"]) == gains["required"]
    assert "vocals" not in gains["properties"] and "vocals" not in gains["required"]
    assert gains["additionalProperties"] is False
    lead, backing = gains["properties"]["lead_vocals"], gains["properties"]["backing_vocals"]
    assert lead == {"type": "number", "minimum": 0.0, "maximum": 1.0,
                    "description": "Lead vocal level. The primary singing voice."}
    assert backing["description"] == "Backing vocal level. Harmonies, ad-libs, response phrases."
    assert backing["minimum"] == 0.0 and backing["maximum"] == 1.0


def test_4stem_schema_folds_guitar_and_piano():
    gains = stem_gains_schema(tool_schema(stem_mode("local", False)))
    assert gains["required"] == FOUR_STEMS and set(gains["properties"]) == set(FOUR_STEMS)
    assert gains["additionalProperties"] is False
    assert "guitar" in gains["properties"]["other"]["description"]


def test_each_tool_is_a_new_dict():
    mode = stem_mode("modal", True)
    before = copy.deepcopy(tool_schema(mode))
    stem_gains_schema(tool_schema(mode))["required"].append("kazoo")
    assert tool_schema(mode) == before
    assert stem_gains_schema(REMIX_PLAN_TOOL)["required"] == ALL_STEMS


@pytest.mark.parametrize("backend, flag, expected", [
    ("local", False, FOUR_STEMS),
    ("local", True, FOUR_STEMS),  # local wins: the flag is ignored
    ("modal", False, ALL_STEMS),
    ("modal", True, SEVEN_STEMS),
])
def test_schema_selection_precedence(backend, flag, expected):
    settings = settings_for("6", stem_backend=backend, vocal_sub_separation=flag)
    tool = tool_schema_for(settings)
    gains = stem_gains_schema(tool)
    assert gains["required"] == expected
    assert gains["additionalProperties"] is False
    assert tool["name"] == "create_remix_plan"


def test_schema_describes_the_plan():
    props = REMIX_PLAN_TOOL["input_schema"]["properties"]
    section = props["sections"]["items"]["properties"]
    assert props["vocal_source"]["enum"] == ["song_a", "song_b"]
    assert section["label"]["enum"] == ["intro", "verse", "chorus", "bridge", "breakdown", "drop", "outro"]
    assert section["transition_in"]["enum"] == ["fade", "crossfade", "cut"]
    assert section["transition_beats"]["maximum"] == 8
    assert {"tempo_intent", "key_intent", "explanation", "warnings", "vocal_start_bar"} <= set(props)
