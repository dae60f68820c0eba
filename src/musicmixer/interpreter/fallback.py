"""The fixed fallback arrangement (step 4, last resort).

`generate_fallback_plan` ignores the prompt, as the original product's did;
musicmixer only reaches it when the prompt-reading offline planner itself
cannot lay a plan. Gains are written once per section label in the 6-stem
vocabulary and projected onto the mode by its fold/split rules
(`StemMode.project`).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from musicmixer.config import Settings
from musicmixer.stems import StemMode, stem_mode_for_settings

from .plan import BEATS_PER_BAR, PlanSection, RemixPlan, bar_grid, first_vocal_bar
from .validate import repair_plan


def _gains(vocals: float, drums: float, bass: float, guitar: float, piano: float,
           other: float) -> dict[str, float]:
    """6-stem gains, named."""
    return {"vocals": vocals, "drums": drums, "bass": bass, "guitar": guitar, "piano": piano,
            "other": other}


# 6-stem gains per section label.
LABEL_GAINS: dict[str, dict[str, float]] = {
    "intro": _gains(vocals=0.0, drums=0.6, bass=0.7, guitar=0.6, piano=0.7, other=0.7),
    "verse": _gains(vocals=1.0, drums=0.8, bass=0.85, guitar=0.6, piano=0.6, other=0.6),
    "chorus": _gains(vocals=1.0, drums=1.0, bass=1.0, guitar=0.85, piano=0.75, other=0.85),
    "bridge": _gains(vocals=0.9, drums=0.5, bass=0.7, guitar=0.5, piano=0.8, other=0.7),
    "breakdown": _gains(vocals=0.7, drums=0.2, bass=0.5, guitar=0.4, piano=0.8, other=0.8),
    "drop": _gains(vocals=0.6, drums=1.0, bass=1.0, guitar=0.8, piano=0.5, other=0.9),
    "outro": _gains(vocals=0.4, drums=0.6, bass=0.7, guitar=0.6, piano=0.7, other=0.6),
}
LABEL_ENERGY = {
    "intro": 0.3, "verse": 0.5, "chorus": 0.8, "bridge": 0.5,
    "breakdown": 0.3, "drop": 1.0, "outro": 0.3,
}
# (label, bars): the original product's fixed layout.
FIXED_LAYOUT = [
    ("intro", 8), ("verse", 16), ("chorus", 8), ("verse", 16),
    ("chorus", 8), ("bridge", 8), ("chorus", 8), ("outro", 8),
]


def label_gains(label: str) -> dict[str, float]:
    """A label's 6-stem gains (a new dict)."""
    return dict(LABEL_GAINS.get(label, LABEL_GAINS["verse"]))


def project_sections(sections: list[PlanSection], mode: StemMode) -> list[PlanSection]:
    """Each section's gains onto the mode's stems, in canonical order (in place)."""
    for s in sections:
        s.stem_gains = mode.project(s.stem_gains)
    return sections


def default_arrangement(total_bars: int, mode: StemMode) -> list[PlanSection]:
    """The fixed layout truncated to the instrumental's length; the last
    section is always an outro."""
    total_bars = max(1, total_bars)
    sections: list[PlanSection] = []
    bar = 0
    for label, bars in FIXED_LAYOUT:
        if bar >= total_bars:
            break
        end = min(bar + bars, total_bars)
        sections.append(_section(label, bar, end, transition_beats=4 if sections else 0))
        bar = end
    if len(sections) > 1 and sections[-1].label != "outro":
        last = sections[-1]
        sections[-1] = _section("outro", last.start_beat // BEATS_PER_BAR, last.end_beat // BEATS_PER_BAR)
    return project_sections(sections, mode)


def _section(label: str, start_bar: int, end_bar: int, transition_beats: int = 4) -> PlanSection:
    return PlanSection(
        label=label,
        start_beat=start_bar * BEATS_PER_BAR,
        end_beat=end_bar * BEATS_PER_BAR,
        stem_gains=label_gains(label),
        transition_in="fade" if label in ("intro", "outro") else "crossfade",
        transition_beats=transition_beats,
        energy=LABEL_ENERGY[label],
    )


def generate_fallback_plan(analysis_a, analysis_b, settings: Settings, reason: str = "") -> RemixPlan:
    """Song A's vocals over song B's instrumental on the fixed layout; the
    prompt is not read. Always returns a valid plan."""
    mode = stem_mode_for_settings(settings)
    sections = default_arrangement(len(bar_grid(analysis_b)), mode)
    explanation = "Using automatic remix layout: song A's vocals over song B's instrumental."
    vocal_start_bar = first_vocal_bar(analysis_a) - sections[0].bars if len(sections) > 1 else 0
    plan = {
        "vocal_source": "song_a",
        "vocal_start_bar": max(0, vocal_start_bar),
        "sections": [s.model_dump() for s in sections],
        "explanation": explanation,
        "warnings": [reason] if reason else [],
    }
    return repair_plan(plan, mode, analysis_a, analysis_b, planner="fallback")
