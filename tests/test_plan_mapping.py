"""The plan follows step 8's mapping (the planner lays bars 1:1): at 2:1 the
vocal song advances two bars per output bar, so it runs out after half the
planned bars, the key clash pairs two vocal bars with each instrumental bar,
the vocal range spans twice the bars, and bar 1 is the tracked bar where the
vocal song's real (two-tracked-bar) bar starts; at 1:2 one vocal bar spans two.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.analysis.model import SongAnalysis
from musicmixer.interpreter.plan import PlanSection, RemixPlan, TimeRange
from musicmixer.mix.keymatch import bar_pairs
from musicmixer.mix.plan_mapping import follow_mapping, real_bar_parity
from musicmixer.stems import FOUR_STEMS

GAINS = {"vocals": 1.0, "drums": 1.0, "bass": 1.0, "other": 1.0}


def analysis(bars: int, bpm: float, chord_every: int = 1, chord_phase: int = 0) -> SongAnalysis:
    """A song of `bars` bars whose chord changes every `chord_every` bars,
    starting at bar `chord_phase`."""
    beats = list(np.arange(bars * 4) * 60.0 / bpm)
    chroma = []
    for b in range(bars):
        chord = (b - chord_phase) // chord_every % 2
        row = np.zeros(12)
        row[[0, 4, 7] if chord == 0 else [5, 9, 0]] = 1.0 / 3
        chroma.append(list(row))
    return SongAnalysis(duration=bars * 240.0 / bpm, tempo=bpm, tempo_confidence=0.9,
                        beats=beats, downbeats=beats[::4], key="C", mode="major",
                        key_confidence=0.9, sections=[], harmony_bar_chroma=chroma)


def plan(vocal_start_bar: int, bars: int, vocal_song: SongAnalysis, first_beat: int = 0) -> RemixPlan:
    half = bars // 2 * 4
    return RemixPlan(
        vocal_source="song_a", vocal_start_bar=vocal_start_bar,
        vocal_range=TimeRange(start=vocal_song.downbeats[vocal_start_bar], end=vocal_song.duration),
        instrumental_range=TimeRange(start=0, end=100),
        sections=[PlanSection(label="verse", start_beat=first_beat, end_beat=first_beat + half,
                              stem_gains=dict(GAINS)),
                  PlanSection(label="chorus", start_beat=first_beat + half,
                              end_beat=first_beat + bars * 4, stem_gains=dict(GAINS))],
        explanation="", stem_names=list(FOUR_STEMS), planner="offline")


def test_bar_pairs_follow_the_mapping():
    p = plan(2, 2, analysis(16, 190.0), first_beat=8)
    assert bar_pairs(p) == [(2, 2, 1.0), (3, 3, 1.0)]
    assert bar_pairs(p, 2.0) == [(2, 2, 1.0), (3, 2, 1.0), (4, 3, 1.0), (5, 3, 1.0)]
    assert bar_pairs(p, 0.5) == [(2, 2, 1.0), (2, 3, 1.0)]


def test_at_two_to_one_the_vocal_song_ends_after_half_the_bars():
    vocal = analysis(8, 190.0, chord_every=2)
    p = plan(0, 8, vocal)  # 8 output bars need 16 vocal bars at 2:1; the song has 8
    same, notes = follow_mapping(p, vocal, 1.0)
    assert same == p and notes == []
    mapped, notes = follow_mapping(p, vocal, 2.0)
    assert mapped.sections[0].stem_gains["vocals"] == 1.0  # output bars 0-3: vocal bars 0-7
    assert mapped.sections[1].stem_gains["vocals"] == 0.0  # bars 4-7 would need vocal bars 8-15
    assert mapped.sections[1].stem_gains["drums"] == 1.0
    assert any("ends before the plan" in n for n in notes)
    assert p.sections[1].stem_gains["vocals"] == 1.0  # the plan given is not changed
    # the vocal range is measured in vocal bars of the mapping: to the song's end here
    assert mapped.vocal_range.end == pytest.approx(vocal.duration)
    longer = analysis(12, 190.0, chord_every=2)
    short, _ = follow_mapping(plan(0, 4, longer), longer, 2.0)
    assert short.vocal_range.end == pytest.approx(longer.downbeats[8])
    slow, _ = follow_mapping(plan(0, 4, vocal), vocal, 0.5)
    assert slow.vocal_range.end == pytest.approx(vocal.downbeats[2])
    assert all(s.stem_gains["vocals"] == 1.0 for s in slow.sections)


@pytest.mark.parametrize("phase", [0, 1])
def test_real_bar_parity_reads_where_the_chords_change(phase):
    assert real_bar_parity(analysis(16, 180.0, chord_every=2, chord_phase=phase))[0] == phase
    assert real_bar_parity(analysis(16, 180.0, chord_every=2, chord_phase=phase))[1] > 0.5
    assert real_bar_parity(analysis(16, 180.0, chord_every=1))[1] < 0.2


def test_at_two_to_one_bar_one_lands_on_the_vocal_songs_real_bar():
    """A song tracked at twice its felt pulse: its real bar is two tracked bars,
    starting on odd tracked bars. A plan starting it on tracked bar 4 (mid-bar)
    is moved to bar 3, so its downbeat meets the instrumental's."""
    vocal = analysis(24, 180.0, chord_every=2, chord_phase=1)
    mapped, notes = follow_mapping(plan(4, 4, vocal), vocal, 2.0)
    assert mapped.vocal_start_bar == 3
    assert mapped.vocal_range.start == pytest.approx(vocal.downbeats[3])
    assert mapped.vocal_range.end == pytest.approx(vocal.downbeats[11])
    assert any("bar 1 meets" in n for n in notes)
    kept, notes = follow_mapping(plan(5, 4, vocal), vocal, 2.0)
    assert kept.vocal_start_bar == 5 and notes == []
    # chords on every bar say nothing about the real bar: kept, with a warning
    flat = analysis(24, 180.0, chord_every=1)
    unsure, notes = follow_mapping(plan(4, 4, flat), flat, 2.0)
    assert unsure.vocal_start_bar == 4 and any("unsure" in n for n in notes)
