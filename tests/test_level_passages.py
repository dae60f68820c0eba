"""A long song's beat level is the one most of its passages play
(`octave.level_windows`): read whole, one loud double-time part once made a
95 BPM song 190."""

from __future__ import annotations

import numpy as np

from musicmixer.analysis.beats import choose_level
from musicmixer.analysis.features import FPS
from musicmixer.analysis.levels import metrical_levels
from musicmixer.analysis.octave import LEVEL_WINDOW_S, DrumBands, level_windows

BEAT_S = 60.0 / 95.0


def _hits(n: int, times: np.ndarray, amp: float) -> np.ndarray:
    x = np.zeros(n)
    idx = np.round(times * FPS).astype(int)
    np.add.at(x, idx[(idx >= 0) & (idx < n)], amp)
    return x


def _drums(parts: list[tuple[str, float]]) -> tuple[np.ndarray, DrumBands]:
    """Onset envelope and drum bands of passages played "straight" (95 BPM: kick
    on 1 and 3, snare on 2 and 4, eighth-note hats) or "double" (the snare on
    every other beat of 190, sixteenth-note hats), each for its seconds."""
    n = int(sum(s for _, s in parts) * FPS)
    kick, snare, hat = np.zeros(n), np.zeros(n), np.zeros(n)
    at = 0.0
    for feel, seconds in parts:
        beat = BEAT_S if feel == "straight" else BEAT_S / 2
        pulse = np.arange(at, at + seconds, beat)
        kick += _hits(n, pulse[0::2], 1.0)
        snare += _hits(n, pulse[1::2], 1.0)
        hat += _hits(n, np.arange(at, at + seconds, beat / 2), 0.3)
        at += seconds
    return kick + snare + hat, DrumBands(snare, separated=True, kick=kick)


def test_a_long_song_reads_the_level_most_of_its_passages_play():
    env, drums = _drums([("straight", 180.0), ("double", 60.0)])
    bpm, _ = choose_level(env, 95.0, drums=drums)
    assert bpm == 95.0
    scores = {name: score for name, _, score in metrical_levels(env, bpm, drums)}
    assert scores["beat"] > max(scores["double"], scores["half"])
    assert 0.0 <= min(scores.values()) and abs(sum(scores.values()) - 1.0) < 1e-9


def test_a_song_mostly_in_double_time_reads_double():
    env, drums = _drums([("straight", 60.0), ("double", 180.0)])
    assert choose_level(env, 95.0, drums=drums)[0] == 190.0


def test_an_excerpt_is_read_whole_and_a_long_song_by_overlapping_passages():
    win = int(LEVEL_WINDOW_S * FPS)
    assert level_windows(np.ones(int(80 * FPS))) == [slice(0, int(80 * FPS))]
    spans = level_windows(np.random.default_rng(0).random(int(200 * FPS)))
    assert all(s.stop - s.start == win for s in spans)
    assert spans[0].start == 0 and spans[-1].stop == int(200 * FPS)
    assert all(b.start - a.start <= win // 2 for a, b in zip(spans, spans[1:], strict=False))
    quiet = np.zeros(int(200 * FPS))
    quiet[: int(25 * FPS)] = 1.0 + np.sin(np.arange(int(25 * FPS)))  # sound in one passage only
    assert level_windows(quiet) == [slice(0, len(quiet))]
