"""Apply the reader's wishes to the offline plan's sections, in the order
written, and keep a record of what each clause did.

- The later clause wins: when a wish touches a stem in a section that an
  earlier clause's wish set differently, the stem goes back to its planned
  gain first and the earlier clause is reported as overridden.
- No silent section: a section left with every gain at 0 gets back first the
  stems an "only" silenced as a side effect, then those of the earliest
  clause that muted them, until something sounds, with a warning.
- A wish about a section the layout does not have is reported, not dropped
  in silence.
- "The rest" / "everything else" means the instruments not named before it:
  "keep the bass, kill the rest" leaves the vocals in (they are the other
  song's part of the mashup, and nobody named them); the explanation says so.
- A boost makes room by turning the other instruments down, but never below
  the section's level before the boost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from musicmixer.stems import (
    BACKING_VOCAL_STEM,
    LEAD_VOCAL_STEM,
    MIXED_VOCAL_STEM,
    OTHER_STEM,
    STEM_MODES,
    StemMode,
    instrumental_stems,
    is_vocal,
    vocal_stems,
)

from . import lexicon as lx
from .clauses import Wish
from .plan import BEATS_PER_BAR
from .scopes import missing_labels, pick

BACKING_LEVELS = {"mute": 0.0, "raw": 0.05, "reduce": 0.2, "feature": 0.7, "harmonies": 0.7,
                  "only": 0.8, "choir": 0.9}
CHOIR_LEAD = 0.65
FEATURE_GAIN, ROOM_FACTOR, REDUCE_FACTOR, ONLY_GAIN = 0.95, 0.85, 0.4, 0.8
RHYTHM_STEMS = ("drums", "bass")  # what "rhythm section" names; stems the mode lacks are skipped
REST_RULE = '"the rest" means the other instruments: the vocals stay unless named'
_VERB = {"mute": "no", "feature": "featured", "reduce": "less", "only": "only", "keep": "kept"}


@dataclass
class ClauseRecord:
    """What one clause's wishes did to the plan."""

    applied: list[str] = field(default_factory=list)  # "no drums in the verse sections (4 sections)"
    overridden_by: dict[str, int] = field(default_factory=dict)  # stem -> the later clause
    missing: list[str] = field(default_factory=list)  # section labels the layout lacks
    notes: list[str] = field(default_factory=list)


def needs_backing_stem() -> str:
    """Which configurations have a backing_vocals stem, for warnings (from `STEM_MODES`)."""
    modes = [m for m in STEM_MODES.values() if BACKING_VOCAL_STEM in m.stems]
    return "needs VOCAL_SUB_SEPARATION=true with the " + " or ".join(
        f"{m.backend} stem backend ({len(m.stems)} stems)" for m in modes)


def stems_for_token(token: str, mode: StemMode) -> tuple[list[str], str]:
    """The mode's stems a lexicon token names, and a note when the mode lacks
    it. A stem the mode lacks goes where the mode's fold rule puts its sound
    (piano -> other in 4 stems), or to the parts a split rule makes of it."""
    stems = mode.stems
    if token == lx.VOCALS:
        return list(mode.vocal_stems), ""
    if token == lx.INSTRUMENTAL:
        return list(mode.instrumental_stems), ""
    if token == lx.ALL:
        return list(stems), ""
    if token == lx.RHYTHM:
        return [s for s in RHYTHM_STEMS if s in stems], ""
    if token == lx.LEAD:
        return ([LEAD_VOCAL_STEM], "") if LEAD_VOCAL_STEM in stems else (
            [mode.folds.get(LEAD_VOCAL_STEM, MIXED_VOCAL_STEM)],
            "lead vocals are not a separate stem in this mode")
    if token == lx.BACKING:
        return ([BACKING_VOCAL_STEM], "") if BACKING_VOCAL_STEM in stems else (
            [], f"backing vocals as a separate stem {needs_backing_stem()}")
    if token in stems:
        return [token], ""
    if token in mode.splits:
        return list(mode.splits[token]), ""
    home = mode.folds.get(token, OTHER_STEM)
    return [home], f"{token} is part of '{home}' in this mode"


