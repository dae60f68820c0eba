"""Words the offline planner understands, as regex alternations.

The word lists live in lexicon.json (package data), so that a synonym
musicians use is one line of data, not code; this module builds the regex
alternations from them. Stem phrases map to generic tokens (`VOCALS`, `LEAD`,
`BACKING`, instrument names, `INSTRUMENTAL`, `RHYTHM`, `ALL`, `REST`, `THEM`);
`stems_for_token` maps a token onto the configured mode's stems, so no mode's
stem list is spelt here.
"""

from __future__ import annotations

import json
import re
from importlib import resources

VOCALS, LEAD, BACKING, INSTRUMENTAL = "vocals*", "lead*", "backing*", "instrumental*"
RHYTHM, ALL, REST, THEM = "rhythm*", "all*", "rest*", "them*"

DATA = json.loads(resources.files(__package__).joinpath("lexicon.json").read_text("utf-8"))
STEM_PHRASES: dict[str, str] = {p: token for token, phrases in DATA["stems"].items() for p in phrases}


def _alt(phrases) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


STEM_RE = rf"(?:{_alt(STEM_PHRASES)})"
STEM_LIST_RE = rf"(?:{STEM_RE})(?:\s*(?:,|and|or|&|/|\+|plus)\s*(?:the\s+)?(?:{STEM_RE}))*"
FILLER_RE = r"(?:(?:the|any|all|of|some|their|her|his|its|a|bit|little|those|that|these)\s+)*"

PREFIX_ACTIONS = {a: tuple(p) for a, p in DATA["prefix_actions"].items()}
POSTFIX_ACTIONS = {a: tuple(p) for a, p in DATA["postfix_actions"].items()}
PREFIX_RE = {a: rf"\b(?:{_alt(p)})\s+{FILLER_RE}(?P<stems>{STEM_LIST_RE})\b" for a, p in PREFIX_ACTIONS.items()}
DB_RE = r"(?P<db>[+-]?\d+(?:\.\d+)?)\s*-?\s*db\b"
PERCENT_RE = r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)"
AMOUNTS = {k: tuple(v) for k, v in DATA["amounts"].items()}
AMOUNT_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in AMOUNTS.items()}
# Words that may sit between a stem and its postfix action: "bass is too loud", "vocals 3 dB quieter".
_BETWEEN = rf"(?:(?:{_alt(DATA['copulas'])}|\d+(?:\.\d+)?\s*(?:db|%))\s+)*"
POSTFIX_RE = {a: rf"\b(?P<stems>{STEM_LIST_RE})\s*:?\s*{_BETWEEN}-?\s*(?:{_alt(p)})\b"
              for a, p in POSTFIX_ACTIONS.items()}
NEGATOR_RE = rf"(?<![\w'])(?:{_alt(DATA['negators'])})(?![\w'])"
EXCEPTION_ALT = _alt(DATA["exceptions"])
EXCEPTION_RE = rf"\b(?:{EXCEPTION_ALT})\b"
EVERYTHING_BUT_RE = (rf"\b(?:{_alt(DATA['everything_but'])})\s+(?:else\s+)?(?:{_alt(DATA['exceptions'])})"
                     rf"\s+(?:for\s+)?{FILLER_RE}(?P<stems>{STEM_LIST_RE})\b")
INTERJECTIONS = frozenset(DATA["interjections"])
REWRITES = dict(DATA["rewrites"])
TRANSLATIONS = DATA["translations"]
NOT_TYPOS = frozenset(DATA["not_typos"])
PRONOUNS = {k: frozenset(v) for k, v in DATA["pronouns"].items()}
SONG_ORDER = {k: tuple(v) for k, v in DATA["song_order"].items()}

SCOPE_WORDS = {k: tuple(v) for k, v in DATA["scope_words"].items()}
SCOPE_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in SCOPE_WORDS.items()}
ORDINAL_RE = r"\b(?P<which>first|1st|opening|second|2nd|last|final|closing)\s+(?P<what>{})\b"

EFFECT_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in DATA["effects"].items()}  # choir, raw, acapella, harmonies
CHOIR_RE, RAW_RE = EFFECT_RE["choir"], EFFECT_RE["raw"]
ACAPELLA_RE, HARMONY_RE = EFFECT_RE["acapella"], EFFECT_RE["harmonies"]
MUTE_VERB_RE = rf"\b(?:{_alt(PREFIX_ACTIONS['mute'])})\b"

MOODS = {k: tuple(v) for k, v in DATA["moods"].items()}
MOOD_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in MOODS.items()}
LENGTHS = {k: tuple(v) for k, v in DATA["lengths"].items()}
LENGTH_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in LENGTHS.items()}
WORD_NUMBERS = dict(DATA["word_numbers"])
NUMBER_RE = rf"\b(?P<n>\d+(?:\.\d+)?|{_alt(WORD_NUMBERS)})"
DURATION_RE: dict[float | str, str] = {  # seconds per unit, or "bars"
    60.0: rf"{NUMBER_RE}\s*-?\s*(?:minutes?|mins?)\b",
    1.0: rf"{NUMBER_RE}\s*-?\s*(?:seconds?|secs?)\b",
    "bars": rf"{NUMBER_RE}\s*-?\s*bars?\b",
}

# Cues that say what role a song plays when named next to them.
VOCAL_CUES = set(DATA["vocal_cues"])
INSTRUMENTAL_CUES = set(DATA["instrumental_cues"])
OVER_WORDS = set(DATA["over_words"])

_NOT_A_SONG = (r"(?!\s+(?:verse|verses|chorus|choruses|hook|bridge|drop|breakdown|intro|outro|"
               r"time|bar|bars|half|minute|minutes|part|section|beat|\d))")
_NOT_AN_ARTICLE = r"(?!\s+(?:bit|little|lot|few|couple|touch|more|lot))"
SONG_A_RE = [rf"\b(?:song|track|tune)\s*(?:a{_NOT_AN_ARTICLE}|1|one)\b",
             r"\bfirst\s+(?:song|track|tune|one)\b", rf"\b(?:the\s+)?1st\b{_NOT_A_SONG}",
             rf"\bthe\s+first\b{_NOT_A_SONG}"]
SONG_B_RE = [r"\b(?:song|track|tune)\s*(?:b|2|two)\b", r"\bsecond\s+(?:song|track|tune|one)\b",
             rf"\b(?:the\s+)?2nd\b{_NOT_A_SONG}", rf"\bthe\s+second\b{_NOT_A_SONG}"]
# Bare letters only count in their upper-case form ("B's vocals", "over A"); matched without re.I.
LETTER_A_RE = (r"(?<![\w'&])A(?=(?:'s|’s)\b|\s+(?:vocals?|voice|instrumental|beat|groove|drums|bass)\b)"
               r"|(?<=\bover\s)A\b|(?<=\bfrom\s)A\b|(?<=\bsong\s)A\b")
LETTER_B_RE = r"(?<![\w'&])B(?![\w-])"
GENERIC_TITLE_WORDS = set(DATA["generic_title_words"])
