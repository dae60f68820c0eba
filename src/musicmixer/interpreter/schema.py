"""The `create_remix_plan` tool the LLM is forced to call (step 4), and its
per-mode adaptations.

`REMIX_PLAN_TOOL` is the 6-stem schema; `_adapt_schema_for_4stem` and
`_adapt_schema_for_7stem` derive the other modes from it. `stem_gains` keeps
`additionalProperties: false` in every mode so that the LLM cannot invent
stem names.
"""

from __future__ import annotations

import copy

from musicmixer.analysis.model import SECTION_LABELS
from musicmixer.config import Settings
from musicmixer.stems import (
    ALL_STEMS,
    BACKING_VOCAL_STEM,
    FOUR_STEMS,
    LEAD_VOCAL_STEM,
    MIXED_VOCAL_STEM,
    SEVEN_STEMS,
    stems_for_settings,
)

from .plan import KEY_INTENTS, MAX_TRANSITION_BEATS, SONGS, TEMPO_INTENTS, TRANSITIONS

TOOL_NAME = "create_remix_plan"

STEM_DESCRIPTIONS = {
    MIXED_VOCAL_STEM: "All vocal content of the vocal song: lead, harmonies, ad-libs.",
    LEAD_VOCAL_STEM: "Lead vocal level. The primary singing voice.",
    BACKING_VOCAL_STEM: "Backing vocal level. Harmonies, ad-libs, response phrases.",
    "drums": "Drums and percussion of the instrumental song.",
    "bass": "Bass of the instrumental song.",
    "guitar": "Guitars of the instrumental song.",
    "piano": "Piano and keys of the instrumental song.",
    "other": "Everything else in the instrumental song: synths, pads, strings.",
}
OTHER_4STEM_DESCRIPTION = (
    "Everything that is not vocals, drums or bass in the instrumental song: "
    "guitars, keys, synths, strings."
)


def _gain_property(description: str) -> dict:
    return {"type": "number", "minimum": 0.0, "maximum": 1.0, "description": description}


REMIX_PLAN_TOOL: dict = {
    "name": TOOL_NAME,
    "description": (
        "Create a section-by-section remix plan: vocals from one song over the "
        "instrumental stems of the other, with a gain for every stem in every section."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "vocal_source": {
                "type": "string",
                "enum": list(SONGS),
                "description": "The song whose vocals are used; the other supplies the instrumental.",
            },
            "vocal_start_bar": {
                "type": "integer",
                "minimum": 0,
                "description": "Bar of the vocal song that plays together with the first section.",
            },
            "sections": {
                "type": "array",
                "minItems": 1,
                "description": "Contiguous sections in order, on the instrumental song's beat grid.",
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string", "enum": list(SECTION_LABELS)},
                        "start_beat": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Multiple of 4 (a bar line); beat 4k is bar k.",
                        },
                        "end_beat": {
                            "type": "integer",
                            "minimum": 4,
                            "description": "Multiple of 4, exclusive; the next section starts here.",
                        },
                        "energy": {"type": "number", "minimum": 0.0, "maximum": 1.0},
                        "stem_gains": {
                            "type": "object",
                            "description": "Gain 0-1 per stem in this section; 0 mutes the stem.",
                            "properties": {
                                name: _gain_property(STEM_DESCRIPTIONS[name]) for name in ALL_STEMS
                            },
                            "required": list(ALL_STEMS),
                            "additionalProperties": False,
                        },
                        "transition_in": {"type": "string", "enum": list(TRANSITIONS)},
                        "transition_beats": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_TRANSITION_BEATS,
                        },
                    },
                    "required": ["label", "start_beat", "end_beat", "stem_gains"],
                },
            },
            "tempo_intent": {"type": "string", "enum": list(TEMPO_INTENTS)},
            "key_intent": {"type": "string", "enum": list(KEY_INTENTS)},
            "explanation": {
                "type": "string",
                "description": "Two or three plain sentences for the listener: what the remix does and why.",
            },
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["vocal_source", "sections", "explanation"],
    },
}


def stem_gains_schema(tool: dict) -> dict:
    """The `stem_gains` object schema inside a tool definition."""
    return tool["input_schema"]["properties"]["sections"]["items"]["properties"]["stem_gains"]


def _adapt_schema_for_4stem(tool: dict) -> dict:
    """Local backend: guitar and piano are part of `other`."""
    adapted = copy.deepcopy(tool)
    gains = stem_gains_schema(adapted)
    for name in [s for s in gains["properties"] if s not in FOUR_STEMS]:
        del gains["properties"][name]
    gains["properties"]["other"] = _gain_property(OTHER_4STEM_DESCRIPTION)
    gains["required"] = [s for s in FOUR_STEMS]
    gains["additionalProperties"] = False
    return adapted


def _adapt_schema_for_7stem(tool: dict) -> dict:
    """Vocal sub-separation: `vocals` becomes `lead_vocals` + `backing_vocals`;
    `additionalProperties: false` stays so no other name can slip in."""
    adapted = copy.deepcopy(tool)
    gains = stem_gains_schema(adapted)
    gains["properties"].pop(MIXED_VOCAL_STEM, None)
    properties = {
        LEAD_VOCAL_STEM: _gain_property(STEM_DESCRIPTIONS[LEAD_VOCAL_STEM]),
        BACKING_VOCAL_STEM: _gain_property(STEM_DESCRIPTIONS[BACKING_VOCAL_STEM]),
    }
    properties.update(gains["properties"])
    gains["properties"] = {name: properties[name] for name in SEVEN_STEMS}
    gains["required"] = list(SEVEN_STEMS)
    gains["additionalProperties"] = False
    return adapted


def tool_schema_for(settings: Settings) -> dict:
    """The tool for a configuration. Precedence follows `stems_for_settings`:
    local -> 4-stem (the flag is ignored), vocal_sub_separation -> 7-stem,
    else 6-stem."""
    stems = stems_for_settings(settings)
    if stems == FOUR_STEMS:
        return _adapt_schema_for_4stem(REMIX_PLAN_TOOL)
    if stems == SEVEN_STEMS:
        return _adapt_schema_for_7stem(REMIX_PLAN_TOOL)
    return copy.deepcopy(REMIX_PLAN_TOOL)
