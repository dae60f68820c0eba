"""The page's song cards: each song's title, tempo, key and length, and what
the mix did with them (the result's tempo and key, the tempo mapping 1:1 /
2:1 / 1:2 and the key shift). All of it is in the first render's report.json
(`tempo`, `key`, per-song `analysis`) except the title, which comes from the
file's tags while the upload is still there, else from the user's file name.
"""

from __future__ import annotations

import os
from pathlib import Path

from musicmixer.analysis.analyze import file_tags
from musicmixer.analysis.key import NOTE_NAMES, pitch_class

SLOTS = ("song_a", "song_b")


def song_cards(report: dict, uploads: dict[str, Path]) -> dict:
    """Per upload slot: tags title/artist, BPM, key, seconds (None where unknown)."""
    analysis = report.get("analysis") or {}
    out = {}
    for slot in SLOTS:
        a = analysis.get(slot) or {}
        title, artist = file_tags(uploads[slot]) if slot in uploads else (None, None)
        out[slot] = {"title": title, "artist": artist or a.get("artist"),
                     "bpm": _round(a.get("tempo")), "key": a.get("key"),
                     "duration_s": _round(a.get("duration_s"))}
    return out


def music_summary(report: dict) -> dict:
    """The result's tempo and key and how the two songs were brought together."""
    tempo, key = report.get("tempo") or {}, report.get("key") or {}
    shift = key.get("instrumental_shift")
    return {"bpm": _round(tempo.get("target_bpm")), "mapping": tempo.get("mapping"),
            "stretch": tempo.get("stretch"),
            "key": _shifted(key.get("instrumental_key"), shift or 0),
            "key_shift": key.get("total_shift"), "vocal_shift": key.get("vocal_shift"),
            "instrumental_shift": shift, "key_skipped": key.get("skipped")}


def cards_for(result: dict, names: dict[str, str]) -> dict:
    """What the status answers: the cards with a title for every song and its
    role in the mix (the plan picks which song sings)."""
    vocals = result.get("vocal_source") or "song_a"
    songs = {}
    for slot, card in (result.get("songs") or {s: {} for s in SLOTS}).items():
        name = names.get(slot) or slot
        songs[slot] = {**card, "title": card.get("title") or os.path.splitext(name)[0] or name,
                       "file": name,
                         "role": "vocals" if slot == vocals else "instrumental"}
    return {"songs": songs, "music": result.get("music") or {}}


def _shifted(key: str | None, semitones: int) -> str | None:
    """'A minor' moved by n semitones ('B minor' for +2); as given if unreadable."""
    if not key:
        return None
    tonic, _, mode = key.partition(" ")
    try:
        pc = pitch_class(tonic)
    except Exception:
        return key
    return f"{NOTE_NAMES[(pc + int(semitones)) % 12]} {mode}".strip()


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)
