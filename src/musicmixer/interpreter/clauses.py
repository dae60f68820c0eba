"""One clause of a prompt -> stem wishes, with the scope of negation,
exception, section and amount resolved inside the clause.

Rules (each has a test in tests/test_interpreter_clauses.py):
- negation: a negator ("don't", "never", "not", "no need to") between the
  previous action of the clause and this one turns the action round:
  "don't remove the bass" keeps the bass, "don't boost the bass" keeps it as
  planned, "don't keep the drums" mutes them;
- exceptions: "everything except/but X" mutes X ("keep everything except
  the drums"), "mute everything except X" keeps only X, "no X except in the
  chorus" mutes X outside the chorus, "X everywhere except the bridge" mutes
  X in the bridge, "nothing but X" is "only X";
- a clause with a scope but no stem modifies the clause before it: "not in
  the chorus" takes the chorus out of its scope, "only in the verses" after
  a negated clause applies the positive action there ("don't lose the drums
  in the chorus, only in the verses"), otherwise it narrows the scope;
- pronouns "them"/"those" stand for the stems of the clause before;
- amounts: "a bit" (x0.8 down, x1.15 up), "way"/"much" (x0.25 down, x2 up, to
  at most full gain),
  dB and percentages scale the planned gain; "X at 50%" sets half of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from . import lexicon as lx
from .scopes import WHOLE, Scope, parse_scope

_FLAGS = re.IGNORECASE
_SCOPE_WORD = "|".join(w for words in lx.SCOPE_WORDS.values() for w in words)
# "and"/"then" that starts a new phrase rather than listing sections ("verse and chorus").
_NEW_PHRASE = re.compile(
    rf"\s(?:and|then|so|before|after)\s+(?!(?:the\s+|all\s+)?(?:last\s+|first\s+|final\s+)?(?:{_SCOPE_WORD})\b)",
    _FLAGS)
_NEGATED = {"mute": "keep", "reduce": "keep", "feature": "keep", "change": "keep", "keep": "mute",
            "only": "keep"}
_MUTE_VERB = re.compile(lx.MUTE_VERB_RE, _FLAGS)
_AT_PERCENT = re.compile(rf"\b(?P<stems>{lx.STEM_LIST_RE})\s+(?:at|to)\s+{lx.PERCENT_RE}", _FLAGS)
# "guitar only comes in after the first chorus", "bring in the drums at the chorus", "drums in from the chorus"
_COMES_IN = re.compile(
    rf"(?:\b(?:bring|brings|bringing|let)\s+(?:in\s+)?{lx.FILLER_RE}(?P<stems>{lx.STEM_LIST_RE})\s+(?:in\s+)?"
    rf"|\b(?P<stems2>{lx.STEM_LIST_RE})\s+(?:only\s+)?(?:(?:comes?|kicks?|drops?|come|coming)\s+)?in\s+)"
    r"(?P<when>after|at|on|from|with|for|in)\b", _FLAGS)
_SILENCE = re.compile(r"\b(?:total silence|complete silence|dead silence|silence|silent)\b", _FLAGS)
_BARE = {"mute": r"\b(?:out|off|muted|removed|gone)\b", "feature": r"\b(?:louder|harder|heavier|up|more)\b",
         "reduce": r"\b(?:quieter|softer|lower|down|less)\b"}
_ONLY = re.compile(r"\b(?:only|just|solely)\b", _FLAGS)
_FROM_SONG = re.compile(r"\s+(?:from|of|off|by)\b", _FLAGS)
_LEAVE_ALONE = re.compile(rf"\b(?:leave|let)\s+{lx.FILLER_RE}(?P<stems>{lx.STEM_LIST_RE})\s+(?:alone|be|as is)\b",
                          _FLAGS)
_NO_BEFORE = re.compile(r"\b(?:no|not too|not so)\s*$", _FLAGS)  # "no heavy drums", "not too loud bass"
_NOT_STEMS = re.compile(rf"^\W*(?:but\s+)?not\s+{lx.FILLER_RE}{lx.STEM_LIST_RE}\W*$", _FLAGS)
# "keep the bass from track one really loud": a keep that says how is a feature or a cut
_KEEP_HOW = {"feature": re.compile(r"\b(?:loud|louder|heavy|heavier|big|bigger|prominent|up front|upfront|"
                                   r"pumping|cranked|fat|punchy|huge|strong)\b", _FLAGS),
             "reduce": re.compile(r"\b(?:quiet|quieter|low|soft|softer|subtle|in the background|down|gentle)\b",
                                  _FLAGS)}

CHOIR_RE, RAW_RE, HARMONY_RE, ACAPELLA_RE = lx.CHOIR_RE, lx.RAW_RE, lx.HARMONY_RE, lx.ACAPELLA_RE
INSTRUMENTAL_ONLY_RE = (r"^\W*(?:(?:just|only|make it|an?|the|give me)\s+)*instrument(?:al)?s?"
                        r"(?:\s+(?:version|mix|edit|only|please))*"
                        r"(?:\s+(?:of|for)\s+(?:the\s+|this\s+)?(?:mashup|remix|mix|track|song|it))?\W*$")


@dataclass
class Wish:
    """A stem wish: `action` on lexicon `tokens` within `scope`."""

    action: str  # mute | feature | reduce | only | keep | choir | raw | harmonies
    tokens: tuple[str, ...]
    scope: Scope
    phrase: str
    clause: int = 0
    factor: float | None = None  # how much: a gain multiplier; None = the planner's default
    positive: str | None = None  # the action a negation turned round ("don't remove" -> "mute")
    order: int = 0  # position of the wish in the prompt (conflicts: the later wins)


def _compiled(pattern) -> re.Pattern:
    return pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, _FLAGS)


# Compiled once: these alternations are large, and re's own cache holds only 512 patterns.
_ACTIONS = {("pre", a): _compiled(p) for a, p in lx.PREFIX_RE.items()}
_ACTIONS.update({("post", a): _compiled(p) for a, p in lx.POSTFIX_RE.items()})
_STEM = {"stem": _compiled(lx.STEM_RE)}
_EVERYTHING_BUT = _compiled(lx.EVERYTHING_BUT_RE)
_NEGATOR = _compiled(lx.NEGATOR_RE)


def _matches(text: str, patterns: dict) -> list[tuple[int, int, Any, re.Match]]:
    """Non-overlapping matches, actions that change a gain before "keep", longest first."""
    found = [(m.start(), m.end(), key, m) for key, pat in patterns.items()
             for m in _compiled(pat).finditer(text)]
    found.sort(key=lambda f: (isinstance(f[2], tuple) and f[2][1] == "keep", -(f[1] - f[0]), f[0]))
    kept: list = []
    for f in found:
        if all(f[1] <= k[0] or f[0] >= k[1] for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f[0])


def blank(text: str, spans) -> str:
    chars = list(text)
    for start, end, *_ in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def stem_tokens(phrase: str, previous: tuple[str, ...] = ()) -> tuple[str, ...]:
    found = _matches(phrase, _STEM)
    tokens: list[str] = []
    for s, e, *_ in found:
        token = lx.STEM_PHRASES.get(phrase[s:e].lower())
        if token == lx.THEM:
            tokens += previous
        elif token:
            tokens.append(token)
    return tuple(dict.fromkeys(tokens))


def amount(text: str, action: str) -> float | None:
    """The gain multiplier an amount in `text` asks for (None: the default)."""
    m = re.search(lx.DB_RE, text, _FLAGS)
    if m:
        db = abs(float(m.group("db")))
        return 10 ** (-db / 20) if action == "reduce" else 10 ** (db / 20)
    m = re.search(lx.PERCENT_RE, text, _FLAGS)
    if m:
        pct = float(m.group("pct")) / 100
        if re.search(r"\b(?:at|to)\s+\d", text, _FLAGS):
            return pct
        return max(0.0, 1 - pct) if action == "reduce" else 1 + pct
    if re.search(lx.AMOUNT_RE["small"], text, _FLAGS):
        return 0.8 if action == "reduce" else 1.15
    if re.search(lx.AMOUNT_RE["large"], text, _FLAGS):
        return 0.25 if action == "reduce" else 2.0  # "way louder": up to full gain
    return None


def read_clause(clause: str, index: int, previous: list[Wish], songs: list[tuple[int, int]]
                ) -> tuple[list[Wish], str, str]:
    """Wishes of one clause, how it was read ("wishes", "modifier": it changed
    the previous clause's wishes, "interjection", or "": no wish), and the
    clause with the words those wishes used blanked out (for mood and length).
    `songs` are the spans of song mentions in the clause."""
    has_song = bool(songs)
    words = clause.lower().split()
    if words and " ".join(words).strip(" .!?") in lx.INTERJECTIONS:
        return [], "interjection", ""
    prev_tokens = tuple(t for w in previous for t in w.tokens)
    wishes: list[Wish] = []
    text = clause
    # "everything except the drums" / "mute everything except the vocals"
    for m in _EVERYTHING_BUT.finditer(text):
        tokens = stem_tokens(m.group("stems"), prev_tokens)
        action = "only" if _MUTE_VERB.search(text[:m.start()]) else "mute"
        wishes.append(Wish(action, tokens, parse_scope(text[m.end():]), " ".join(text.split()), index))
        verbs = [(v.start(), v.end()) for v in _MUTE_VERB.finditer(text[:m.start()])]
        text = blank(text, [(m.start(), m.end()), *verbs])
    for m in _AT_PERCENT.finditer(text):
        pct = float(m.group("pct")) / 100
        wishes.append(Wish("reduce" if pct <= 1 else "feature", stem_tokens(m.group("stems"), prev_tokens),
                           parse_scope(blank(text, [(m.start(), m.end())])), m.group(), index, factor=pct))
        text = blank(text, [(m.start(), m.end())])
    for m in _LEAVE_ALONE.finditer(text):  # "leave the drums alone" keeps them
        wishes.append(Wish("keep", stem_tokens(m.group("stems"), prev_tokens), parse_scope(text[m.end():]),
                           m.group(), index))
        text = blank(text, [(m.start(), m.end())])
    for m in _COMES_IN.finditer(text):
        scope = parse_scope(text[m.start("when"):])
        if scope.bars is not None and scope.bars[0] > 0 and scope.labels is None:
            # "bring the drums in from bar 9": out before that bar
            wishes.append(Wish("mute", stem_tokens(m.group("stems") or m.group("stems2"), prev_tokens),
                               Scope(bars=(0, scope.bars[0])), " ".join(text[m.start():].split()), index))
            text = blank(text, [(m.start(), len(text))])
            break
        if scope.labels:
            which = "through" if m.group("when").lower() == "after" else "before"
            scope = Scope(scope.labels, which, scope.labels, anchor=scope.which if scope.which in (
                "first", "second", "last") else "first")
            stems = m.group("stems") or m.group("stems2")
            wishes.append(Wish("mute", stem_tokens(stems, prev_tokens), scope, " ".join(text[m.start():].split()),
                               index))
            text = blank(text, [(m.start(), len(text))])
            break
    actions = _matches(text, _ACTIONS)
    rest = blank(text, actions)
    lead_scope = parse_scope(rest[: actions[0][0]]) if actions else WHOLE
    prev_end = 0
    for i, (start, end, (kind, action), match) in enumerate(actions):
        segment_end = actions[i + 1][0] if i + 1 < len(actions) else len(rest)
        cut = _NEW_PHRASE.search(rest, end, segment_end)
        scope = parse_scope(rest[start:cut.start() if cut else segment_end])
        scope = scope if scope.narrowed else lead_scope
        tokens = stem_tokens(match.group("stems"), prev_tokens or tuple(t for w in wishes for t in w.tokens))
        negated = _NEGATOR.search(text[prev_end:start]) or (
            kind == "pre" and action != "mute" and _NO_BEFORE.search(text[prev_end:start]))
        positive = None
        if action == "keep" and not negated:
            for said_action, pattern in _KEEP_HOW.items():
                said = pattern.search(rest, end, cut.start() if cut else segment_end)
                if said:
                    action, rest = said_action, blank(rest, [(said.start(), said.end())])
                    break
        if negated:
            action, positive = _NEGATED[action], action
        how = amount(text[prev_end:segment_end], action) if action in ("reduce", "feature") else None
        prev_end = end
        if _FROM_SONG.match(text, end) and any(0 <= s - end <= 16 for s, _ in songs):
            # "only the vocal of the first song", "no piano and vocals from song B": the vocals
            # (or the instrumental) name a song's role, which song_refs reads
            tokens = tuple(t for t in tokens if t not in (lx.VOCALS, lx.INSTRUMENTAL))
        if action == "change" or not tokens:
            continue  # "change the drums" does not say how
        phrase = " ".join(text[start:end].split())
        wishes.append(Wish(action, tokens, scope, phrase, index, how, positive))
        if action in ("keep", "feature") and scope.exclude and not positive:
            # "drums everywhere except the bridge": out where the exception says
            wishes.append(Wish("mute", tokens, Scope(scope.exclude), phrase, index))
    specials, rest = _specials(rest, index, has_song, actions)
    wishes += specials
    if wishes:
        return wishes, "wishes", rest
    return (*_without_action(clause, index, previous, prev_tokens), rest)


def _specials(rest: str, index: int, has_song: bool, actions) -> tuple[list[Wish], str]:
    out = []
    patterns = {"choir": CHOIR_RE, "raw": RAW_RE, "harmonies": HARMONY_RE}
    if not has_song:
        patterns["acapella"] = ACAPELLA_RE
    found = _matches(rest, patterns)
    for start, end, kind, _ in found:
        scope = parse_scope(rest)
        if kind == "acapella":
            out.append(Wish("only", (lx.VOCALS,), scope, rest[start:end], index))
            continue
        if scope.labels is None:
            scope = Scope(frozenset({"verse" if kind == "raw" else "chorus"}))
        out.append(Wish(kind, (lx.BACKING,), scope, rest[start:end], index))
    if not has_song and not actions and re.search(INSTRUMENTAL_ONLY_RE, rest, _FLAGS):
        out.append(Wish("only", (lx.INSTRUMENTAL,), WHOLE, " ".join(rest.split()), index))
    if not out and not actions and _SILENCE.search(rest) and not stem_tokens(rest):
        out.append(Wish("mute", (lx.ALL,), parse_scope(rest), " ".join(rest.split()), index))
    return out, blank(rest, found)


def _without_action(clause: str, index: int, previous: list[Wish], prev_tokens) -> tuple[list[Wish], str]:
    """A clause with no action: a scope that modifies the clause before, a
    bare action word on its stems ("louder in the choruses"), or "not the drums"."""
    scope = parse_scope(clause)
    tokens = stem_tokens(clause)
    phrase = " ".join(clause.split())
    if tokens and _NOT_STEMS.match(clause):  # "not the drums": they stay
        return [Wish("keep", tokens, scope, phrase, index, positive="mute")], "wishes"
    if tokens and scope.labels and _ONLY.search(clause) and not scope.exclude:
        # "drums in the chorus only": the drums play there and nowhere else
        return [Wish("mute", tokens, Scope(exclude=scope.labels), phrase, index)], "wishes"
    if tokens or not previous:
        return [], ""
    if not scope.narrowed:
        for action, pattern in _BARE.items():
            if re.search(pattern, clause, _FLAGS) and prev_tokens:
                return [_bare_wish(action, clause, prev_tokens, WHOLE, phrase, index)], "wishes"
        return [], ""
    for action, pattern in _BARE.items():
        if re.search(pattern, clause, _FLAGS) and not _ONLY.search(clause):
            return [_bare_wish(action, clause, prev_tokens, scope, phrase, index)], "wishes"
    if scope.except_nth and scope.labels is None and not scope.exclude:  # "..., not the last verse"
        for w in previous:
            w.scope = replace(w.scope, except_nth=scope.except_nth)
        return [], "modifier"
    if scope.exclude and scope.labels is None:  # "not in the chorus", "except the bridge"
        for w in previous:
            w.scope = w.scope.without(scope.exclude)
        return [], "modifier"
    flipped = [w for w in previous if w.positive]
    if flipped and _ONLY.search(clause):  # "don't lose the drums in the chorus, only in the verses"
        return [replace(w, action=w.positive or w.action, positive=None, scope=scope, phrase=phrase, clause=index)
                for w in flipped], "wishes"
    for w in previous:  # "strip the choir, in the verses only": narrow the clause before
        w.scope = scope
    return [], "modifier"


def _bare_wish(action: str, clause: str, tokens, scope: Scope, phrase: str, index: int) -> Wish:
    """A bare action word on the stems before ("louder in the choruses"); a negator
    turns it round ("louder drums, but don't make the chorus quieter" keeps them there)."""
    if _NEGATOR.search(clause):
        return Wish(_NEGATED.get(action, "keep"), tokens, scope, phrase, index, positive=action)
    return Wish(action, tokens, scope, phrase, index, amount(clause, action))
