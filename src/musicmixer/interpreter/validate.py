"""Step 4, second half: turn whatever a planner produced into a valid plan.

LLM output is untrusted: every field is coerced, clamped or dropped with a
warning. `repair_plan` is pure: it raises `PlanRepairError` only when nothing
usable is left, and what happens then is the caller's policy (`interpret`
falls back to the offline planner).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import math

from musicmixer.stems import StemMode, vocal_stems

from .plan import (
    BEATS_PER_BAR,
    KEY_INTENTS,
    MAX_TRANSITION_BEATS,
    SECTION_LABELS,
    TEMPO_INTENTS,
    TRANSITIONS,
    PlanSection,
    RemixPlan,
    TimeRange,
    bar_grid,
    bar_time,
    first_vocal_bar,
    song_pair,
)

MAX_SECTIONS = 64
MAX_TEXT = 2000
LABEL_SYNONYMS = {
    "hook": "chorus", "refrain": "chorus", "pre-chorus": "verse", "prechorus": "verse",
    "pre_chorus": "verse", "build": "breakdown", "buildup": "breakdown", "build-up": "breakdown",
    "interlude": "bridge", "solo": "bridge", "instrumental": "breakdown", "ending": "outro",
    "end": "outro", "opening": "intro", "coda": "outro", "middle 8": "bridge",
}
_SONG_ALIASES = {
    "song_a": "song_a", "a": "song_a", "song a": "song_a", "first": "song_a", "1": "song_a",
    "song_b": "song_b", "b": "song_b", "song b": "song_b", "second": "song_b", "2": "song_b",
}


class PlanRepairError(ValueError):
    """The plan has nothing usable left after repair."""


def repair_plan(raw, mode: StemMode, analysis_a, analysis_b, *, planner: str) -> RemixPlan:
    """Coerce a plan dict into a `RemixPlan` with exactly `mode`'s stems;
    raises `PlanRepairError` only when no section survives."""
    if not isinstance(raw, dict):
        raise PlanRepairError(f"plan is a {type(raw).__name__}, not an object")
    warnings: list[str] = []
    note = _Notes(warnings)
    for w in raw.get("warnings") or []:
        if isinstance(w, str) and w.strip():
            note(w.strip()[:300])

    vocal_source = _song(raw.get("vocal_source"))
    if vocal_source is None:
        vocal_source = "song_a"
        note("vocal_source missing or unknown; song A supplies the vocals.")
    vocal, inst = song_pair(vocal_source, analysis_a, analysis_b)
    grid = bar_grid(inst)
    max_beat = len(grid) * BEATS_PER_BAR

    sections = _repair_sections(raw.get("sections"), mode, max_beat, note)
    first_bar = sections[0].start_beat // BEATS_PER_BAR
    plan_bars = (sections[-1].end_beat - sections[0].start_beat) // BEATS_PER_BAR

    vgrid = bar_grid(vocal)
    vocal_start_bar = _integer(raw.get("vocal_start_bar"))
    if vocal_start_bar is None:
        vocal_start_bar = max(0, first_vocal_bar(vocal) - sections[0].bars)
    vocal_start_bar = min(max(0, vocal_start_bar), len(vgrid) - 1)
    _silence_vocals_past_end(sections, len(vgrid) - vocal_start_bar, note)

    return RemixPlan(
        vocal_source=vocal_source,
        vocal_start_bar=vocal_start_bar,
        vocal_range=TimeRange(
            start=bar_time(vgrid, vocal_start_bar, vocal.duration),
            end=min(bar_time(vgrid, vocal_start_bar + plan_bars, vocal.duration), vocal.duration),
        ),
        instrumental_range=TimeRange(
            start=bar_time(grid, first_bar, inst.duration),
            end=min(bar_time(grid, first_bar + plan_bars, inst.duration), inst.duration),
        ),
        sections=sections,
        tempo_intent=_choice(raw.get("tempo_intent"), TEMPO_INTENTS),
        key_intent=_choice(raw.get("key_intent"), KEY_INTENTS),
        explanation=_text(raw.get("explanation")) or "Remix plan.",
        warnings=warnings,
        stem_names=list(mode.stems),
        planner=planner,
    )


def _repair_sections(items, mode: StemMode, max_beat: int, note) -> list[PlanSection]:
    """Parse, snap to bars, clamp to the song, sort, then close overlaps and gaps."""
    if not isinstance(items, list) or not items:
        raise PlanRepairError("plan has no sections")
    if len(items) > MAX_SECTIONS:
        note(f"Only the first {MAX_SECTIONS} of {len(items)} sections were kept.")
    parsed = []
    unknown: set[str] = set()
    for item in items[:MAX_SECTIONS]:
        if not isinstance(item, dict):
            continue
        start, end = _number(item.get("start_beat")), _number(item.get("end_beat"))
        if start is None or end is None:
            note("A section without numeric start/end beats was dropped.")
            continue
        snapped = [_snap(start), _snap(end)]
        if snapped != [start, end]:
            note("Section boundaries were snapped to the bar grid.")
        start, end = (min(max(b, 0), max_beat) for b in snapped)
        if end <= start:
            continue
        parsed.append({
            "label": _label(item.get("label"), note),
            "start_beat": start,
            "end_beat": end,
            "stem_gains": _gains(item.get("stem_gains"), mode, unknown, note),
            "transition_in": _choice(item.get("transition_in"), TRANSITIONS, "crossfade"),
            "transition_beats": min(max(_integer(item.get("transition_beats"), 4), 0), MAX_TRANSITION_BEATS),
            "energy": _clamp01(_number(item.get("energy")), 0.5),
        })
    if unknown:
        note(f"Unknown stems dropped: {', '.join(sorted(unknown))}.")
    if not parsed:
        raise PlanRepairError("no section has a usable beat range within the song")
    parsed.sort(key=lambda s: (s["start_beat"], s["end_beat"]))
    fixed = [parsed[0]]
    for s in parsed[1:]:
        prev = fixed[-1]
        if s["start_beat"] < prev["end_beat"]:
            if s["end_beat"] <= prev["end_beat"]:
                note("A section inside another one was dropped.")
                continue
            s["start_beat"] = prev["end_beat"]
            note("Overlapping sections were trimmed.")
        elif s["start_beat"] > prev["end_beat"]:
            prev["end_beat"] = s["start_beat"]
            note("Gaps between sections were closed.")
        fixed.append(s)
    return [PlanSection(**s) for s in fixed]


def _gains(raw, mode: StemMode, unknown: set, note) -> dict[str, float]:
    """Exactly the mode's stems, each 0-1; missing ones are 0.0. A stem of
    another mode is carried over by the mode's fold/split rules (vocals <->
    lead + backing, guitar/piano -> other) rather than lost."""
    if not isinstance(raw, dict):
        raw = {}
    given: dict[str, float] = {}
    for key, value in raw.items():
        name = str(key).strip().lower()
        if name in mode.known_stems:
            given[name] = _gain(value, note)
        else:
            unknown.add(name[:40])
    for source, parts in mode.splits.items():
        if source in given:
            note(f"'{source}' was split into {' and '.join(parts)}.")
    folded: dict[str, list[str]] = {}
    for source, target in mode.folds.items():
        if source in given:
            folded.setdefault(target, []).append(source)
    for target, sources in folded.items():
        note(f"Stems not in this mode ({', '.join(sorted(sources))}) were folded into '{target}'.")
    return mode.project(given)


def _silence_vocals_past_end(sections, vocal_bars_left: int, note) -> None:
    """Sections that start after the vocal song has ended get no vocals."""
    start0 = sections[0].start_beat
    for s in sections:
        if (s.start_beat - start0) // BEATS_PER_BAR >= vocal_bars_left:
            for name in vocal_stems(list(s.stem_gains)):
                if s.stem_gains[name] > 0:
                    s.stem_gains[name] = 0.0
                    note("The vocal song ends before the plan does; later sections have no vocals.")


class _Notes:
    """Collects warnings once each, in order."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings

    def __call__(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 40:
            self.warnings.append(message)


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return _number(float(value.strip()))
        except ValueError:
            return None
    return None


def _integer(value, default=None):
    number = _number(value)
    return default if number is None or abs(number) > 1e7 else int(round(number))


def _snap(beat: float) -> int:
    if abs(beat) > 1e7:
        return 0 if beat < 0 else int(1e7)
    return int(math.floor(beat / BEATS_PER_BAR + 0.5)) * BEATS_PER_BAR


def _clamp01(value: float | None, default: float) -> float:
    return default if value is None else min(max(value, 0.0), 1.0)


def _gain(value, note) -> float:
    number = _number(value)
    if number is None:
        note("A non-numeric gain was set to 0.0.")
        return 0.0
    if not 0.0 <= number <= 1.0:
        note("Gains outside 0-1 were clamped.")
    return _clamp01(number, 0.0)


def _label(value, note) -> str:
    text = str(value or "").strip().lower()
    if text in SECTION_LABELS:
        return text
    if text in LABEL_SYNONYMS:
        return LABEL_SYNONYMS[text]
    for label in SECTION_LABELS:
        if text.startswith(label):
            return label
    note(f"Unknown section label {text[:30]!r} became 'verse'.")
    return "verse"


def _song(value) -> str | None:
    return _SONG_ALIASES.get(str(value or "").strip().lower().replace("-", " "))


def _choice(value, options, default=None):
    text = str(value or "").strip().lower()
    return text if text in options else (default if default is not None else options[0])


def _text(value) -> str:
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""