def apply_all(wishes: list[Wish], sections: list[dict], mode: StemMode, warnings: list[str]
              ) -> dict[int, ClauseRecord]:
    """Apply every wish in the mode's stems; returns a record per clause index."""
    records: dict[int, ClauseRecord] = {}
    named_so_far: list[str] = []
    for s in sections:
        s["base"], s["owner"], s["side"] = dict(s["stem_gains"]), {}, {}
    for wish in wishes:
        record = records.setdefault(wish.clause, ClauseRecord())
        _apply(wish, sections, mode, named_so_far, record, records, warnings)
    _no_silent_section(sections, warnings)
    for s in sections:
        for key in ("base", "owner", "side"):
            s.pop(key, None)
    return records


def _apply(wish: Wish, sections: list[dict], mode: StemMode, named_so_far: list[str],
           record: ClauseRecord, records: dict[int, ClauseRecord], warnings: list[str]) -> None:
    stems = list(mode.stems)
    targets = pick(wish.scope, sections)
    if not targets and wish.scope.labels:
        lacking = missing_labels(wish.scope, {s["label"] for s in sections}) or set(wish.scope.labels)
        names = "/".join(sorted(lacking))
        record.missing.append(names)
        warnings.append(f'This mashup\'s layout has no {names} section, so "{wish.phrase}" could not be '
                        f"applied there.")
        return
    if not targets and wish.scope.bars is not None:
        bars = (sections[-1]["end_beat"] - sections[0]["start_beat"]) // BEATS_PER_BAR if sections else 0
        where = wish.scope.describe().removeprefix("in the sections covering ")
        record.missing.append(where)
        warnings.append(f'This mashup has {bars} bars, so "{wish.phrase}" ({where}) could not be applied.')
        return
    if wish.action in ("choir", "raw", "harmonies"):
        if BACKING_VOCAL_STEM not in stems:
            needs = needs_backing_stem()
            warnings.append(f'"{wish.phrase}" was ignored: a {wish.action} effect {needs}.')
            record.notes.append(f"ignored: a {wish.action} effect {needs}")
            return
        for s in targets:
            g = s["stem_gains"]
            if g[LEAD_VOCAL_STEM] > 0:
                g[BACKING_VOCAL_STEM] = BACKING_LEVELS[wish.action]
                if wish.action == "choir":
                    g[LEAD_VOCAL_STEM] = CHOIR_LEAD
                    s["choir"] = True
        record.applied.append(f"{wish.action} backing vocals {wish.scope.describe()}")
        return
    named: list[str] = []
    rest_note = ""
    for token in wish.tokens:
        if token == lx.REST:  # the other instruments; a vocal stem stays unless it is named
            found, note = [s for s in stems if s not in named_so_far and not is_vocal(s)], ""
            rest_note = REST_RULE
        else:
            found, note = stems_for_token(token, mode)
        if note:
            warnings.append(f'"{wish.phrase}": {note}.')
            record.notes.append(note)
        named += [s for s in found if s not in named]
    if not named:
        return
    named_so_far += [s for s in named if s not in named_so_far]
    if wish.action == "only" and set(named) == {BACKING_VOCAL_STEM} and wish.scope.labels:
        # "ad-libs only on the last chorus": backing vocals there and nowhere else
        targets = [s for s in sections if not any(s is t for t in targets)]
        wish = Wish("mute", wish.tokens, wish.scope, wish.phrase, wish.clause)
    # "lead vocals only" narrows the vocals; "vocals only" / "piano only" narrow the mix.
    pool = list(mode.vocal_stems) if set(wish.tokens) <= {lx.LEAD, lx.BACKING} else stems
    before = [dict(s["stem_gains"]) for s in targets]
    for s in targets:
        for stem in named:
            earlier = s["owner"].get(stem)
            if earlier and earlier[0] != wish.clause and earlier[1] != wish.action:
                records[earlier[0]].overridden_by[stem] = wish.clause
                s["stem_gains"][stem] = s["base"][stem]  # the later clause wins, from the planned gain
            s["owner"][stem] = (wish.clause, wish.action)
            s["side"].pop(stem, None)
        _apply_action(wish, named, s, pool)
    changed = sum(b != s["stem_gains"] for b, s in zip(before, targets))
    record.applied.append(f"{_VERB[wish.action]} {', '.join(named)} {wish.scope.describe()}"
                          + (f" x{wish.factor:.2f}" if wish.factor else "")
                          + (f", {changed} of {len(targets)} sections changed" if changed else ", no change needed")
                          + (f"; {rest_note}" if rest_note else ""))


