"""Checks of tests/prompt_table.py's expectations against a plan (keys are
described in that module's docstring), and the plans themselves: the song
pair on a chosen layout, with optional sung pitches, and the no-prompt plan
that amounts are measured against."""

from __future__ import annotations

import re

from prompt_table import LAYOUTS


def analyses(mode: str, layout: str = "pop", pitch=None):
    """The song pair of interpreter_cases with `layout` and optional sung pitches."""
    from interpreter_helpers import make_analysis

    shape = LAYOUTS[layout]
    a = make_analysis("Midnight Train", "The Weekenders", tempo=120.0, mode=mode, layout=shape)
    b = make_analysis("Hollow Pines", "Cedar Lane", tempo=100.0, mode=mode, key="C", scale="major",
                      layout=shape)
    if pitch is not None:
        a, b = _with_pitch(a, pitch[0]), _with_pitch(b, pitch[1])
    return a, b


def _with_pitch(analysis, hz):
    if "vocal_pitch_hz" in type(analysis).model_fields:
        return analysis.model_copy(update={"vocal_pitch_hz": hz})
    return analysis


def plan_for(prompt, mode: str, layout: str = "pop", pitch=None):
    from interpreter_helpers import settings_for

    from musicmixer.interpreter import interpret

    a, b = analyses(mode, layout, pitch)
    return interpret(a, b, prompt, settings=settings_for(mode))


_BASELINES: dict = {}


def baseline(mode: str, layout: str = "pop"):
    """The no-prompt plan, which amounts are measured against."""
    if (mode, layout) not in _BASELINES:
        _BASELINES[mode, layout] = plan_for("", mode, layout)
    return _BASELINES[mode, layout]


def select(plan, kind: str):
    """Sections of a kind (see the module docstring)."""
    if kind == "all":
        return list(plan.sections)
    if kind.startswith("bars "):  # "bars 0-8": sections covering bars 0..7 of the mashup
        lo, hi = (int(n) for n in kind[5:].split("-"))
        start = plan.sections[0].start_beat
        return [s for s in plan.sections
                if s.start_beat < start + hi * 4 and s.end_beat > start + lo * 4]
    for word in ("before", "after", "from"):
        if kind.startswith(word + " "):
            anchor = select(plan, kind[len(word) + 1:])[:1]
            if not anchor:
                return []
            a = anchor[0]
            if word == "before":
                return [s for s in plan.sections if s.end_beat <= a.start_beat]
            if word == "after":
                return [s for s in plan.sections if s.start_beat >= a.end_beat]
            return [s for s in plan.sections if s.start_beat >= a.start_beat]
    which, _, label = kind.rpartition(" ")
    hits = [s for s in plan.sections if s.label == label]
    return {"first": hits[:1], "second": hits[1:2], "last": hits[-1:]}.get(which, hits)


def silent_sections(plan) -> list:
    return [s for s in plan.sections if not any(g > 0 for g in s.stem_gains.values())]


def _base_gain(base, section, stem):
    """The no-prompt plan's gain for a stem over the beats of `section`."""
    over = [s for s in base.sections if s.start_beat < section.end_beat and s.end_beat > section.start_beat]
    same = [s for s in over if s.label == section.label] or over or base.sections
    return max(s.stem_gains.get(stem, 0.0) for s in same)


