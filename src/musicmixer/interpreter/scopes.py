"""Where a wish applies: which sections of the plan a phrase like "in the
verses", "the last chorus", "until the drop", "after the first chorus",
"from the bridge on" or "except the bridge" names, and the sections of a
laid-out plan that scope picks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import lexicon as lx

_FLAGS = re.IGNORECASE
_WORDS = "|".join(w for ws in lx.SCOPE_WORDS.values() for w in ws)
_ORDINAL = re.compile(lx.ORDINAL_RE.format(_WORDS), _FLAGS)
_EXCEPT = re.compile(
    rf"\b(?:{lx.EXCEPTION_ALT}|not)\s+(?:(?:in|on|during|for|at)\s+)?(?:the\s+)?"
    rf"(?:(?:first|last|final|second)\s+)?(?:{_WORDS})\b(?:\s*(?:,|and|or)\s*(?:the\s+)?(?:{_WORDS})\b)*",
    _FLAGS)
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

    def describe(self) -> str:
        but = f" except the {'/'.join(sorted(self.exclude))}" if self.exclude else ""
        if self.labels is None:
            return "throughout" + but
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

    def without(self, labels) -> Scope:
        return replace(self, exclude=self.exclude | frozenset(labels))


WHOLE = Scope()


def labels_in(text: str) -> set[str]:
    return {label for label, pat in lx.SCOPE_RE.items() if re.search(pat, text, _FLAGS)}


def parse_scope(text: str) -> Scope:
    """The scope a stretch of one clause names (WHOLE when it names none)."""
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