def _apply_action(wish: Wish, named: list[str], section: dict, pool) -> None:
    """One wish on one section. Vocals are never raised where the layout has
    them silent (an intro stays instrumental unless the prompt says so);
    `only` silences the stems of `pool` that were not named."""
    action, g = wish.action, section["stem_gains"]
    sung = any(g[v] > 0 for v in vocal_stems(list(g)))
    level_before = sum(g.values())
    for name in named:
        if action == "keep":
            g[name] = section["base"][name]
            section["featured"].add(name)  # a later "heavy X" does not pull it down
        elif name == BACKING_VOCAL_STEM:
            if action in ("mute", "reduce") or sung:
                level = BACKING_LEVELS[action]
                g[name] = g[name] * wish.factor if action == "reduce" and wish.factor else level
        elif action == "mute":
            g[name] = 0.0
        elif action == "reduce":
            g[name] *= wish.factor if wish.factor is not None else REDUCE_FACTOR
        elif is_vocal(name):
            if action == "feature" and g[name] > 0:
                g[name] = min(1.0, g[name] * wish.factor) if wish.factor else 1.0
        elif action == "feature" and wish.factor:
            g[name] = min(1.0, max(g[name] * wish.factor, g[name] + 0.05))
        else:
            g[name] = max(g[name], FEATURE_GAIN if action == "feature" else ONLY_GAIN)
    if action == "feature" and not wish.factor and not all(is_vocal(n) for n in named):
        section["featured"].update(named)
        _make_room(g, section["featured"], level_before)
    if action == "only":
        for other in pool:
            if other not in named and g[other] > 0:
                g[other] = 0.0
                section["side"][other] = wish.clause


def _make_room(g: dict[str, float], featured: set[str], level_before: float) -> None:
    """Turn the unfeatured instruments down (at most to ROOM_FACTOR) by no more
    than the boost added, so that a boost never makes the section quieter
    overall ("bigger chorus with more drums" summed 5.45 -> 4.93 with a flat
    x0.85 on the chorus's other instruments, where the drums were already at 1.0)."""
    others = [o for o in instrumental_stems(list(g)) if o not in featured and g[o] > 0]
    spare = sum(g.values()) - level_before
    room = sum(g[o] for o in others)
    if spare <= 0 or room <= 0:
        return
    factor = max(ROOM_FACTOR, 1.0 - spare / room)
    for other in others:
        g[other] *= factor


def _no_silent_section(sections, warnings) -> None:
    kept: dict[tuple[str, ...], list[str]] = {}
    for s in sections:
        g = s["stem_gains"]
        if any(v > 0 for v in g.values()):
            continue
        groups = [sorted(s["side"])]
        for clause in sorted({c for c, a in s["owner"].values()}):
            groups.append([k for k, (c, a) in s["owner"].items() if c == clause and a == "mute"])
        restored: list[str] = []
        for group in groups:
            for stem in group:
                if s["base"].get(stem, 0) > 0:
                    g[stem] = s["base"][stem]
                    restored.append(stem)
            if any(v > 0 for v in g.values()):
                break
        if not any(v > 0 for v in g.values()):
            g.update(s["base"])
            restored = [k for k, v in s["base"].items() if v > 0]
        kept.setdefault(tuple(restored), []).append(s["label"])
    for back, labels in kept.items():
        where = ", ".join(dict.fromkeys(labels))
        warnings.append(f"The prompt would have left the {where} section(s) silent, so "
                        f"{', '.join(back)} {'stays' if len(back) == 1 else 'stay'} in "
                        f"(the nearest plan with something playing).")


def keep_lead_above_backing(sections) -> None:
    """The default: lead >= backing while the lead sings (a choir is the exception)."""
    for s in sections:
        g = s["stem_gains"]
        if BACKING_VOCAL_STEM in g and not s.pop("choir", False) and g[LEAD_VOCAL_STEM] > 0:
            g[BACKING_VOCAL_STEM] = min(g[BACKING_VOCAL_STEM], g[LEAD_VOCAL_STEM])
