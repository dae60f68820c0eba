"""Which song sings: mentions of the two songs in a prompt and the role each
is given.

A mention is a position ("the second one", "track 1", "the latter"), a
letter ("B's vocals"), a title or artist word from the tags or file name, or
a pronoun: "her"/"she" is the song whose vocals sit higher and "his"/"him"
the one whose vocals sit lower, when the analysis has each song's sung pitch
(`SongAnalysis.vocal_pitch_hz`) and they differ by at least
`CLEAR_SEMITONES`; otherwise the pronoun is a guess and the reading says so.
A vocal cue next to a mention ("vocals", "sings") votes for that song, an
instrumental cue ("beat", "over X") for the other; a negation before the
mention ("don't use B's vocals", "without the Hollow Pines singer") turns
the vote round. Each clause decides on its own and a later clause wins over
an earlier one ("B sings. no, A sings"), which the reading reports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from . import lexicon as lx

CLEAR_SEMITONES = 3.0  # sung pitches closer than this do not tell "her" from "him"
_FLAGS = re.IGNORECASE
_WORD = re.compile(r"[\w'-]+")
_NEGATOR = re.compile(rf"^(?:{lx.NEGATOR_RE}|{lx.EXCEPTION_RE}|without)$", _FLAGS)
NEGATION_REACH = 6  # words before a mention a negation reaches: "don't take the vocals from song B"
_LETTER_A = (lx.LETTER_A_RE + r"|(?<![\w'&])A(?=\s*:)|(?<=\bof the\s)A\b|(?<=\bof\s)A\b"
             r"|(?<=\bwith\s)A\b|(?<=\bthe\s)A(?=\s*(?:$|[,.;]))|(?<=\blet\s)A\b"
             r"|(?<![\w'&])A(?=\s+(?:sings?|singing|raps?|rapping|vox|plays?|playing)\b)")


@dataclass
class SongChoice:
    """The reading of which song sings."""

    song: str | None = None  # "song_a" | "song_b" | None (not said)
    evidence: str = ""
    deciding: tuple[int, ...] = ()  # start offsets of the clauses that said which song sings
    notes: list[str] = field(default_factory=list)  # pronoun readings, guesses, overridden clauses


def title_phrases(analysis) -> list[str]:
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


def pronoun_songs(analysis_a, analysis_b) -> tuple[dict[str, str], str]:
    """{"higher"|"lower": song} from the analysed sung pitches, and a note
    saying how sure that is ("" when the analysis has no pitches)."""
    pa = getattr(analysis_a, "vocal_pitch_hz", None)
    pb = getattr(analysis_b, "vocal_pitch_hz", None)
    if not pa or not pb:
        return {}, ""
    higher, lower = ("song_a", "song_b") if pa >= pb else ("song_b", "song_a")
    gap = abs(12.0 * math.log2(pa / pb))
    names = {"song_a": "song A", "song_b": "song B"}
    hi_hz, lo_hz = max(pa, pb), min(pa, pb)
    if gap >= CLEAR_SEMITONES:
        note = (f"{names[higher]}'s vocals sit higher (median {hi_hz:.0f} Hz against {lo_hz:.0f} Hz), "
                f"so she/her is read as {names[higher]} and he/him as {names[lower]}")
    else:
        note = (f"a guess: the two singers' median pitches ({hi_hz:.0f} and {lo_hz:.0f} Hz) are within "
                f"{CLEAR_SEMITONES:.0f} semitones, so she/her is read as {names[higher]} only tentatively")
    return {"higher": higher, "lower": lower}, note


def song_mentions(text: str, analysis_a, analysis_b, pronouns: dict[str, str] | None = None):
    """(start, end, song) for each mention, overlaps merged."""
    found = []
    for song, patterns, letter in (("song_a", lx.SONG_A_RE, _LETTER_A),
                                   ("song_b", lx.SONG_B_RE, lx.LETTER_B_RE)):
        for pattern in [*patterns, *(rf"\b{re.escape(p)}\b" for p in lx.SONG_ORDER[song])]:
            found += [(m.start(), m.end(), song) for m in re.finditer(pattern, text, _FLAGS)]
        found += [(m.start(), m.end(), song) for m in re.finditer(letter, text)]
    titles_a, titles_b = title_phrases(analysis_a), title_phrases(analysis_b)
    for song, phrases, others in (("song_a", titles_a, titles_b), ("song_b", titles_b, titles_a)):
        for phrase in phrases:
            if phrase in others:
                continue
            pattern = r"(?<!\w)" + r"[\s_-]+".join(map(re.escape, phrase.split())) + r"(?:'s)?(?!\w)"
            found += [(m.start(), m.end(), song) for m in re.finditer(pattern, text, _FLAGS)]
    for side, song in (pronouns or {}).items():
        words = "|".join(map(re.escape, lx.PRONOUNS[side]))
        found += [(m.start(), m.end(), song) for m in re.finditer(rf"\b(?:{words})\b", text, _FLAGS)]
    found.sort()
    merged: list[list] = []
    for start, end, song in found:
        if merged and start < merged[-1][1] and merged[-1][2] == song:
            merged[-1][1] = max(merged[-1][1], end)
        elif not merged or start >= merged[-1][1]:
            merged.append([start, end, song])
    return [tuple(m) for m in merged]


def choose_singer(text: str, clauses, analysis_a, analysis_b) -> tuple[SongChoice, list]:
    """The song that sings, and the mentions found (for the clause report)."""
    pronouns, pitch_note = pronoun_songs(analysis_a, analysis_b)
    mentions = song_mentions(text, analysis_a, analysis_b, pronouns)
    choice = SongChoice()
    used_pronoun = re.search(r"\b(?:" + "|".join(sorted(lx.PRONOUNS["higher"] | lx.PRONOUNS["lower"]))
                             + r")\b", text, _FLAGS)
    decided: list[tuple[str, str]] = []  # (song, clause text) per clause that decided
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    for cs, ce in clauses:
        votes = {"song_a": 0.0, "song_b": 0.0}
        for start, end, song in mentions:
            if not cs <= start < ce:
                continue
            inside = [w for w in words if cs <= w[0] < ce]
            before = [w for w in inside if w[1] <= start][::-1]
            after = [w for w in inside if w[0] >= end]
            role, distance = _nearest_cue(before, after, mentions)
            if role is None:
                continue
            if _negated(before, mentions):
                role = "instrumental" if role == "vocal" else "vocal"
            other = "song_b" if song == "song_a" else "song_a"
            votes[song if role == "vocal" else other] += 1.0 / distance
        if votes["song_a"] != votes["song_b"]:
            decided.append((max(votes, key=votes.__getitem__), " ".join(text[cs:ce].split())[:80]))
            choice.deciding += (cs,)
    if decided:
        choice.song, choice.evidence = decided[-1]
        overridden = [c for s, c in decided if s != choice.song]
        if overridden:
            choice.notes.append(f'"{overridden[-1]}" was overridden by the later "{choice.evidence}" '
                                f"(the later clause wins)")
    if used_pronoun:
        if pitch_note:
            choice.notes.append(pitch_note)
        else:
            choice.notes.append(f'"{used_pronoun.group()}" is a guess: the analysis has no sung pitch '
                                f"to tell which singer that is")
    return choice, mentions


def _negated(before, mentions) -> bool:
    """A negation among the words before a mention, not past another mention or an "and"/"but"."""
    for i, w in enumerate(before[:NEGATION_REACH]):
        if any(m[0] <= w[0] < m[1] for m in mentions) or w[2] in ("and", "but", "then"):
            return False
        cue = i > 0 and re.sub(r"'s$", "", before[i - 1][2]) in lx.VOCAL_CUES | lx.INSTRUMENTAL_CUES
        if _NEGATOR.match(w[2]) or (w[2] == "no" and (i == 0 or cue)):  # "no vocals from song B"
            return True
    return False


def _nearest_cue(before, after, mentions):
    skip = {"the", "song", "track", "tune", "'s", "s", "of", "from", "by", "a", "b", "its", "and", "top"}
    for i, w in enumerate(before[:3]):
        if w[2] in lx.OVER_WORDS and all(x[2] in skip for x in before[:i]):
            return "instrumental", 0.5
    linked = [w for w in before[:4] if w[2] not in ("the", "a")]
    if len(linked) >= 2 and linked[0][2] in ("of", "from", "by"):  # "the voice of song two"
        word = re.sub(r"'s$", "", linked[1][2])
        if word in lx.VOCAL_CUES or word in lx.INSTRUMENTAL_CUES:
            return ("vocal" if word in lx.VOCAL_CUES else "instrumental"), 0.4
    best: tuple[str | None, float] = (None, 99)
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
