"""The spec's fixed fallback arrangement (step 4, last resort).

`generate_fallback_plan` ignores the prompt, as the reference product's did;
musicmixer only reaches it when the prompt-reading offline planner itself
cannot lay a plan. Gains are written once in the 6-stem vocabulary and then
projected onto the mode: `_split_vocal_gains` for 7 stems, guitar and piano
folded into `other` for 4.
"""

from __future__ import annotations

from typing import Any

from musicmixer.config import Settings
from musicmixer.stems import (
    ALL_STEMS,
    BACKING_VOCAL_STEM,
    LEAD_VOCAL_STEM,
    MIXED_VOCAL_STEM,
    instrumental_stems,
    stems_for_settings,
)

from .plan import BEATS_PER_BAR, PlanSection, bar_grid, first_vocal_bar

DEFAULT_BACKING_VOCAL_RATIO = 0.65  # Backing at ~65% of lead level
OTHER_STEM = "other"  # the catch-all stem, present in every mode

# Gains per section label, in ALL_STEMS order: vocals, drums, bass, guitar, piano, other.
LABEL_GAINS: dict[str, tuple[float, ...]] = {
    "intro": (0.0, 0.6, 0.7, 0.6, 0.7, 0.7),
    "verse": (1.0, 0.8, 0.85, 0.6, 0.6, 0.6),
    "chorus": (1.0, 1.0, 1.0, 0.85, 0.75, 0.85),
    "bridge": (0.9, 0.5, 0.7, 0.5, 0.8, 0.7),
    "breakdown": (0.7, 0.2, 0.5, 0.4, 0.8, 0.8),
    "drop": (0.6, 1.0, 1.0, 0.8, 0.5, 0.9),
    "outro": (0.4, 0.6, 0.7, 0.6, 0.7, 0.6),
}
LABEL_ENERGY = {
    "intro": 0.3, "verse": 0.5, "chorus": 0.8, "bridge": 0.5,
    "breakdown": 0.3, "drop": 1.0, "outro": 0.3,
}
# (label, bars): the reference product's fixed layout.
FIXED_LAYOUT = [
    ("intro", 8), ("verse", 16), ("chorus", 8), ("verse", 16),
    ("chorus", 8), ("bridge", 8), ("chorus", 8), ("outro", 8),
]


def label_gains(label: str) -> dict[str, float]:
    """A label's 6-stem gains as a dict."""
    return dict(zip(ALL_STEMS, LABEL_GAINS.get(label, LABEL_GAINS["verse"])))


def _split_vocal_gains(sections: list[PlanSection]) -> list[PlanSection]:
    """Replace 'vocals' gain with 'lead_vocals' + 'backing_vocals' in all sections."""
    for s in sections:
        vocal_gain = s.stem_gains.pop(MIXED_VOCAL_STEM, 0.0)
        s.stem_gains[LEAD_VOCAL_STEM] = vocal_gain
        s.stem_gains[BACKING_VOCAL_STEM] = vocal_gain * DEFAULT_BACKING_VOCAL_RATIO
    return sections


def fold_into_mode(gains: dict[str, float], stem_names: list[str]) -> dict[str, float]:
    """Gains -> exactly the mode's stems. Without guitar/piano stems their
    sound lives in `other`, which takes the loudest of them."""
    folded = [s for s in instrumental_stems(gains) if s not in stem_names and s in ALL_STEMS]
    out = {name: float(gains.get(name, 0.0)) for name in stem_names}
    if folded and OTHER_STEM in out:
        out[OTHER_STEM] = max([out[OTHER_STEM]] + [float(gains[s]) for s in folded])
    return out


def project_sections(sections: list[PlanSection], stem_names: list[str]) -> list[PlanSection]:
    """Project 6-stem sections onto the mode's stems, in canonical order."""
    if LEAD_VOCAL_STEM in stem_names:
        _split_vocal_gains([s for s in sections if MIXED_VOCAL_STEM in s.stem_gains])
    for s in sections:
        s.stem_gains = fold_into_mode(s.stem_gains, stem_names)
    return sections


def default_arrangement(total_bars: int, settings: Settings) -> list[PlanSection]:
    """The fixed layout truncated to the instrumental's length; the last
    section is always an outro. 7-stem mode ends with `_split_vocal_gains`."""
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
    stems = stems_for_settings(settings)
    if LEAD_VOCAL_STEM in stems:
        _split_vocal_gains(sections)
    return project_sections(sections, stems)  # orders keys; folds 4-stem


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


def generate_fallback_plan(analysis_a, analysis_b, settings: Settings, reason: str = ""):
    """Song A's vocals over song B's instrumental on the fixed layout; the
    prompt is not read. Always returns a valid plan."""
    from .validate import repair_plan  # validate imports the planners

    sections = default_arrangement(len(bar_grid(analysis_b)), settings)
    explanation = "Using automatic remix layout: song A's vocals over song B's instrumental."
    plan: dict[str, Any] = {
        "vocal_source": "song_a",
        "vocal_start_bar": first_vocal_bar(analysis_a) - sections[0].bars if len(sections) > 1 else 0,
        "sections": [s.model_dump() for s in sections],
        "explanation": explanation,
        "warnings": [reason] if reason else [],
    }
    plan["vocal_start_bar"] = max(0, plan["vocal_start_bar"])
    return repair_plan(plan, stems_for_settings(settings), analysis_a, analysis_b, planner="fallback")
