"""Few-shot examples for the LLM (step 4), for any stem mode.

The examples are written once in the 6-stem vocabulary and projected onto the
mode by its fold/split rules (`StemMode.project`: guitar and piano fold into
`other` without their own stems, `vocals` splits into lead + backing with
`DEFAULT_BACKING_VOCAL_RATIO`), so the LLM never sees a stem name its schema
would reject. Messages use the Anthropic shape (tool_use / tool_result); the
OpenAI client converts them.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import copy
from typing import Any

from musicmixer.stems import StemMode

from .schema import TOOL_NAME


def _gains(vocals: float, drums: float, bass: float, guitar: float, piano: float,
           other: float) -> dict[str, float]:
    """6-stem gains, named."""
    return {"vocals": vocals, "drums": drums, "bass": bass, "guitar": guitar, "piano": piano,
            "other": other}


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
            # (label, start_beat, end_beat, transition, beats, 6-stem gains)
            "sections": [
                ("intro", 0, 32, "fade", 4,
                 _gains(vocals=0.0, drums=0.6, bass=0.7, guitar=0.6, piano=0.5, other=0.6)),
                ("verse", 32, 96, "crossfade", 4,
                 _gains(vocals=1.0, drums=0.7, bass=0.8, guitar=0.5, piano=0.4, other=0.4)),
                ("chorus", 96, 128, "crossfade", 4,
                 _gains(vocals=1.0, drums=1.0, bass=1.0, guitar=0.8, piano=0.6, other=0.8)),
                ("verse", 128, 192, "crossfade", 4,
                 _gains(vocals=1.0, drums=0.7, bass=0.8, guitar=0.5, piano=0.4, other=0.4)),
                ("chorus", 192, 224, "crossfade", 4,
                 _gains(vocals=1.0, drums=1.0, bass=1.0, guitar=0.8, piano=0.6, other=0.8)),
                ("outro", 224, 256, "fade", 8,
                 _gains(vocals=0.3, drums=0.6, bass=0.7, guitar=0.6, piano=0.5, other=0.5)),
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
                ("intro", 48, 64, "fade", 4,
                 _gains(vocals=0.0, drums=0.8, bass=0.8, guitar=0.6, piano=0.0, other=0.7)),
                ("verse", 64, 128, "crossfade", 2,
                 _gains(vocals=1.0, drums=0.9, bass=0.95, guitar=0.5, piano=0.0, other=0.6)),
                ("drop", 128, 160, "cut", 0,
                 _gains(vocals=1.0, drums=1.0, bass=1.0, guitar=0.8, piano=0.0, other=0.9)),
                ("outro", 160, 176, "fade", 8,
                 _gains(vocals=0.4, drums=0.7, bass=0.8, guitar=0.5, piano=0.0, other=0.5)),
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
             "stem_gains": dict(gains),
             "transition_in": transition, "transition_beats": beats}
            for label, start, end, transition, beats, gains in spec["sections"]
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


def few_shot_messages(mode: StemMode) -> list[dict]:
    """The examples in `mode`'s stems (gains rounded to 3 decimals, as an
    LLM would write them)."""
    examples = _example_plans()
    for _, plan in examples:
        for section in plan["sections"]:
            section["stem_gains"] = {name: round(gain, 3)
                                     for name, gain in mode.project(section["stem_gains"]).items()}
    return _messages(examples)
