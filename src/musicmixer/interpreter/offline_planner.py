"""The offline planner (step 4 without an LLM): the default when no LLM is
configured and the fallback on any LLM failure.

Unlike the original product's fixed layout it reads the prompt
(`prompt_reading`), lays sections on both songs' analysed structure
(`layout`), starts from per-label gains, applies the mood and then each wish
in the order written (`apply_wishes`: the later clause wins, no section is
left silent), and explains clause by clause what it applied, ignored or
found conflicting (`explain_offline`).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import logging

from musicmixer.config import Settings
from musicmixer.stems import (
    BACKING_VOCAL_STEM,
    MIXED_VOCAL_STEM,
    StemMode,
    is_vocal,
    stem_mode_for_settings,
)

from .apply_wishes import apply_all, keep_lead_above_backing
from .explain_offline import clause_report
from .fallback import LABEL_ENERGY, generate_fallback_plan, label_gains
from .layout import lay_out
from .plan import BEATS_PER_BAR, RemixPlan, song_pair
from .prompt_reading import PromptReading, read_prompt
from .validate import repair_plan

logger = logging.getLogger(__name__)

# backing_vocals levels per section kind (modes with a backing_vocals stem).
BACKING_DEFAULTS = {"intro": 0.0, "verse": 0.35, "chorus": 0.65, "bridge": 0.45,
                    "breakdown": 0.3, "drop": 0.5, "outro": 0.3}


def plan_offline(analysis_a, analysis_b, prompt: str | None, settings: Settings, *,
                 reason: str = "") -> RemixPlan:
    """Never raises: a planner defect falls back to the fixed fallback layout."""
    try:
        return _plan(analysis_a, analysis_b, prompt, settings, reason)
    except Exception as exc:  # the user must still get a plan
        logger.exception("offline planner failed; using the fixed fallback layout")
        return generate_fallback_plan(analysis_a, analysis_b, settings,
                                      reason=f"{reason} Offline planner error: {exc}".strip())


def _plan(analysis_a, analysis_b, prompt, settings: Settings, reason: str) -> RemixPlan:
    mode = stem_mode_for_settings(settings)
    reading = read_prompt(prompt, analysis_a, analysis_b)
    vocal_source = reading.vocal_source or "song_a"
    vocal, inst = song_pair(vocal_source, analysis_a, analysis_b)
    layout = lay_out(vocal, inst, reading)
    sections = [_section(label, start, end, mode, reading.mood) for label, start, end in layout.sections]
    understood = _mood_notes(reading)
    warnings: list[str] = []
    records = apply_all(reading.wishes, sections, mode, warnings)
    keep_lead_above_backing(sections)
    raw = {
        "vocal_source": vocal_source,
        "vocal_start_bar": layout.vocal_start_bar,
        "sections": sections,
        "explanation": "",
        "warnings": ([reason] if reason else []) + warnings,
    }
    plan = repair_plan(raw, mode, analysis_a, analysis_b, planner="offline")
    _keep_sections_audible(plan, mode)
    plan.explanation = _explain(plan, reading, understood, reason, layout, vocal, inst, records)
    return plan


def _keep_sections_audible(plan: RemixPlan, mode: StemMode) -> None:
    """Repair silences vocals past the vocal song's end; a section that held
    nothing else gets its label's planned instrumental gains back."""
    for s in plan.sections:
        if not any(g > 0 for g in s.stem_gains.values()):
            planned = mode.project(label_gains(s.label))
            for stem in s.stem_gains:
                if not is_vocal(stem):
                    s.stem_gains[stem] = planned.get(stem, 0.0)
            plan.warnings.append(f"The {s.label} section at beat {s.start_beat} would have been silent "
                                 f"(the vocal song has ended), so its instruments stay in.")


def _section(label: str, start_bar: int, end_bar: int, mode: StemMode, mood) -> dict:
    gains = label_gains(label)
    energy = LABEL_ENERGY[label]
    transition, beats = ("fade", 4) if label in ("intro", "outro") else ("crossfade", 4)
    featured: set[str] = set()  # stems a later "heavy X" must not pull down
    if mood == "chill":
        label = "chorus" if label == "drop" else label
        gains = {s: g * {"drums": 0.5, "bass": 0.8}.get(s, 0.9 if not is_vocal(s) else 1.0)
                 for s, g in gains.items()}
        energy, beats = energy * 0.7, 8
    elif mood == "energetic" and label not in ("intro", "outro"):
        gains["drums"] = max(gains["drums"], 1.0 if label in ("chorus", "drop") else 0.95)
        gains["bass"] = max(gains["bass"], 0.95)
        energy, beats = min(1.0, energy + 0.2), 2
        featured = {"drums", "bass"}
    if BACKING_VOCAL_STEM in mode.stems:  # per-label backing level instead of the fixed split ratio
        gains[BACKING_VOCAL_STEM] = min(gains[MIXED_VOCAL_STEM], BACKING_DEFAULTS[label])
    return {"label": label, "start_beat": start_bar * BEATS_PER_BAR, "end_beat": end_bar * BEATS_PER_BAR,
            "stem_gains": mode.project(gains), "transition_in": transition,
            "transition_beats": beats, "energy": energy, "featured": featured}


def _mood_notes(reading: PromptReading) -> list[str]:
    notes = []
    if reading.mood:
        notes.append({"chill": "a chill mood (softer drums, long crossfades)",
                      "energetic": "high energy (drums and bass up, quick transitions)"}[reading.mood])
    if reading.target_seconds or reading.target_bars:
        notes.append("the requested length")
    elif reading.length:
        notes.append(f"a {reading.length} version")
    return notes


def _explain(plan: RemixPlan, reading, understood, reason, layout, vocal, inst, records) -> str:
    names = {"song_a": "song A", "song_b": "song B"}
    voc, ins = names[plan.vocal_source], names[plan.instrumental_source]
    title = f' ("{vocal.title}")' if vocal.title else ""
    parts = [reason] if reason else []
    parts.append("Planned offline from the prompt (no LLM).")
    if reading.notes:
        parts.append("Prompt " + "; ".join(reading.notes) + ".")
    why = (f' because the prompt says "{reading.vocal_evidence}"' if reading.vocal_evidence
           else "; the prompt did not say which song sings, so song A sings")
    parts.append(f"Vocals from {voc}{title} over {ins}'s instrumental{why}.")
    parts += [note[0].upper() + note[1:] + "." for note in reading.vocal_notes]
    if understood:
        parts.append("Understood: " + "; ".join(dict.fromkeys(understood)) + ".")
    parts += clause_report(reading, records)
    if reading.truncated:
        parts.append("Only the first 4000 characters of the prompt were read.")
    seconds = plan.instrumental_range.end - plan.instrumental_range.start
    bars = plan.total_beats // BEATS_PER_BAR
    count = f"{len(plan.sections)} section{'s' if len(plan.sections) > 1 else ''}"
    parts.append(f"Layout: {count} over {bars} bars "
                 f"({int(seconds // 60)}:{int(seconds % 60):02d}), sung sections following "
                 f"{voc if layout.structure_from == 'vocal' else ins}'s structure on {ins}'s bar grid.")
    return " ".join(parts)
