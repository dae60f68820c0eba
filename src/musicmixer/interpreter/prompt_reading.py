"""Read a remix prompt without an LLM (step 4, offline planner).

The prompt is normalised (`normalise`: languages, shorthand, typos), cut
into clauses, and each clause read on its own (`clauses`): stem wishes with
their negation, exception, section scope and amount resolved inside the
clause, backing-vocal wishes ("choir", "raw verses"), mood and length.
Which song sings comes from `song_refs`. Every clause is kept, quoted in
the user's own words (not the normalised text), with how it was read, so
the plan's explanation can list each as applied, ignored or conflicting.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lexicon as lx
from .clauses import Wish, read_clause
from .normalise import normalise_mapped, original_words
from .scopes import WHOLE, Scope, bar_range, parse_scope
from .song_refs import choose_singer, title_phrases

__all__ = ["WHOLE", "Clause", "PromptReading", "Scope", "Wish", "parse_scope", "read_prompt"]

MAX_PROMPT_CHARS = 4000
MAX_CLAUSES = 120
_FLAGS = re.IGNORECASE
_CLAUSE_SPLIT = re.compile(r"[.;!?\n\r,()\[\]{}]+|:(?!\s*\w+\s*(?:[,;.]|$))|\s+(?:but|then|while|whereas|also|"
                           r"actually|instead)\s+", _FLAGS)


@dataclass
class Clause:
    """One clause as written (after normalising) and how it was read."""

    index: int
    text: str
    read_as: str = ""  # "wishes" | "modifier" | "interjection" | "song" | "mood" | "" (not understood)


@dataclass
class PromptReading:
    vocal_source: str | None = None  # "song_a" | "song_b" | None (not said)
    vocal_evidence: str = ""
    vocal_notes: list[str] = field(default_factory=list)  # pronouns, guesses, overridden clauses
    wishes: list[Wish] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    mood: str | None = None  # "chill" | "energetic"
    length: str | None = None  # "short" | "long"
    target_seconds: float | None = None
    target_bars: int | None = None
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # translation and typo corrections
    truncated: bool = False


def read_prompt(prompt: str | None, analysis_a=None, analysis_b=None) -> PromptReading:
    """Everything the offline planner takes from the prompt."""
    text = prompt if isinstance(prompt, str) else ""
    reading = PromptReading(truncated=len(text) > MAX_PROMPT_CHARS)
    known = frozenset(w for a in (analysis_a, analysis_b) for p in title_phrases(a) for w in p.split())
    said = text[:MAX_PROMPT_CHARS]
    text, reading.notes, origin = normalise_mapped(said, known)
    spans = _clauses(text)[:MAX_CLAUSES]
    choice, mentions = choose_singer(text, spans, analysis_a, analysis_b)
    previous: list[Wish] = []
    for index, (start, end) in enumerate(spans):
        clause_text = text[start:end]
        songs = [(m[0] - start, m[1] - start) for m in mentions if m[0] < end and m[1] > start]
        wishes, read_as, rest = read_clause(clause_text, index, previous, songs)
        for w in wishes:
            w.order = len(reading.wishes)
            w.phrase = _own_words(w.phrase, text, start, end, said, origin)
            reading.wishes.append(w)
        if _read_extras(rest, reading):
            read_as = read_as or "mood"
        if start in choice.deciding and not read_as:
            read_as = "song"
        clause = original_words(said, origin, start, end)  # quoted in the user's own words
        reading.clauses.append(Clause(index, clause[:80] + ("..." if len(clause) > 80 else ""), read_as))
        if not read_as and re.search(r"[^\W\d_]", clause):
            reading.ignored.append(reading.clauses[-1].text)
        if wishes:
            previous = wishes
    reading.vocal_source = choice.song
    reading.vocal_evidence = _own_words(choice.evidence, text, 0, len(text), said, origin)
    reading.vocal_notes = choice.notes
    return reading


def _own_words(phrase: str, text: str, start: int, end: int, said: str, origin) -> str:
    """A phrase of the normalised text (within start..end) in the user's own words,
    or the phrase itself when it is not found there as written."""
    words = phrase.split()
    if not words:
        return phrase
    m = re.compile(r"\s+".join(re.escape(w) for w in words), _FLAGS).search(text, start, end)
    return original_words(said, origin, m.start(), m.end()) if m else phrase


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _read_extras(text: str, reading: PromptReading) -> bool:
    """Mood and length words of a clause."""
    understood = False
    for mood, pattern in lx.MOOD_RE.items():
        if re.search(pattern, text, _FLAGS):
            reading.mood = reading.mood or mood
            understood = True
            break
    return _read_length(text, reading) or understood


def _read_length(text: str, reading: PromptReading) -> bool:
    while True:  # "for the first 8 bars", "from bar 9" say where, not how long
        bars, text = bar_range(text)
        if bars is None:
            break
    for unit, pattern in lx.DURATION_RE.items():
        m = re.search(pattern, text, _FLAGS)
        if m:
            raw = m.group("n").lower()
            n = float(lx.WORD_NUMBERS.get(raw, raw))
            if n <= 0 or reading.target_bars or reading.target_seconds:
                return n > 0  # the first length said wins
            if unit == "bars":
                reading.target_bars = int(n)
            else:
                reading.target_seconds = n * float(unit)
            return True
    for length, pattern in lx.LENGTH_RE.items():
        if re.search(pattern, text, _FLAGS):
            reading.length = reading.length or length
            return True
    return False
