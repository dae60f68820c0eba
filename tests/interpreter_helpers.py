"""Builders for interpreter tests: SongAnalysis objects and settings per stem mode."""

from __future__ import annotations

from musicmixer.analysis.model import Section, SongAnalysis, StemCharacter
from musicmixer.config import Settings
from musicmixer.stems import stems_for

POP_LAYOUT = (("intro", 8), ("verse", 16), ("chorus", 8), ("verse", 16), ("chorus", 8),
              ("bridge", 8), ("chorus", 8), ("outro", 8))
EDM_LAYOUT = (("intro", 16), ("breakdown", 8), ("drop", 16), ("breakdown", 8), ("drop", 16),
              ("outro", 8))
MODES = {"4": ("local", False), "6": ("modal", False), "7": ("modal", True)}


def settings_for(mode: str = "6", **overrides) -> Settings:
    backend, flag = MODES[mode]
    values = dict(stem_backend=backend, vocal_sub_separation=flag, llm_provider="none")
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_analysis(title=None, artist=None, *, tempo=120.0, layout=POP_LAYOUT, mode="6",
                  pickup_beats=0, key="A", scale="minor", absent=()) -> SongAnalysis:
    """A song on an exact grid: `layout` is (label, bars) in order."""
    beat_s = 60.0 / tempo
    bars = sum(n for _, n in layout)
    beats = [(pickup_beats + i) * beat_s for i in range(bars * 4)]
    downbeats = beats[::4]
    sections, bar = [], 0
    for label, n in layout:
        sections.append(Section(label=label, start_bar=bar, end_bar=bar + n,
                                start_time=downbeats[bar],
                                end_time=downbeats[bar + n] if bar + n < bars else bars * 4 * beat_s,
                                energy=0.8 if label in ("chorus", "drop") else 0.5))
        bar += n
    character = {}
    for stem in stems_for(*MODES[mode]):
        presence = "absent" if stem in absent else "present"
        character[stem] = StemCharacter(energy=0.0 if stem in absent else 0.6,
                                        density=0.0 if stem in absent else 0.8,
                                        presence=presence, description=f"{stem}: {presence}")
    return SongAnalysis(duration=beats[-1] + 4 * beat_s, tempo=tempo, tempo_confidence=0.9,
                        beats=beats, downbeats=downbeats, key=key, mode=scale, key_confidence=0.8,
                        sections=sections, stem_character=character, title=title, artist=artist)
