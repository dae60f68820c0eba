"""Words the offline planner understands, as regex alternations.

Stem phrases map to generic tokens (`VOCALS`, `LEAD`, `BACKING`, instrument
names, `INSTRUMENTAL`); `prompt_reading.stems_for_token` maps a token onto the
configured mode's stems, so no mode's stem list is spelt here.
"""

from __future__ import annotations

import re

VOCALS, LEAD, BACKING, INSTRUMENTAL = "vocals*", "lead*", "backing*", "instrumental*"

STEM_PHRASES: dict[str, str] = {}


def _add(token: str, *phrases: str) -> None:
    for phrase in phrases:
        STEM_PHRASES[phrase] = token


_add(VOCALS, "vocals", "vocal", "voice", "voices", "vox", "singing", "singer", "lyrics", "rap",
     "rapping", "acapella", "a cappella", "a capella", "acappella")
_add(LEAD, "lead vocals", "lead vocal", "lead voice", "lead singer", "main vocals", "main vocal",
     "lead vox", "lead")
_add(BACKING, "backing vocals", "backing vocal", "backing vox", "background vocals",
     "background vocal", "backing singers", "backup vocals", "backup singers", "backups", "bvs",
     "harmonies", "harmony", "ad-libs", "ad libs", "adlibs", "backing", "backgrounds")
_add("drums", "drums", "drum", "percussion", "kick", "kicks", "snare", "snares", "hi-hats",
     "hihats", "hi hats", "hats", "beat", "beats", "drum kit")
_add("bass", "bass", "bassline", "basslines", "bass line", "low end", "sub bass", "subs", "808",
     "808s")
_add("guitar", "guitar", "guitars", "riff", "riffs", "guitar riffs", "shredding")
_add("piano", "piano", "pianos", "keys", "keyboard", "keyboards", "rhodes")
_add("other", "synth", "synths", "pads", "pad", "strings", "horns", "synthesizer",
     "synthesizers", "organ", "other")
_add(INSTRUMENTAL, "instrumental", "instrumentals", "instruments", "band", "music")


def _alt(phrases) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


STEM_RE = rf"(?:{_alt(STEM_PHRASES)})"
STEM_LIST_RE = rf"(?:{STEM_RE})(?:\s*(?:,|and|or|&|/|\+|plus)\s*(?:the\s+)?(?:{STEM_RE}))*"
FILLER_RE = r"(?:(?:the|any|all|of|some|their|her|his|its|a|bit|little|those|that|these)\s+)*"

PREFIX_ACTIONS = {
    "mute": ("no", "without", "drop", "mute", "muted", "remove", "cut", "kill", "lose", "ditch",
             "minus", "strip", "strip out", "skip", "zero", "silence", "get rid of", "take out",
             "leave out", "nix", "lose the", "no more", "cut out", "take away"),
    "feature": ("heavy", "heavier", "lots of", "loads of", "tons of", "more", "loud", "louder",
                "big", "bigger", "boost", "boosted", "crank", "crank up", "cranked", "pump up",
                "pumping", "fat", "fatter", "punchy", "huge", "strong", "stronger", "extra",
                "emphasize", "emphasise", "emphasis on", "focus on", "highlight", "feature",
                "featuring", "bring up", "turn up", "prominent", "massive", "thick", "deep",
                "thumping", "booming", "pounding", "driving", "lots more", "plenty of"),
    "reduce": ("less", "quiet", "quieter", "soft", "softer", "subtle", "light", "lighter",
               "turn down", "lower", "low", "gentle", "tone down", "minimal", "bring down",
               "dial back", "a bit of", "a little", "sparse", "barely any", "faint"),
    "only": ("only", "just", "nothing but", "solo", "only the", "just the", "purely"),
}
POSTFIX_ACTIONS = {
    "mute": ("out", "off", "muted", "removed", "stripped", "gone", "dropped"),
    "feature": ("heavy", "up front", "upfront", "out front", "forward", "up", "loud", "louder",
                "boosted", "front and center", "front and centre", "cranked", "high", "solo",
                "solos", "driven", "heavy mix"),
    "reduce": ("down", "low", "quieter", "quiet", "soft", "low in the mix", "in the background"),
    "only": ("only", "alone"),
}
PREFIX_RE = {a: rf"\b(?:{_alt(p)})\s+{FILLER_RE}(?P<stems>{STEM_LIST_RE})\b" for a, p in PREFIX_ACTIONS.items()}
POSTFIX_RE = {a: rf"\b(?P<stems>{STEM_LIST_RE})\s*-?\s*(?:{_alt(p)})\b" for a, p in POSTFIX_ACTIONS.items()}

