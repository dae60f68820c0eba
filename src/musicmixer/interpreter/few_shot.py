"""Few-shot examples for the LLM (step 4), one set per stem mode.

The examples are written once in the 6-stem vocabulary; the 4-stem set folds
guitar and piano into `other`, the 7-stem set splits `vocals` into
`lead_vocals` + `backing_vocals` with `DEFAULT_BACKING_VOCAL_RATIO`, so the
LLM never sees a stem name its schema would reject. Messages use the
Anthropic shape (tool_use / tool_result); the OpenAI client converts them.
"""

from __future__ import annotations

import copy
from typing import Any

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

from .fallback import DEFAULT_BACKING_VOCAL_RATIO, fold_into_mode
from .schema import TOOL_NAME

_EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (
        "<song_a> Night Drive / Example Artist\n  duration 200.0 s, tempo 96.0 BPM, key A minor, 80 bars\n"
        "  sections: intro bars 0-8, verse bars 8-24, chorus bars 24-32, verse bars 32-48, "
        "chorus bars 48-56, outro bars 56-64\n</song_a>\n"
        "<song_b> Sunday Funk / Other Band\n  duration 190.0 s, tempo 100.0 BPM, key C major, 78 bars\n"
        "  sections: intro bars 0-8, verse bars 8-24, chorus bars 24-40, bridge bars 40-48, "
        "chorus bars 48-64, outro bars 64-72\n</song_b>\n"
        "<request>\nher vocals over their groove, keep it raw in the verses\n</request>",
        {
            "vocal_source": "song_a",
            "vocal_start_bar": 0,
            # (label, start_beat, end_beat, gains in ALL_STEMS order, transition, beats)
            "sections": [
                ("intro", 0, 32, (0.0, 0.6, 0.7, 0.6, 0.5, 0.6), "fade", 4),
                ("verse", 32, 96, (1.0, 0.7, 0.8, 0.5, 0.4, 0.4), "crossfade", 4),
                ("chorus", 96, 128, (1.0, 1.0, 1.0, 0.8, 0.6, 0.8), "crossfade", 4),
                ("verse", 128, 192, (1.0, 0.7, 0.8, 0.5, 0.4, 0.4), "crossfade", 4),
                ("chorus", 192, 224, (1.0, 1.0, 1.0, 0.8, 0.6, 0.8), "crossfade", 4),
                ("outro", 224, 256, (0.3, 0.6, 0.7, 0.6, 0.5, 0.5), "fade", 8),
            ],
            "tempo_intent": "match_instrumental",
            "key_intent": "match_instrumental",
            "explanation": "Song A's vocals ride song B's groove. Verses keep the band light so the "
                           "voice sits up front; choruses open up to the full instrumental.",
        },
    ),
    (
        "<song_a> Static Bloom\n  duration 180.0 s, tempo 128.0 BPM, key F minor, 96 bars\n"
        "  sections: intro bars 0-16, chorus bars 16-32, breakdown bars 32-48, drop bars 48-64, "
        "outro bars 64-80\n</song_a>\n"
        "<song_b> Paper Lanterns\n  duration 210.0 s, tempo 122.0 BPM, key Ab major, 107 bars\n"
        "  sections: intro bars 0-4, verse bars 4-20, chorus bars 20-28, verse bars 28-44, "
        "chorus bars 44-52, outro bars 52-60\n</song_b>\n"
        "<request>\nsecond song's singer on the first one's beat, no piano, short and high energy\n</request>",
        {
            "vocal_source": "song_b",
            "vocal_start_bar": 0,
            "sections": [
                ("intro", 48, 64, (0.0, 0.8, 0.8, 0.6, 0.0, 0.7), "fade", 4),
                ("verse", 64, 128, (1.0, 0.9, 0.95, 0.5, 0.0, 0.6), "crossfade", 2),
                ("drop", 128, 160, (1.0, 1.0, 1.0, 0.8, 0.0, 0.9), "cut", 0),
                ("outro", 160, 176, (0.4, 0.7, 0.8, 0.5, 0.0, 0.5), "fade", 8),
            ],
            "tempo_intent": "match_instrumental",
            "key_intent": "match_instrumental",
            "explanation": "Song B's vocals over song A's beat from its breakdown on, piano muted, "
                           "cut hard into the drop to keep the energy up; about a minute and a half.",
        },
    ),
]


def _example_plans() -> list[tuple[str, dict]]:
    """The examples as (user text, 6-stem plan dict)."""
    out = []
    for text, spec in _EXAMPLES:
        plan = copy.deepcopy(spec)
        plan["sections"] = [
            {"label": label, "start_beat": start, "end_beat": end,
             "stem_gains": dict(zip(ALL_STEMS, gains)),
             "transition_in": transition, "transition_beats": beats}
            for label, start, end, gains, transition, beats in spec["sections"]
        ]
        out.append((text, plan))
    return out


def _messages(examples: list[tuple[str, dict]]) -> list[dict]:
    """user / assistant tool_use / user tool_result + next example, so the
    turns alternate; the caller appends the real request to the last turn."""
    messages: list[dict] = []
    for i, (text, plan) in enumerate(examples):
        tool_id = f"toolu_example_{i + 1}"
        ask = {"type": "text", "text": text}
        if messages:
            messages[-1]["content"].append(ask)
        else:
            messages.append({"role": "user", "content": [ask]})
        messages += [
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": tool_id, "name": TOOL_NAME, "input": plan}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": tool_id, "content": "Plan accepted."}]},
        ]
    return messages


def _remap(examples, remap_gains) -> list[tuple[str, dict]]:
    for _, plan in examples:
        for section in plan["sections"]:
            section["stem_gains"] = remap_gains(section["stem_gains"])
    return examples


def _build_few_shot_messages_4stem() -> list[dict]:
    return _messages(_remap(_example_plans(), lambda g: fold_into_mode(g, FOUR_STEMS)))


def _build_few_shot_messages_7stem() -> list[dict]:
    def split(gains: dict) -> dict:
        vocal = gains.pop(MIXED_VOCAL_STEM)
        gains[LEAD_VOCAL_STEM] = vocal
        gains[BACKING_VOCAL_STEM] = round(vocal * DEFAULT_BACKING_VOCAL_RATIO, 3)
        return {name: gains[name] for name in SEVEN_STEMS}

    return _messages(_remap(_example_plans(), split))


def _build_few_shot_messages_6stem() -> list[dict]:
    return _messages(_example_plans())


def _build_few_shot_messages(settings: Settings) -> list[dict]:
    """The examples for the configuration's stem mode (local -> 4,
    vocal_sub_separation -> 7, else 6)."""
    stems = stems_for_settings(settings)
    if stems == FOUR_STEMS:
        return _build_few_shot_messages_4stem()
    if stems == SEVEN_STEMS:
        return _build_few_shot_messages_7stem()
    return _build_few_shot_messages_6stem()
