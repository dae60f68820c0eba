"""The spec's `services/interpreter.py` names, re-exported from
`musicmixer.interpreter` so the spec's code and tests can be held against ours."""

from musicmixer.interpreter import interpret
from musicmixer.interpreter.fallback import (
    DEFAULT_BACKING_VOCAL_RATIO,
    _split_vocal_gains,
    default_arrangement,
    generate_fallback_plan,
)
from musicmixer.interpreter.few_shot import (
    _build_few_shot_messages,
    _build_few_shot_messages_4stem,
    _build_few_shot_messages_7stem,
)
from musicmixer.interpreter.plan import PlanSection, RemixPlan
from musicmixer.interpreter.prompts import _build_stem_character, _build_system_prompt
from musicmixer.interpreter.schema import (
    REMIX_PLAN_TOOL,
    _adapt_schema_for_4stem,
    _adapt_schema_for_7stem,
)
from musicmixer.interpreter.validate import _validate_remix_plan
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS

__all__ = [
    "ALL_STEMS", "DEFAULT_BACKING_VOCAL_RATIO", "FOUR_STEMS", "PlanSection", "REMIX_PLAN_TOOL",
    "RemixPlan", "SEVEN_STEMS", "_adapt_schema_for_4stem", "_adapt_schema_for_7stem",
    "_build_few_shot_messages", "_build_few_shot_messages_4stem", "_build_few_shot_messages_7stem",
    "_build_stem_character", "_build_system_prompt", "_split_vocal_gains", "_validate_remix_plan",
    "default_arrangement", "generate_fallback_plan", "interpret",
]
