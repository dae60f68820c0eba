"""The hard development set: generated songs with the traits that broke analysis
on real band recordings (150-200 BPM, eighth-note kicks, half-time feels,
anticipated kicks and snares, snares on every off-beat, driven guitars in power
chords, minor without a leading tone, intros without drums, live tempo wander
and drift, swing, harsh and breathy leads).

Five archetypes take turns; each song draws its tempo, key, mode and options
from its own seed. The split is fixed before any tuning: dev songs use seeds
5000 + i, test songs 6000 + i, and the test split is for reporting only.
The truth beats are the felt pulse as spec.py defines it per feel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .spec import SongSpec

SPLIT_SEEDS = {"dev": 5000, "test": 6000}
KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
FORM = (("intro", 4), ("verse", 8), ("chorus", 8), ("outro", 4))

# name: (feel, tempo range BPM, options). "?" options are drawn per song.
ARCHETYPES = (
    ("double-time metal", "double_time", (150.0, 200.0),
     dict(guitar_tone="distortion", voice_timbre="harsh", drumless_intro=True,
          tempo_wander=0.02, syncopation="?", natural_minor="?")),
    ("half-time heavy", "half_time", (150.0, 190.0),
     dict(guitar_tone="overdrive", voice_timbre="?", tempo_drift="?", drumless_intro="?",
          natural_minor="?")),
    ("syncopated rock", "straight", (150.0, 200.0),
     dict(guitar_tone="overdrive", voice_timbre="breathy", syncopation=True,
          drumless_intro=True, tempo_wander=0.02)),
    ("swing", "swing", (120.0, 170.0),
     dict(guitar_tone="?", voice_timbre="breathy", tempo_drift="?", tempo_wander=0.02)),
    ("punk skank", "skank", (160.0, 200.0),
     dict(guitar_tone="distortion", voice_timbre="harsh", tempo_wander=0.02,
          natural_minor=True)),
)


def _draw(name: str, rng: np.random.Generator):
    if name in ("syncopation", "drumless_intro", "natural_minor"):
        return bool(rng.integers(2))
    if name == "voice_timbre":
        return ("harsh", "breathy")[int(rng.integers(2))]
    if name == "guitar_tone":
        return ("clean", "overdrive")[int(rng.integers(2))]
    if name == "tempo_drift":
        return float(rng.choice((-0.02, 0.02)))
    raise KeyError(name)


def _seeded(n: int, split: str, seeds: dict[str, int]) -> list[tuple[int, int, np.random.Generator]]:
    """(index, seed, generator) of the first n songs of a split: song i is the
    same whatever n is."""
    if split not in seeds:
        raise ValueError(f"split must be one of {tuple(seeds)}, not {split!r}")
    return [(i, seeds[split] + i, np.random.default_rng(seeds[split] + i)) for i in range(n)]


def _tempo_key_mode(rng: np.random.Generator, lo: float, hi: float) -> tuple[float, str, str]:
    return (round(float(rng.uniform(lo, hi)), 1), KEYS[int(rng.integers(12))],
            ("major", "minor")[int(rng.integers(2))])


def hard_specs(n: int, split: str = "dev", voices: str = "auto") -> list[SongSpec]:
    """The first n songs of a split; song i is the same whatever n is."""
    specs = []
    for i, seed, rng in _seeded(n, split, SPLIT_SEEDS):
        label, feel, (lo, hi), opts = ARCHETYPES[i % len(ARCHETYPES)]
        options: dict[str, Any] = {k: (_draw(k, rng) if v == "?" else v) for k, v in opts.items()}
        tempo, key, mode = _tempo_key_mode(rng, lo, hi)
        if mode == "major":
            options.pop("natural_minor", None)  # it only changes minor songs
        specs.append(SongSpec(
            tempo=tempo, key=key, mode=mode, seed=seed, feel=feel,
            sections=FORM, title=f"Hard {split} {i:02d} {label}", voices=voices, **options))
    return specs


PUSHED_SEEDS = {"dev": 9400, "test": 9500}
PUSHED_DRUMS_SEEDS = {"dev": 9600, "test": 9700}
PUSHED_FORM = (("intro", 8), ("verse", 8), ("chorus", 8))
PUSHED_FEELS = ("straight", "double_time", "half_time")


def pushed_specs(n: int, split: str = "dev", voices: str = "auto",
                 drums: bool = False) -> list[SongSpec]:
    """The pushed-intro set: an 8-bar intro whose driven riff accents the
    off-beats (`offbeat_riff`), then the band, at 140-190 BPM in straight,
    double-time and half-time feels. Without `drums` the intro has no drums
    (dev seeds 9400 + i, test 9500 + i): real band recordings open like this,
    and the tracker followed the accents half a beat off until the drums came
    in. With `drums` the intro's drums hit the pushes too, the snare alone
    keeping 2 and 4 (`pushed_drums`; dev seeds 9600 + i, test 9700 + i)."""
    specs = []
    for i, seed, rng in _seeded(n, split, PUSHED_DRUMS_SEEDS if drums else PUSHED_SEEDS):
        tempo, key, mode = _tempo_key_mode(rng, 140.0, 190.0)
        specs.append(SongSpec(
            tempo=tempo, key=key, mode=mode, seed=seed, feel=PUSHED_FEELS[i % len(PUSHED_FEELS)],
            sections=PUSHED_FORM, title=f"Pushed {'drums ' if drums else ''}{split} {i:02d}",
            voices=voices, guitar_tone="distortion",
            voice_timbre=("harsh", "breathy")[int(rng.integers(2))],
            drumless_intro=not drums, offbeat_riff=True, pushed_drums=drums))
    return specs
