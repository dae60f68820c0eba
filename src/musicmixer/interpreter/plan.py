"""The typed remix plan (step 4's output) and the bar grid it is laid on.

Beats in a plan count on the *instrumental* song's grid, which is the output
timeline: beat 4k is that song's downbeat k, so a multiple of 4 is a bar line.
`vocal_start_bar` is the vocal song's bar that plays with the first section;
from there the two songs advance bar for bar (the vocals are stretched to fit).
The two time ranges record which stretch of each song the plan uses.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from musicmixer.analysis.model import SECTION_LABELS, SongAnalysis

BEATS_PER_BAR = 4
TRANSITIONS = ("fade", "crossfade", "cut")
MAX_TRANSITION_BEATS = 8
SONGS = ("song_a", "song_b")
TEMPO_INTENTS = ("match_instrumental", "match_vocal", "meet_in_middle")
KEY_INTENTS = ("match_instrumental", "match_vocal", "keep_original")

SectionLabel = Literal["intro", "verse", "chorus", "bridge", "breakdown", "drop", "outro"]
assert set(get_args(SectionLabel)) == set(SECTION_LABELS)  # one vocabulary with analysis
SongId = Literal["song_a", "song_b"]


class PlanSection(BaseModel):
    """One stretch of the output with a gain per stem of the current mode."""

    label: SectionLabel
    start_beat: int = Field(ge=0, multiple_of=BEATS_PER_BAR)
    end_beat: int = Field(gt=0, multiple_of=BEATS_PER_BAR)
    stem_gains: dict[str, float]
    transition_in: Literal["fade", "crossfade", "cut"] = "crossfade"
    transition_beats: int = Field(default=4, ge=0, le=MAX_TRANSITION_BEATS)
    energy: float = Field(default=0.5, ge=0.0, le=1.0)

    @property
    def bars(self) -> int:
        return (self.end_beat - self.start_beat) // BEATS_PER_BAR


class TimeRange(BaseModel):
    """Seconds from the start of one song."""

    start: float = Field(ge=0.0)
    end: float = Field(ge=0.0)


class RemixPlan(BaseModel):
    """A validated plan: every section carries exactly the mode's stems."""

    vocal_source: SongId
    vocal_start_bar: int = Field(ge=0)
    vocal_range: TimeRange  # in the vocal song
    instrumental_range: TimeRange  # in the instrumental song
    sections: list[PlanSection] = Field(min_length=1)
    tempo_intent: Literal["match_instrumental", "match_vocal", "meet_in_middle"] = (
        "match_instrumental"
    )
    key_intent: Literal["match_instrumental", "match_vocal", "keep_original"] = (
        "match_instrumental"
    )
    explanation: str
    warnings: list[str] = []
    stem_names: list[str]  # the mode's stems, in canonical order
    planner: str  # "anthropic:<model>", "openai:<model>", "offline" or "fallback"
    llm_usage: dict[str, float] | None = None

    @property
    def instrumental_source(self) -> SongId:
        return "song_b" if self.vocal_source == "song_a" else "song_a"

    @property
    def total_beats(self) -> int:
        return self.sections[-1].end_beat - self.sections[0].start_beat


def bar_grid(analysis: SongAnalysis) -> list[float]:
    """Bar start times of a song: its downbeats, else every 4th beat, else a
    grid from the tempo, so that a plan can be laid on any analysis."""
    if analysis.downbeats:
        return list(analysis.downbeats)
    if analysis.beats:
        return list(analysis.beats[::BEATS_PER_BAR])
    tempo = analysis.tempo if analysis.tempo > 0 else 120.0
    bar_s = 60.0 * BEATS_PER_BAR / tempo
    count = max(1, int(analysis.duration / bar_s))
    return [i * bar_s for i in range(count)]


def bar_time(grid: list[float], bar: int, duration: float) -> float:
    """Start time of bar `bar`; the song's end for the bar after the last."""
    if bar < len(grid):
        return grid[max(bar, 0)]
    return max(duration, grid[-1] if grid else 0.0)


def bar_seconds(analysis: SongAnalysis) -> float:
    tempo = analysis.tempo if analysis.tempo > 0 else 120.0
    return 60.0 * BEATS_PER_BAR / tempo


def song_pair(vocal_source: str, analysis_a: SongAnalysis, analysis_b: SongAnalysis):
    """(vocal song, instrumental song) for a vocal source."""
    if vocal_source == "song_b":
        return analysis_b, analysis_a
    return analysis_a, analysis_b


def first_vocal_bar(analysis: SongAnalysis) -> int:
    """The vocal song's first bar with singing: from its vocal activity when
    the analysis has it, else its first section after the intro, else bar 0."""
    if analysis.vocal_activity:
        start = analysis.vocal_activity[0][0]
        grid = bar_grid(analysis)
        return max(0, sum(1 for t in grid if t <= start + 1e-6) - 1)
    for section in analysis.sections:
        if section.label not in ("intro", "outro"):
            return max(section.start_bar, 0)
    return 0
