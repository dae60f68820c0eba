"""Synthetic songs with exact per-stem ground truth, shared by tests and benchmarks.

A `SongSpec` is written out as MIDI, each instrument rendered alone with
fluidsynth (voices sung by Festival when it is installed), and the mix is the
exact sum of the stems; `truth.json` holds the beats, downbeats, key, sections
and where each stem plays.
"""

from __future__ import annotations

import os

from .song import STEM_FILES, GeneratedSong, generate_song
from .spec import SongSpec, default_sections

__all__ = ["SongSpec", "GeneratedSong", "generate_song", "pair_of_songs", "default_sections",
           "STEM_FILES"]


def pair_of_songs(out_dir: str | os.PathLike, seed: int = 0,
                  bars: int = 16, voices: str = "auto") -> tuple[GeneratedSong, GeneratedSong]:
    """Two contrasting demo songs for mashups: tempos 20% apart (A is faster),
    keys a whole tone apart, major against minor, straight against half-time."""
    a = SongSpec(tempo=120.0, key="C", mode="major", bars=bars, seed=seed, feel="straight",
                 title="Demo A", voices=voices)
    b = SongSpec(tempo=96.0, key="D", mode="minor", bars=bars, seed=seed + 1, feel="half_time",
                 title="Demo B", voices=voices)
    return generate_song(a, out_dir), generate_song(b, out_dir)
