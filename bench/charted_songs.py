"""Real band recordings with charted beats: Frets on Fire's two Debian song packages.

fretsonfire-songs-muldjord holds four thrash/death metal songs with sung and
screamed vocals (170-190 BPM; CC-BY-SA-3.0) and fretsonfire-songs-sectoid four
instrumental rock/metal tracks (95-150 BPM; Expat). Each song ships its
recording in two files, the band (song.ogg) and the lead guitar the game lets
you play (guitar.ogg), and a chart (notes.mid) whose tempo map was laid by hand
on the recording so that the notes fall in time: its beats and bar lines are
the truth here, as annotations are elsewhere. The mix is the two files summed.
These are the only recordings of this project with hand-made beats (the real
set's reference is two automatic trackers).

Excerpts: 60 s from fixed starts, every song at every start, peak-normalised
to 0.98 where the sum clips, cut under the cache (default build/bench-charted)
and never committed. Beats in the first 5 s are not scored (mir_eval's trim).

Splits by start, not by song (there are only eight songs): `dev` is the
twelve starts the analysis was tuned on (0-105 s); `test` the ten added later
(5-95 s), each first scored blind, once (15-95 s: 63 of 64 excerpts at beat F
>= 0.85, the miss then mended; 5 and 57.5 s: 16 of 16). Both splits are the
same eight recordings, so `test` measures new passages, not new songs.
`whole` is the eight songs whole (2.4-4.8 min), as a user gives them: a long
song mixes sections that one excerpt never holds together.

One chart (mutilated_mime) puts bar 1 a beat before the song's backbeat (its
snare falls on the chart's beats 1 and 3 throughout); its downbeat F reads 0
from every start, ours and the chart disagreeing by one beat.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path

import numpy as np
from real_songs import TRIM_S, felt_tempo, package_dir, version_of

PACKAGES = {"fretsonfire-songs-muldjord": "CC-BY-SA-3.0", "fretsonfire-songs-sectoid": "Expat"}
SONGS_DIR = "usr/share/games/fretsonfire/data/songs"
STARTS = {"dev": (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 90.0, 105.0),
          "test": (5.0, 15.0, 25.0, 35.0, 45.0, 55.0, 57.5, 65.0, 85.0, 95.0)}
EXCERPT_S = 60.0
WHOLE = "whole"  # the split of whole songs, start to end
SR = 44100
PEAK = 0.98


@dataclass
class ChartedSong:
    name: str           # song and start, e.g. "chaos_god_55.0"
    folder: Path        # the song's folder in the extracted package
    start: float
    package: str
    licence: str
    version: str
    wav: Path | None = None
    truth: dict = field(default_factory=dict)

    @property
    def mix_path(self) -> Path | None:
        return self.wav


def song_folders(cache: Path) -> list[tuple[str, Path]]:
    """(package, folder) of every charted song, packages fetched where missing."""
    out = []
    for package in PACKAGES:
        root = package_dir(cache, package) / SONGS_DIR
        out += [(package, p.parent) for p in sorted(root.glob("*/*/notes.mid"))]
    return out


def excerpt_name(folder: Path, start: float | str) -> str:
    return f"{folder.name.replace(' ', '_').lower()}_{start}"


@cache
def chart_beats(midi: Path) -> tuple[np.ndarray, np.ndarray]:
    """The chart's beats and bar lines (seconds, whole song) from its tempo map and metre
    (read once per chart: a split cuts each song at ten or more starts)."""
    import pretty_midi

    m = pretty_midi.PrettyMIDI(str(midi))
    return np.asarray(m.get_beats()), np.asarray(m.get_downbeats())


def window(times: np.ndarray, start: float, length: float = EXCERPT_S) -> list[float]:
    """`times` inside [start, start + length), relative to start."""
    t = times[(times >= start) & (times < start + length)] - start
    return [round(float(x), 4) for x in t]


def cut(folder: Path, start: float, out: Path, length: float | None = EXCERPT_S) -> None:
    """The band and the lead guitar summed, `length` seconds from `start` (None: to the
    end), as 32-bit float WAV."""
    import soundfile as sf

    parts = [sf.read(str(folder / f), dtype="float32", always_2d=True) for f in ("song.ogg", "guitar.ogg")]
    if any(sr != SR for _, sr in parts):
        raise SystemExit(f"{folder}: expected {SR} Hz audio")
    n = min(len(a) for a, _ in parts)
    mix = sum(a[:n] for a, _ in parts)
    a = int(start * SR)
    b = n if length is None else int((start + length) * SR)
    x = mix[a:b]
    x = x / max(1.0, float(np.abs(x).max()) / PEAK)
    tmp = out.with_name(f".{out.name}.part")
    sf.write(str(tmp), x, SR, subtype="FLOAT", format="WAV")
    os.replace(tmp, out)


def charted_excerpt(package: str, folder: Path, start: float, cache: Path,
                    whole: bool = False) -> ChartedSong:
    """One excerpt (`whole`: the song from `start` to its end), cut under cache/ex
    where missing, with its chart as `truth`."""
    import soundfile as sf

    pkg = package_dir(cache, package)
    name = excerpt_name(folder, WHOLE if whole else start)
    s = ChartedSong(name, folder, start, package, PACKAGES[package], version_of(pkg))
    s.wav = cache / "ex" / f"{s.name}.wav"
    if not s.wav.exists():
        s.wav.parent.mkdir(parents=True, exist_ok=True)
        cut(folder, start, s.wav, None if whole else EXCERPT_S)
    seconds = float(sf.info(str(s.wav)).duration)  # a song may end before 60 s are up
    beats, bars = chart_beats(folder / "notes.mid")
    rb = window(beats, start, seconds)
    tempo = felt_tempo(rb)
    s.truth = {"title": s.name, "tempo": round(tempo, 2), "tempo_ref": tempo, "beats": rb,
               "downbeats": window(bars, start, seconds), "trim_s": TRIM_S, "duration": seconds,
               "feel": "charted", "split": WHOLE if whole else split_of(start), "licence": s.licence,
               "package": f"{package} {s.version}"}
    return s


def split_of(start: float) -> str:
    return next((k for k, v in STARTS.items() if start in v), "other")


def charted_song(name: str, cache: Path) -> ChartedSong:
    """The excerpt `name` ("chaos_god_35.0": a song's folder name and a start in seconds;
    "chaos_god_whole": the whole song)."""
    slug, start = name.rsplit("_", 1)
    whole = start == WHOLE
    at = 0.0 if whole else float(start)
    for package, folder in song_folders(cache):
        if excerpt_name(folder, WHOLE if whole else at) == name:
            return charted_excerpt(package, folder, at, cache, whole=whole)
    raise SystemExit(f"no charted song {slug!r}")


def load_charted(which: str, n: int | None, cache: Path) -> tuple[list, dict]:
    """The excerpts of one split (start by start, every song), cut where missing, with
    the chart as `truth`; and what the output says of them (packages, licences, starts)."""
    if which not in (*STARTS, WHOLE):
        raise SystemExit(f"the charted set has splits {', '.join((*STARTS, WHOLE))}, not {which!r}")
    folders = song_folders(cache)
    if which == WHOLE:
        songs = [charted_excerpt(p, f, 0.0, cache, whole=True) for p, f in folders[:n]]
    else:
        every = ((package, folder, start) for start in STARTS[which] for package, folder in folders)
        songs = [charted_excerpt(p, f, start, cache) for p, f, start in islice(every, n)]
    return songs, {"packages": {p: version_of(package_dir(cache, p)) for p in PACKAGES},
                   "licences": PACKAGES, "starts": [0.0] if which == WHOLE else list(STARTS[which]),
                   "reference": "the songs' Frets on Fire charts (notes.mid): beats from the "
                                "tempo map, bars from its metre; beat F trims the first "
                                f"{TRIM_S:.0f} s"}
