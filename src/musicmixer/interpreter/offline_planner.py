"""The offline planner (step 4 without an LLM): the default when no LLM is
configured and the fallback on any LLM failure.

Unlike the reference product's fixed layout it reads the prompt
(`prompt_reading`), lays sections on both songs' analysed structure
(`layout`), starts from per-label gains, applies the mood and then each wish
in the order written, and explains what it understood and what it ignored.
"""

from __future__ import annotations

import logging

from musicmixer.config import Settings
from musicmixer.stems import (
    BACKING_VOCAL_STEM,
    LEAD_VOCAL_STEM,
    MIXED_VOCAL_STEM,
    OTHER_STEM,
    STEM_MODES,
    StemMode,
    instrumental_stems,
    is_vocal,
    stem_mode_for_settings,
    vocal_stems,
)

from . import lexicon as lx
from .fallback import LABEL_ENERGY, generate_fallback_plan, label_gains
from .layout import lay_out
from .plan import BEATS_PER_BAR, RemixPlan, song_pair
from .prompt_reading import PromptReading, Scope, Wish, read_prompt
from .validate import repair_plan

logger = logging.getLogger(__name__)

# Spec guidance for backing_vocals (7-stem mode), per section kind and per wish.
BACKING_DEFAULTS = {"intro": 0.0, "verse": 0.35, "chorus": 0.65, "bridge": 0.45,
                    "breakdown": 0.3, "drop": 0.5, "outro": 0.3}
BACKING_LEVELS = {"mute": 0.0, "raw": 0.05, "reduce": 0.2, "feature": 0.7, "harmonies": 0.7,
                  "only": 0.8, "choir": 0.9}
CHOIR_LEAD = 0.65
FEATURE_GAIN, ROOM_FACTOR, REDUCE_FACTOR, ONLY_GAIN = 0.95, 0.85, 0.4, 0.8


def needs_backing_stem() -> str:
    """Which configurations have a backing_vocals stem, for warnings."""
    modes = [m for m in STEM_MODES.values() if BACKING_VOCAL_STEM in m.stems]
    return "needs VOCAL_SUB_SEPARATION=true with the " + " or ".join(
        f"{m.backend} stem backend ({len(m.stems)} stems)" for m in modes)


def plan_offline(analysis_a, analysis_b, prompt: str | None, settings: Settings, *, reason: str = "") -> RemixPlan:
    """Never raises: a planner defect falls back to the spec's fixed layout."""
    try:
        return _plan(analysis_a, analysis_b, prompt, settings, reason)
    except Exception as exc:
        logger.exception("offline planner failed; using the fixed fallback layout")
        return generate_fallback_plan(analysis_a, analysis_b, settings,
                                      reason=f"{reason} Offline planner error: {exc}".strip())


def _plan(analysis_a, analysis_b, prompt, settings: Settings, reason: str) -> RemixPlan:
    mode = stem_mode_for_settings(settings)
    stems = list(mode.stems)
    reading = read_prompt(prompt, analysis_a, analysis_b)
    vocal_source = reading.vocal_source or "song_a"
    vocal, inst = song_pair(vocal_source, analysis_a, analysis_b)
    layout = lay_out(vocal, inst, reading)
    sections = [_section(label, start, end, mode, reading.mood) for label, start, end in layout.sections]
    understood = _mood_notes(reading)
    warnings: list[str] = []
    for wish in reading.wishes:
        _apply(wish, sections, stems, understood, warnings)
    _keep_lead_above_backing(sections)
    raw = {
        "vocal_source": vocal_source,
        "vocal_start_bar": layout.vocal_start_bar,
        "sections": sections,
        "explanation": "",
        "warnings": ([reason] if reason else []) + warnings,
    }
    plan = repair_plan(raw, mode, analysis_a, analysis_b, planner="offline")
    plan.explanation = _explain(plan, reading, understood, reason, layout, vocal, inst)
    return plan


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


def _targets(scope: Scope, sections: list[dict]) -> list[dict]:
    if scope.labels is None:
        return sections
    hits = [s for s in sections if s["label"] in scope.labels]
    if scope.which == "before":
        first = sections.index(hits[0]) if hits else len(sections)
        return sections[:first]
    if scope.which in ("first", "last"):
        narrowed = [s for s in hits if s["label"] in scope.which_labels]
        picked = narrowed[:1] if scope.which == "first" else narrowed[-1:]
        return [s for s in hits if s["label"] not in scope.which_labels or any(s is p for p in picked)]
    return hits


def stems_for_token(token: str, stems: list[str]) -> tuple[list[str], str]:
    """The mode's stems a lexicon token names, and a note when the mode lacks it."""
    if token == lx.VOCALS:
        return vocal_stems(stems), ""
    if token == lx.INSTRUMENTAL:
        return instrumental_stems(stems), ""
    if token == lx.LEAD:
        return ([LEAD_VOCAL_STEM], "") if LEAD_VOCAL_STEM in stems else (
            [MIXED_VOCAL_STEM], "lead vocals are not a separate stem in this mode")
    if token == lx.BACKING:
        return ([BACKING_VOCAL_STEM], "") if BACKING_VOCAL_STEM in stems else (
            [], f"backing vocals as a separate stem {needs_backing_stem()}")
    if token in stems:
        return [token], ""
    return [OTHER_STEM], f"{token} is part of '{OTHER_STEM}' in this mode"