SCOPE_WORDS = {
    "intro": ("intro", "intros", "beginning", "start", "opening", "opener"),
    "verse": ("verse", "verses"),
    "chorus": ("chorus", "choruses", "hook", "hooks", "refrain", "refrains"),
    "bridge": ("bridge", "middle 8", "middle eight"),
    "breakdown": ("breakdown", "breakdowns", "break"),
    "drop": ("drop", "drops"),
    "outro": ("outro", "ending", "end", "finale"),
}
SCOPE_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in SCOPE_WORDS.items()}
ORDINAL_RE = r"\b(?P<which>first|1st|opening|last|final|closing)\s+(?P<what>{})\b"

CHOIR_RE = r"\b(?:choir|choirs|choral|gospel|wall of voices|stacked vocals|church)\b"
RAW_RE = r"\b(?:raw|stripped[- ]down|stripped back|intimate|bare|naked|dry)\b"
ACAPELLA_RE = r"\b(?:acapella|a cappella|a capella|acappella|vocals? alone)\b"
HARMONY_RE = r"\b(?:harmonies|harmony|harmonised|harmonized|lush vocals|layered vocals)\b"

MOODS = {
    "chill": ("low energy", "low-energy", "chill", "chilled", "chillout", "mellow", "laid back", "laid-back", "relaxed",
              "relaxing", "lo-fi", "lofi", "calm", "dreamy", "ambient", "soft", "gentle",
              "downtempo", "smooth", "sleepy", "late night", "late-night", "quiet", "slow"),
    "energetic": ("high energy", "high-energy", "energetic", "energy", "hype", "hyped", "banger",
                  "party", "club", "dance", "dancefloor", "aggressive", "hard", "hard-hitting",
                  "intense", "upbeat", "pumped", "festival", "rave", "epic", "powerful",
                  "explosive", "bangin", "banging", "wild", "loud", "peak time"),
}
MOOD_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in MOODS.items()}
LENGTHS = {
    "short": ("short", "shorter", "quick", "brief", "radio edit", "snippet", "teaser", "tiktok",
              "reel", "clip", "bite-sized", "compact"),
    "long": ("long", "longer", "extended", "full length", "full-length", "full song", "whole song",
             "entire song", "club mix", "the whole thing", "all of it"),
}
LENGTH_RE = {k: rf"\b(?:{_alt(v)})\b" for k, v in LENGTHS.items()}
WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "half a": 0.5, "a half": 0.5, "ninety": 90, "thirty": 30, "sixty": 60,
                "forty five": 45, "forty-five": 45}
NUMBER_RE = rf"\b(?P<n>\d+(?:\.\d+)?|{_alt(WORD_NUMBERS)})"
DURATION_RE: dict[float | str, str] = {  # seconds per unit, or "bars"
    60.0: rf"{NUMBER_RE}\s*-?\s*(?:minutes?|mins?)\b",
    1.0: rf"{NUMBER_RE}\s*-?\s*(?:seconds?|secs?)\b",
    "bars": rf"{NUMBER_RE}\s*-?\s*bars?\b",
}

# Cues that say what role a song plays when named next to them.
VOCAL_CUES = {"vocals", "vocal", "voice", "voices", "singing", "sings", "sing", "singer",
              "sung", "rap", "rapping", "raps", "rapper", "lyrics", "acapella", "vox", "lead",
              "verses", "words", "hook"}
INSTRUMENTAL_CUES = {"instrumental", "instrumentals", "beat", "beats", "groove", "music",
                     "band", "riff", "riffs", "production", "instruments", "drums", "bass",
                     "guitar", "guitars", "piano", "melody", "track", "loop",
                     "bassline", "keys", "synths", "rhythm", "accompaniment"}
OVER_WORDS = {"over", "onto", "on", "under", "underneath", "atop", "into"}

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
GENERIC_TITLE_WORDS = {"song", "track", "audio", "untitled", "vocals", "mix", "remix", "demo",
                       "test", "a", "b", "the", "music", "instrumental", "beat", "intro", "song a",
                       "song b", "track 1", "track 2"}