def check(plan, expect: dict, mode: str, layout: str = "pop") -> list[str]:
    """Failures of one plan (empty = honoured)."""
    from interpreter_cases import check as base_check

    bad = base_check(plan, {k: v for k, v in expect.items() if k in {
        "vocal", "only", "backing", "lead", "seconds", "warns", "explains"}})
    base = baseline(mode, layout)

    def each(stem, kind, test, what):
        sections = select(plan, kind)
        if not sections:
            bad.append(f"no {kind} section for {what}")
        for s in sections:
            gain = s.stem_gains.get(stem)
            if gain is None:
                bad.append(f"no stem {stem} in plan")
                return
            if not test(gain, _base_gain(base, s, stem)):
                bad.append(f"{what} in {s.label}@{s.start_beat}: {gain:.2f} "
                           f"(no-prompt {_base_gain(base, s, stem):.2f})")

    for stem, kind in expect.get("silent", []):
        each(stem, kind, lambda g, b: g == 0.0, f"{stem} silent")
    for stem, kind in expect.get("featured", []):
        each(stem, kind, lambda g, b: g >= 0.9, f"{stem} featured")
    for stem, kind in expect.get("sounding", []):
        each(stem, kind, lambda g, b: g > 0.0, f"{stem} sounding")
    for stem, kind, value in expect.get("below", []):
        each(stem, kind, lambda g, b, v=value: g < v, f"{stem} below {value}")
    for stem, kind in expect.get("raised", []):
        each(stem, kind, lambda g, b: g > b + 1e-6 or g >= 0.99, f"{stem} raised")
    for stem, kind in expect.get("lowered", []):
        each(stem, kind, lambda g, b: 0.0 < g < b - 1e-6, f"{stem} lowered")
    for stem, kind in expect.get("reduced", []):
        each(stem, kind, lambda g, b: g < b - 1e-6, f"{stem} reduced")
    for stem, kind in expect.get("kept", []):
        each(stem, kind, lambda g, b: g >= b - 0.05, f"{stem} kept")
    for stem, kind in expect.get("not_raised", []):
        each(stem, kind, lambda g, b: g <= b + 0.01, f"{stem} not raised")
    for stem, kind, lo, hi in expect.get("ratio", []):
        each(stem, kind, lambda g, b, lo=lo, hi=hi: b > 0 and lo <= g / b <= hi,
             f"{stem} ratio in [{lo}, {hi}]")
    for kind in expect.get("level_kept", []):
        for s in select(plan, kind):
            level = sum(s.stem_gains.values())
            same = [b for b in base.sections if b.start_beat == s.start_beat and b.label == s.label]
            if same and level < sum(same[0].stem_gains.values()) - 1e-6:
                bad.append(f"{s.label}@{s.start_beat} quieter overall: {level:.2f} "
                           f"(no-prompt {sum(same[0].stem_gains.values()):.2f})")
    if expect.get("full_length") and plan.total_beats != base.total_beats:
        bad.append(f"plan length {plan.total_beats} beats, no-prompt {base.total_beats}")
    text = " ".join([plan.explanation, *plan.warnings])
    if expect.get("warns_any") and not plan.warnings:
        bad.append("no warning")
    if "says" in expect and not re.search(expect["says"], text, re.IGNORECASE):
        bad.append(f"neither explanation nor warnings match {expect['says']!r}")
    if "lacks" in expect:
        label, key, stem = expect["lacks"]
        made = [s for s in plan.sections if s.label == label]
        if made:
            tests = {"silent": lambda s: s.stem_gains.get(stem) == 0.0,
                     "sounding": lambda s: s.stem_gains.get(stem, 0.0) > 0.0,
                     "raised": lambda s: s.stem_gains.get(stem, 0.0) >= 0.7}
            if not all(tests[key](s) for s in made):
                bad.append(f"created {label} without {stem} {key}")
        elif not any(label in w.lower() for w in plan.warnings):
            bad.append(f"no {label} in the layout and no warning naming it: {plan.warnings}")
    if silent_sections(plan):
        bad.append(f"silent section(s): {[s.label for s in silent_sections(plan)]}")
    return bad


def reversed_(plan, expect: dict, mode: str, layout: str = "pop", kind: str = "") -> list[str]:
    """Where the plan did the opposite of what was asked: a stem that must sound
    (or be kept/raised) is silent throughout, a stem that must be cut is raised
    above the no-prompt plan, or (negation rows) the other song sings."""
    base = baseline(mode, layout)
    out = []
    for key in ("sounding", "kept", "raised", "featured"):
        for stem, where in expect.get(key, []):
            secs = select(plan, where)
            if secs and all(s.stem_gains.get(stem, 1.0) == 0.0 for s in secs) and any(
                    _base_gain(base, s, stem) > 0 for s in secs):
                out.append(f"{stem} {key} in {where} but silent")
    for key in ("silent", "lowered", "reduced"):
        for stem, where in expect.get(key, []):
            secs = select(plan, where)
            if secs and all(s.stem_gains.get(stem, 0.0) > _base_gain(base, s, stem) + 1e-6
                            for s in secs):
                out.append(f"{stem} {key} in {where} but raised")
    for stem, where in expect.get("not_raised", []):
        secs = select(plan, where)
        if secs and all(s.stem_gains.get(stem, 0.0) > _base_gain(base, s, stem) + 0.01 for s in secs):
            out.append(f"{stem} not_raised in {where} but raised")
    if kind == "negation" and "vocal" in expect and plan.vocal_source != expect["vocal"]:
        out.append(f"{plan.vocal_source} sings, asked for {expect['vocal']}")
    return out
