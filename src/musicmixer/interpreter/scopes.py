"""Where a wish applies: which sections of the plan a phrase like "in the
verses", "the last chorus", "until the drop", "after the first chorus",
"from the bridge on", "except the bridge", "except the last one" or a bar
range ("for the first 8 bars", "from bar 9", "bars 17-24") names, and the
sections of a laid-out plan that scope picks. A bar range picks the sections
that cover those bars (the layout is not cut at the bar), and the
explanation says which."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from . import lexicon as lx
from .plan import BEATS_PER_BAR

_FLAGS = re.IGNORECASE
_WORDS = "|".join(w for ws in lx.SCOPE_WORDS.values() for w in ws)
_ORDINAL = re.compile(lx.ORDINAL_RE.format(_WORDS), _FLAGS)
_EXCEPT = re.compile(
    rf"\b(?:{lx.EXCEPTION_ALT}|not)\s+(?:(?:in|on|during|for|at)\s+)?(?:the\s+)?"
    rf"(?:(?:first|last|final|second)\s+)?(?:{_WORDS})\b(?:\s*(?:,|and|or)\s*(?:the\s+)?(?:{_WORDS})\b)*",
    _FLAGS)
_NUM = r"(\d{1,3}|one|two|three|four|five|six|eight|twelve|sixteen|thirty-two|thirty two)"
_NUMS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "twelve": 12, "sixteen": 16,
         "thirty-two": 32, "thirty two": 32}
# Bar ranges, counted from 1 as musicians count: (pattern, (first bar index, end index or None) from the numbers).
BAR_SCOPES: list[tuple[re.Pattern, Callable[..., tuple[int, int | None]]]] = [
    (re.compile(rf"\bbars?\s+{_NUM}\s*(?:-|to|through|till|until|\u2013)\s*{_NUM}\b", _FLAGS),
     lambda a, b: (a - 1, b)),
    (re.compile(rf"\b(?:the\s+)?(?:first|opening)\s+{_NUM}\s+bars?\b", _FLAGS), lambda n: (0, n)),
    (re.compile(rf"\b(?:the\s+)?(?:last|final|closing)\s+{_NUM}\s+bars?\b", _FLAGS), lambda n: (-n, None)),
    (re.compile(rf"\b(?:for|during|over)\s+(?:the\s+)?{_NUM}\s+bars?\b", _FLAGS), lambda n: (0, n)),
    (re.compile(rf"\b(?:from|starting\s+(?:at|from|on)|at|on)\s+bar\s+{_NUM}\b(?:\s+on(?:wards?)?\b)?", _FLAGS),
     lambda n: (n - 1, None)),
    (re.compile(rf"\b(?:after)\s+bar\s+{_NUM}\b", _FLAGS), lambda n: (n, None)),
    (re.compile(rf"\b(?:until|till|til|up\s+to|before)\s+bar\s+{_NUM}\b", _FLAGS), lambda n: (0, n - 1)),
]
# "except the last one", "but not the first": one section of the scope's own labels stays out.
_EXCEPT_NTH = re.compile(
    rf"\b(?:{lx.EXCEPTION_ALT}|but|not)\s+(?:for\s+)?(?:(?:in|on|during)\s+)?the\s+"
    rf"(?P<which>first|1st|second|2nd|last|final)\s+(?P<what>one|{_WORDS})\b", _FLAGS)
_ORDINALS = {"first": "first", "1st": "first", "opening": "first", "second": "second", "2nd": "second",
             "last": "last", "final": "last", "closing": "last"}


@dataclass(frozen=True)
class Scope:
    """None labels = the whole remix. `which` narrows to the first/second/last
    section of `which_labels`, or to the sections before, after, from or
    through the first of them; `exclude` removes labels ("except the bridge")."""

    labels: frozenset[str] | None = None
    which: str | None = None  # first | second | last | before | after | from | through
    which_labels: frozenset[str] = frozenset()
    exclude: frozenset[str] = field(default_factory=frozenset)
    anchor: str = "first"  # which of the labels before/after/from/through counts from: first | second | last
    bars: tuple[int, int | None] | None = None  # bar range of the mashup (0-based, end exclusive; < 0: from the end)
    except_nth: tuple[str, str | None] | None = None  # (first|second|last, label or None): that one stays out

    def describe(self) -> str:
        but = f" except the {'/'.join(sorted(self.exclude))}" if self.exclude else ""
        if self.except_nth:
            but += f" except the {self.except_nth[0]} {self.except_nth[1] or 'one'}"
        if self.bars is not None:
            lo, hi = self.bars
            where = (f"the last {-lo} bars" if lo < 0 else f"bars {lo + 1}-{hi}" if hi is not None
                     else f"bar {lo + 1} on")
            but = f" in the sections covering {where}" + but
        if self.labels is None:
            return ("throughout" + but) if self.bars is None else but.lstrip()
        names = "/".join(sorted(self.labels))
        if self.which == "before":
            return f"before the {self.anchor} {names}{but}"
        if self.which == "after":
            return f"after the {self.anchor} {names}{but}"
        if self.which == "through":
            return f"up to and including the {self.anchor} {names}{but}"
        if self.which == "from":
            return f"from the {self.anchor} {names} on{but}"
        if self.which:
            rest = "/".join(sorted(self.labels - self.which_labels))
            picked = f"the {self.which} {'/'.join(sorted(self.which_labels))}"
            return f"in {picked}" + (f" and the {rest} sections" if rest else "") + but
        return f"in the {names} sections{but}"

    @property
    def narrowed(self) -> bool:
        """It names something less than the whole remix."""
        return bool(self.labels or self.exclude or self.bars is not None or self.except_nth)

    def without(self, labels) -> Scope:
        return replace(self, exclude=self.exclude | frozenset(labels))


WHOLE = Scope()


def labels_in(text: str) -> set[str]:
    return {label for label, pat in lx.SCOPE_RE.items() if re.search(pat, text, _FLAGS)}


def bar_range(text: str) -> tuple[tuple[int, int | None] | None, str]:
    """The bar range a stretch names, and the text with it blanked."""
    for pattern, make in BAR_SCOPES:
        m = pattern.search(text)
        if m:
            numbers = [int(_NUMS.get(g.lower(), g)) for g in m.groups() if g]
            lo, hi = make(*numbers)
            if hi is not None and hi <= max(lo, 0):
                continue
            return (lo, hi), text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return None, text


def parse_scope(text: str) -> Scope:
    """The scope a stretch of one clause names (WHOLE when it names none)."""
    bars, text = bar_range(text)
    nth = _EXCEPT_NTH.search(text)
    what = labels_in(nth.group("what")) if nth else set()
    except_nth = (_ORDINALS[nth.group("which").lower()], min(what) if what else None) if nth else None
    if nth:
        text = text[:nth.start()] + " " * (nth.end() - nth.start()) + text[nth.end():]
    scope = _parse_labels(text)
    if bars is not None or except_nth:
        scope = replace(scope, bars=bars, except_nth=except_nth)
    return scope


def _parse_labels(text: str) -> Scope:
    excluded: set[str] = set()
    for ex in _EXCEPT.finditer(text):
        excluded |= labels_in(ex.group())
        text = text[:ex.start()] + " " * (ex.end() - ex.start()) + text[ex.end():]
    labels = labels_in(text)
    if not labels:
        return Scope(exclude=frozenset(excluded)) if excluded else WHOLE
    m = _ORDINAL.search(text)
    before = re.search(r"\b(?:until|till|til|before|up to)\b", text, _FLAGS)
    after = re.search(r"\b(?:after|once|following)\b", text, _FLAGS)
    onwards = re.search(r"\bfrom\b.*\b(?:on|onwards?|to the end)\b", text, _FLAGS)
    for word, hit in (("before", before), ("after", after), ("from", onwards)):
        if hit:
            anchor = _ORDINALS[m.group("which").lower()] if m else "first"
            return Scope(frozenset(labels), word, frozenset(labels), frozenset(excluded), anchor)
    if m:
        narrowed = labels_in(m.group("what")) or set()
        return Scope(frozenset(labels), _ORDINALS[m.group("which").lower()], frozenset(narrowed),
                     frozenset(excluded))
    return Scope(frozenset(labels), exclude=frozenset(excluded))


def pick(scope: Scope, sections: list[dict]) -> list[dict]:
    """The sections (plan dicts with a "label") a scope picks, in order."""
    chosen = _pick_labels(scope, sections)
    if scope.bars is not None and sections:
        chosen = [s for s in chosen if any(s is c for c in covering(scope.bars, sections))]
    if scope.except_nth:
        which, label = scope.except_nth
        among = [s for s in chosen if label is None or s["label"] == label]
        index = {"first": 0, "second": 1, "last": -1}[which]
        if len(among) > max(index, 0):
            chosen = [s for s in chosen if s is not among[index]]
    return chosen


def covering(bars: tuple[int, int | None], sections: list[dict]) -> list[dict]:
    """The sections that cover a bar range of the mashup (bars from its first)."""
    start, end = sections[0]["start_beat"], sections[-1]["end_beat"]
    lo, hi = bars
    lo_beat = end + lo * BEATS_PER_BAR if lo < 0 else start + lo * BEATS_PER_BAR
    hi_beat = end if hi is None else start + hi * BEATS_PER_BAR
    return [s for s in sections if s["start_beat"] < hi_beat and s["end_beat"] > lo_beat]


def _pick_labels(scope: Scope, sections: list[dict]) -> list[dict]:
    if scope.labels is None:
        chosen = list(sections)
    else:
        hits = [s for s in sections if s["label"] in scope.labels]
        if scope.which in ("before", "after", "from", "through"):
            picked = hits[{"first": slice(0, 1), "second": slice(1, 2), "last": slice(-1, None)}[scope.anchor]]
            if not picked:
                return []
            first = next(i for i, s in enumerate(sections) if s is picked[0])
            chosen = {"before": sections[:first], "after": sections[first + 1:],
                      "from": sections[first:], "through": sections[:first + 1]}[scope.which]
        elif scope.which in ("first", "second", "last"):
            narrowed = [s for s in hits if s["label"] in scope.which_labels]
            index = {"first": slice(0, 1), "second": slice(1, 2), "last": slice(-1, None)}[scope.which]
            picked = narrowed[index]
            chosen = [s for s in hits if s["label"] not in scope.which_labels
                      or any(s is p for p in picked)]
        else:
            chosen = hits
    return [s for s in chosen if s["label"] not in scope.exclude]


def missing_labels(scope: Scope, labels_present: set[str]) -> set[str]:
    """Labels a scope names that the layout does not have."""
    named = set(scope.labels or ()) | set(scope.which_labels)
    return named - labels_present
