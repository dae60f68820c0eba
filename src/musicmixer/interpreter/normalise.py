"""Bring a prompt to the English the reader matches: accents and emoji
dropped, simple Spanish, German and French requests translated word by word
(only when the prompt carries words of that language), shorthand rewritten
("drumless", "everything but", "dont"), and misspellings of lexicon words
corrected. Typos are measured against the lexicon's own words only (not a
dictionary): a word within one edit (two from a stem name such as
"vocles" for "vocals"; adjacent swaps count as one) of exactly one lexicon word
becomes that word; common English words are never corrected.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from . import lexicon as lx

MAX_TYPO_WORDS = 200  # distinct words examined per prompt; bounds the cost of a huge prompt
_NUMBERED = re.compile(r"\b(verse|chorus|drop|breakdown|bridge)\s+(1|2|one|two)\b(?!\s*(?:bars?|beats?|min|sec|s\b))",
                       re.IGNORECASE)  # "verse 2" -> "second verse"
_NTH = {"1": "first", "one": "first", "2": "second", "two": "second"}
_TOKEN = re.compile(r"(?<![\w'])[A-Za-z]+(?![\w'])")


def _vocabulary() -> frozenset[str]:
    phrases: list[str] = list(lx.STEM_PHRASES)
    for group in ("prefix_actions", "postfix_actions", "scope_words", "moods", "lengths", "amounts", "effects"):
        for words in lx.DATA[group].values():
            phrases += words
    phrases += lx.DATA["negators"] + lx.DATA["exceptions"] + lx.DATA["vocal_cues"]
    phrases += lx.DATA["instrumental_cues"] + lx.DATA["over_words"] + lx.DATA["interjections"]
    phrases += ["the", "from", "with", "without", "song", "track", "first", "second", "only", "just",
                "version", "please", "intro", "outro", "verses", "except", "everything"]
    return frozenset(w for p in phrases for w in re.findall(r"[a-z]+", p.lower()) if len(w) >= 3)


VOCABULARY = _vocabulary()
_STEM_WORDS = frozenset(w for p in lx.STEM_PHRASES for w in re.findall(r"[a-z]+", p) if len(w) >= 4)
_BY_START: dict[tuple[int, str], list[str]] = {}  # (length, first letter) -> words
for _w in VOCABULARY:
    _BY_START.setdefault((len(_w), _w[0]), []).append(_w)


def strip_marks(text: str) -> str:
    """Accents off, curly quotes straight, symbols (emoji) and control characters out."""
    return _strip_marks_mapped(text)[0]


Spans = list[tuple[int, int]]  # for each character of a normalised text: the span of the prompt it came from


def _strip_marks_mapped(text: str) -> tuple[str, Spans]:
    out: list[str] = []
    spans: Spans = []
    for i, original in enumerate(text):
        ch = original.replace("\u2019", "'").replace("\u2018", "'")
        for part in unicodedata.normalize("NFKD", ch):
            cat = unicodedata.category(part)
            if cat == "Mn":
                continue
            out.append(" " if cat in ("So", "Sk", "Cc", "Cf", "Cs", "Co") and part not in "\n" else part)
            spans.append((i, i + 1))
    return "".join(out), spans


def _sub(pattern: re.Pattern, repl, text: str, spans: Spans) -> tuple[str, Spans]:
    """`pattern.sub(repl, text)` that keeps, for each character, the prompt span it came from
    (a replacement's characters all stand for the span of what it replaced)."""
    out: list[str] = []
    mapped: Spans = []
    pos = 0
    for m in pattern.finditer(text):
        if m.end() == m.start():
            continue
        out.append(text[pos:m.start()])
        mapped += spans[pos:m.start()]
        new = repl(m)
        out.append(new)
        mapped += [(spans[m.start()][0], spans[m.end() - 1][1])] * len(new)
        pos = m.end()
    out.append(text[pos:])
    mapped += spans[pos:]
    return "".join(out), mapped


def original_words(prompt: str, spans: Spans, start: int, end: int) -> str:
    """The prompt's own words behind characters start..end of its normalised text."""
    inside = spans[start:end]
    if not inside:
        return ""
    return " ".join(prompt[min(a for a, _ in inside):max(b for _, b in inside)].split())


def _words_re(words) -> re.Pattern:
    keys = sorted(words, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w'])", re.IGNORECASE)


_MARKERS = {lang: _words_re(table["markers"]) for lang, table in lx.TRANSLATIONS.items()}
_PHRASES = {lang: _words_re(table["phrases"]) for lang, table in lx.TRANSLATIONS.items()}
_REWRITES = _words_re(lx.REWRITES)


def languages(text: str) -> list[str]:
    """Languages (es/de/fr) whose marker words the prompt uses."""
    return [lang for lang, pattern in _MARKERS.items() if pattern.search(text)]


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (adjacent swaps cost 1), cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []  # the row before prev (read from i > 1 on)
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=4096)
def correction(word: str, extra: frozenset[str] = frozenset()) -> str | None:
    """The lexicon word a misspelt `word` stands for, or None."""
    low = word.lower()
    if len(low) < 3 or low in VOCABULARY or low in extra or low in lx.NOT_TYPOS:
        return None
    limit = 2 if len(low) >= 5 else 1
    found: list[tuple[int, str]] = []
    starts = {low[0], low[1]}  # a slip of the first letter is rare; a swap of the first two is not
    for length in range(len(low) - limit, len(low) + limit + 1):
        for cand in (c for first in starts for c in _BY_START.get((length, first), ())):
            if len(low) == 3 and not (cand[0] == low[0] and (len(cand) == 4 or sorted(cand) == sorted(low))):
                continue  # three letters: only a missing letter after the first, or a swap
            if cand[0] != low[0] and cand[:2] != low[1::-1]:
                continue
            d = _osa(low, cand, limit)
            if d == 1 or (d == 2 and cand[0] == low[0] and abs(len(cand) - len(low)) <= 1
                          and len(low) >= 5 and cand in _STEM_WORDS):
                found.append((d, cand))
    if not found:
        return None
    rank = {c: (d, abs(len(c) - len(low))) for d, c in found}  # a swap or slip before a missing letter
    nearest = min(rank.values())
    tied = sorted(c for c in rank if rank[c] == nearest)
    meanings = {lx.STEM_PHRASES.get(c, c) for c in tied}
    if len(meanings) > 1:  # two lexicon words as close: no guess
        return None
    return tied[0]


def normalise(text: str, known_words: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """(the text to read, notes on what was translated or corrected).
    `known_words` (song titles, artists) are never corrected."""
    out, notes, _ = normalise_mapped(text, known_words)
    return out, notes


def normalise_mapped(text: str, known_words: frozenset[str] = frozenset()) -> tuple[str, list[str], Spans]:
    """`normalise`, and for each character of its result the span of `text` it
    came from, so that explanations can quote the user's own words."""
    notes: list[str] = []
    text, spans = _strip_marks_mapped(text)
    for lang in languages(text):
        table = lx.TRANSLATIONS[lang]["phrases"]
        text, spans = _sub(_PHRASES[lang], lambda m, t=table: t[m.group().lower()], text, spans)
        notes.append({"es": "read as Spanish", "de": "read as German", "fr": "read as French"}[lang])
    text, spans = _sub(_REWRITES, lambda m: lx.REWRITES[m.group().lower()], text, spans)
    text, spans = _sub(_NUMBERED, lambda m: f"{_NTH[m.group(2).lower()]} {m.group(1)}", text, spans)
    fixed: dict[str, str | None] = {}
    for m in _TOKEN.finditer(text):
        word = m.group()
        if word.lower() not in fixed and len(fixed) < MAX_TYPO_WORDS:
            fixed[word.lower()] = correction(word, known_words)
    changes = {w: c for w, c in fixed.items() if c}
    if changes:
        text, spans = _sub(_TOKEN, lambda m: changes.get(m.group().lower(), m.group()), text, spans)
        notes.append("read " + ", ".join(f'"{w}" as "{c}"' for w, c in list(changes.items())[:6]))
    return text, notes, spans
