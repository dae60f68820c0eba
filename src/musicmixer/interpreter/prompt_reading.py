"""Read a remix prompt without an LLM (step 4, offline planner).

The prompt is cut into clauses; in each clause we look for stem wishes
("no drums", "piano only", "heavy bass"), backing-vocal wishes ("choir",
"strip the harmonies", "raw verses"), mood, length, and mentions of the two
songs (by position, letter or a title/artist word) next to a cue that says
which one sings. Every clause that matched nothing is reported as ignored, so
the plan's explanation can say what was and was not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import lexicon as lx

MAX_PROMPT_CHARS = 4000
MAX_CLAUSES = 120
_FLAGS = re.IGNORECASE
_CLAUSE_SPLIT = re.compile(r"[.;!?\n\r,:()\[\]{}]+|\s+(?:but|then|while|whereas|also)\s+", _FLAGS)
_WORD = re.compile(r"[\w'’-]+")
_SCOPE_WORD = "|".join(w for words in lx.SCOPE_WORDS.values() for w in words)
# "and"/"then" that starts a new phrase rather than listing sections ("verse and chorus").
_NEW_PHRASE = re.compile(
    rf"\s(?:and|then|so|before|after)\s+(?!(?:the\s+|all\s+)?(?:last\s+|first\s+|final\s+)?(?:{_SCOPE_WORD})\b)",
    _FLAGS)


@dataclass(frozen=True)
class Scope:
    """Where a wish applies: None labels = the whole remix; `which` narrows
    to the first/last section of those labels, or the sections before them."""

    labels: frozenset[str] | None = None
    which: str | None = None  # "first" | "last" | "before"
    which_labels: frozenset[str] = frozenset()  # the labels `which` narrows ("last chorus")

    def describe(self) -> str:
        if self.labels is None:
            return "throughout"
        names = "/".join(sorted(self.labels))
        if self.which == "before":
            return f"before the first {names}"
        if self.which:
            rest = "/".join(sorted(self.labels - self.which_labels))
            picked = f"the {self.which} {'/'.join(sorted(self.which_labels))}"
            return f"in {picked}" + (f" and the {rest} sections" if rest else "")
        return f"in the {names} sections"


WHOLE = Scope()


@dataclass
class Wish:
    """A stem wish: `action` on lexicon `tokens` within `scope`."""

    action: str  # mute | feature | reduce | only | choir | raw | harmonies
    tokens: tuple[str, ...]
    scope: Scope
    phrase: str


@dataclass
class PromptReading:
    vocal_source: str | None = None  # "song_a" | "song_b" | None (not said)
    vocal_evidence: str = ""
    wishes: list[Wish] = field(default_factory=list)
    mood: str | None = None  # "chill" | "energetic"
    length: str | None = None  # "short" | "long"
    target_seconds: float | None = None
    target_bars: int | None = None
    ignored: list[str] = field(default_factory=list)
    truncated: bool = False


def read_prompt(prompt: str | None, analysis_a=None, analysis_b=None) -> PromptReading:
    """Everything the offline planner takes from the prompt."""
    text = prompt if isinstance(prompt, str) else ""
    reading = PromptReading(truncated=len(text) > MAX_PROMPT_CHARS)
    text = text[:MAX_PROMPT_CHARS]
    mentions = _song_mentions(text, analysis_a, analysis_b)
    clauses = _clauses(text)[:MAX_CLAUSES]
    for start, end in clauses:
        understood = _read_clause(text[start:end], reading)
        if any(m[0] < end and m[1] > start for m in mentions):
            understood = True
        clause = " ".join(text[start:end].split())
        if not understood and re.search(r"[^\W\d_]", clause):
            reading.ignored.append(clause[:80] + ("..." if len(clause) > 80 else ""))
    reading.vocal_source, reading.vocal_evidence = _vocal_source(text, mentions, clauses)
    return reading


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _matches(text: str, patterns: dict) -> list[tuple[int, int, Any, re.Match]]:
    """Non-overlapping matches of several patterns, longest first."""
    found = [(m.start(), m.end(), key, m) for key, pat in patterns.items()
             for m in re.finditer(pat, text, _FLAGS)]
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    kept: list = []
    for f in found:
        if all(f[1] <= k[0] or f[0] >= k[1] for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f[0])


def _blank(text: str, spans) -> str:
    chars = list(text)
    for start, end, *_ in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _read_clause(clause: str, reading: PromptReading) -> bool:
    patterns = {("pre", a): p for a, p in lx.PREFIX_RE.items()}
    patterns.update({("post", a): p for a, p in lx.POSTFIX_RE.items()})
    actions = _matches(clause, patterns)
    rest = _blank(clause, actions)
    understood = bool(actions)
    lead_scope = _scope(rest[: actions[0][0]]) if actions else WHOLE
    for i, (start, end, (_, action), match) in enumerate(actions):
        segment_end = actions[i + 1][0] if i + 1 < len(actions) else len(rest)
        cut = _NEW_PHRASE.search(rest, end, segment_end)
        scope = _scope(rest[start:cut.start() if cut else segment_end])
        tokens = tuple(dict.fromkeys(_stem_tokens(match.group("stems"))))
        reading.wishes.append(Wish(action, tokens, scope if scope.labels else lead_scope,
                                   " ".join(clause[start:end].split())))
    specials = _matches(rest, {"choir": lx.CHOIR_RE, "raw": lx.RAW_RE, "harmonies": lx.HARMONY_RE,
                               "acapella": lx.ACAPELLA_RE})
    for start, end, kind, _ in specials:
        scope = _scope(rest)
        if kind == "acapella":
            reading.wishes.append(Wish("only", (lx.VOCALS,), scope, clause[start:end]))
        elif scope.labels is None:
            scope = Scope(frozenset({"verse" if kind == "raw" else "chorus"}))
        if kind != "acapella":
            reading.wishes.append(Wish(kind, (lx.BACKING,), scope, clause[start:end]))
        understood = True
    rest = _blank(rest, specials)
    for _start, _end, mood, _ in _matches(rest, lx.MOOD_RE):
        reading.mood = reading.mood or mood
        understood = True
    understood |= _read_length(rest, reading)
    return understood


def _read_length(text: str, reading: PromptReading) -> bool:
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


def _stem_tokens(phrase: str) -> list[str]:
    found = _matches(phrase, {"stem": lx.STEM_RE})
    return [lx.STEM_PHRASES[phrase[s:e].lower()] for s, e, *_ in found
            if phrase[s:e].lower() in lx.STEM_PHRASES]


def _scope(text: str) -> Scope:
    labels = {label for label, pat in lx.SCOPE_RE.items() if re.search(pat, text, _FLAGS)}
    if not labels:
        return WHOLE
    words = "|".join(w for ws in lx.SCOPE_WORDS.values() for w in ws)
    m = re.search(lx.ORDINAL_RE.format(words), text, _FLAGS)
    if m:
        which = "first" if m.group("which").lower() in ("first", "1st", "opening") else "last"
        narrowed = _scope(m.group("what")).labels or frozenset()
        return Scope(frozenset(labels), which, narrowed)
    if re.search(r"\b(?:until|till|before)\b", text, _FLAGS):
        return Scope(frozenset(labels), "before", frozenset(labels))
    return Scope(frozenset(labels))


# --- which song sings -----------------------------------------------------

def _title_phrases(analysis) -> list[str]:
    phrases = []
    for raw in (getattr(analysis, "title", None), getattr(analysis, "artist", None)):
        if not raw:
            continue
        name = re.sub(r"\.\w{2,4}$", "", str(raw).lower())
        name = re.sub(r"[_\-.]+", " ", name)
        name = re.sub(r"^\s*\d+\s+", "", name)
        name = " ".join(re.sub(r"[^\w\s']", " ", name).split())
        for candidate in (name, re.sub(r"^the\s+", "", name)):
            if len(candidate) >= 3 and candidate not in lx.GENERIC_TITLE_WORDS:
                phrases.append(candidate)
    return list(dict.fromkeys(phrases))


def _song_mentions(text: str, analysis_a, analysis_b) -> list[tuple[int, int, str]]:
    """(start, end, song) for each mention, overlaps merged."""
    found = []
    for song, patterns, letter in (("song_a", lx.SONG_A_RE, lx.LETTER_A_RE),
                                   ("song_b", lx.SONG_B_RE, lx.LETTER_B_RE)):
        for pattern in patterns:
            found += [(m.start(), m.end(), song) for m in re.finditer(pattern, text, _FLAGS)]
        found += [(m.start(), m.end(), song) for m in re.finditer(letter, text)]
    titles_a, titles_b = _title_phrases(analysis_a), _title_phrases(analysis_b)
    for song, phrases, others in (("song_a", titles_a, titles_b), ("song_b", titles_b, titles_a)):
        for phrase in phrases:
            if phrase in others:
                continue
            pattern = r"(?<!\w)" + r"[\s_-]+".join(map(re.escape, phrase.split())) + r"(?!\w)"
            found += [(m.start(), m.end(), song) for m in re.finditer(pattern, text, _FLAGS)]
    found.sort()
    merged: list[list] = []
    for start, end, song in found:
        if merged and start < merged[-1][1] and merged[-1][2] == song:
            merged[-1][1] = max(merged[-1][1], end)
        elif not merged or start >= merged[-1][1]:
            merged.append([start, end, song])
    return [tuple(m) for m in merged]


def _vocal_source(text, mentions, clauses) -> tuple[str | None, str]:
    """Vote: a vocal cue near a song votes for it, an instrumental cue (or
    "over X") votes for the other one; the nearer the cue, the bigger the vote."""
    votes = {"song_a": 0.0, "song_b": 0.0}
    evidence = {"song_a": "", "song_b": ""}
    words = [(m.start(), m.end(), m.group().lower().replace("’", "'")) for m in _WORD.finditer(text)]
    for start, end, song in mentions:
        other = "song_b" if song == "song_a" else "song_a"
        clause = next(((s, e) for s, e in clauses if s <= start < e), (start, end))
        inside = [w for w in words if clause[0] <= w[0] < clause[1]]
        before = [w for w in inside if w[1] <= start][::-1]
        after = [w for w in inside if w[0] >= end]
        role, distance = _nearest_cue(before, after, mentions, song)
        if role is None:
            continue
        target = song if role == "vocal" else other
        weight = 1.0 / distance
        votes[target] += weight
        if not evidence[target]:
            evidence[target] = " ".join(text[clause[0]:clause[1]].split())[:80]
    if votes["song_a"] == votes["song_b"]:
        return None, ""
    winner = max(votes, key=votes.__getitem__)
    return winner, evidence[winner]


def _nearest_cue(before, after, mentions, song):
    skip = {"the", "song", "track", "tune", "'s", "s", "of", "from", "by", "a", "b", "its", "and", "top"}
    for i, w in enumerate(before[:3]):
        if w[2] in lx.OVER_WORDS and all(x[2] in skip for x in before[:i]):
            return "instrumental", 0.5
    best: tuple[str | None, int] = (None, 99)
    for side in (after[:5], before[:5]):
        for distance, w in enumerate(side, start=1):
            if any(m[0] <= w[0] < m[1] for m in mentions):
                break  # another song's mention: its cues are its own
            word = re.sub(r"'s$", "", w[2])
            role = ("vocal" if word in lx.VOCAL_CUES else
                    "instrumental" if word in lx.INSTRUMENTAL_CUES else None)
            if role and distance < best[1]:
                best = (role, distance)
                break
    return best
