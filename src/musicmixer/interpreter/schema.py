"""The `create_remix_plan` tool the LLM is forced to call (step 4), built for
a stem mode.

`tool_schema(mode)` writes the mode's stems into `stem_gains`, with the mode's
description of each; `additionalProperties: false` holds in every mode so that
the LLM cannot invent stem names.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from musicmixer.analysis.model import SECTION_LABELS
from musicmixer.config import Settings
from musicmixer.stems import STEM_MODES, StemMode, stem_mode_for_settings

from .plan import KEY_INTENTS, MAX_TRANSITION_BEATS, SONGS, TEMPO_INTENTS, TRANSITIONS

TOOL_NAME = "create_remix_plan"


def _gain_property(description: str) -> dict:
    return {"type": "number", "minimum": 0.0, "maximum": 1.0, "description": description}


def tool_schema(mode: StemMode) -> dict:
    """The tool for one stem mode (a new dict each call)."""
    return {
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
                                    name: _gain_property(mode.description(name)) for name in mode.stems
                                },
                                "required": list(mode.stems),
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


REMIX_PLAN_TOOL: dict = tool_schema(STEM_MODES["6-stem"])  # the 6-stem tool, for reference


def stem_gains_schema(tool: dict) -> dict:
    """The `stem_gains` object schema inside a tool definition."""
    return tool["input_schema"]["properties"]["sections"]["items"]["properties"]["stem_gains"]


def tool_schema_for(settings: Settings) -> dict:
    """The tool for a configuration's stem mode."""
    return tool_schema(stem_mode_for_settings(settings))