def _apply(wish: Wish, sections, stems, understood: list[str], warnings: list[str]) -> None:
    targets = _targets(wish.scope, sections)
    if wish.action in ("choir", "raw", "harmonies"):
        if BACKING_VOCAL_STEM not in stems:
            warnings.append(f'"{wish.phrase}" was ignored: a {wish.action} effect {needs_backing_stem()}.')
            return
        for s in targets:
            g = s["stem_gains"]
            if g[LEAD_VOCAL_STEM] > 0:
                g[BACKING_VOCAL_STEM] = BACKING_LEVELS[wish.action]
                if wish.action == "choir":
                    g[LEAD_VOCAL_STEM] = CHOIR_LEAD
                    s["choir"] = True
        understood.append(f"{wish.action} backing vocals {wish.scope.describe()}")
        return
    named: list[str] = []
    for token in wish.tokens:
        found, note = stems_for_token(token, stems)
        if note:
            warnings.append(f'"{wish.phrase}": {note}.')
        named += [s for s in found if s not in named]
    if not named:
        return
    # "lead vocals only" narrows the vocals; "vocals only" / "piano only" narrow the mix.
    pool = vocal_stems(stems) if set(wish.tokens) <= {lx.LEAD, lx.BACKING} else stems
    for s in targets:
        _apply_action(wish.action, named, s, pool)
    verb = {"mute": "no", "feature": "featured", "reduce": "less", "only": "only"}[wish.action]
    understood.append(f"{verb} {', '.join(named)} {wish.scope.describe()}")


def _apply_action(action: str, named: list[str], section: dict, pool) -> None:
    """One wish on one section. Vocals are never raised where the layout has
    them silent (an intro stays instrumental unless the prompt says so);
    `only` silences the stems of `pool` that were not named."""
    stems = list(section["stem_gains"])
    g = section["stem_gains"]
    before = dict(g)
    sung = any(g[v] > 0 for v in vocal_stems(stems))
    for name in named:
        if name == BACKING_VOCAL_STEM:
            if action in ("mute", "reduce") or sung:
                g[name] = BACKING_LEVELS[action]
        elif action == "mute":
            g[name] = 0.0
        elif action == "reduce":
            g[name] *= REDUCE_FACTOR
        elif is_vocal(name):
            g[name] = 1.0 if action == "feature" and g[name] > 0 else g[name]
        else:
            g[name] = max(g[name], FEATURE_GAIN if action == "feature" else ONLY_GAIN)
    if action == "feature" and not all(is_vocal(n) for n in named):
        section["featured"].update(named)
        for other in instrumental_stems(stems):
            if other not in section["featured"]:
                g[other] *= ROOM_FACTOR
    if action == "only":
        for other in pool:
            if other not in named:
                g[other] = 0.0
        if not any(g.values()):  # "vocals only" in an instrumental intro: leave it be
            g.update(before)


def _keep_lead_above_backing(sections) -> None:
    """Spec default: lead >= backing while the lead sings (a choir is the exception)."""
    for s in sections:
        g = s["stem_gains"]
        if BACKING_VOCAL_STEM in g and not s.pop("choir", False) and g[LEAD_VOCAL_STEM] > 0:
            g[BACKING_VOCAL_STEM] = min(g[BACKING_VOCAL_STEM], g[LEAD_VOCAL_STEM])


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


def _explain(plan: RemixPlan, reading, understood, reason, layout, vocal, inst) -> str:
    names = {"song_a": "song A", "song_b": "song B"}
    voc, ins = names[plan.vocal_source], names[plan.instrumental_source]
    title = f' ("{vocal.title}")' if vocal.title else ""
    parts = [reason] if reason else []
    parts.append("Planned offline from the prompt (no LLM).")
    why = (f' because the prompt says "{reading.vocal_evidence}"' if reading.vocal_evidence
           else "; the prompt did not say which song sings, so song A sings")
    parts.append(f"Vocals from {voc}{title} over {ins}'s instrumental{why}.")
    if understood:
        parts.append("Understood: " + "; ".join(dict.fromkeys(understood)) + ".")
    if reading.ignored:
        quoted = ", ".join(f'"{c}"' for c in reading.ignored[:5])
        more = f" and {len(reading.ignored) - 5} more" if len(reading.ignored) > 5 else ""
        parts.append(f"Ignored (not understood): {quoted}{more}.")
    if reading.truncated:
        parts.append("Only the first 4000 characters of the prompt were read.")
    seconds = plan.instrumental_range.end - plan.instrumental_range.start
    bars = plan.total_beats // BEATS_PER_BAR
    count = f"{len(plan.sections)} section{'s' if len(plan.sections) > 1 else ''}"
    parts.append(f"Layout: {count} over {bars} bars "
                 f"({int(seconds // 60)}:{int(seconds % 60):02d}), sung sections following "
                 f"{voc if layout.structure_from == 'vocal' else ins}'s structure on {ins}'s bar grid.")
    return " ".join(parts)
