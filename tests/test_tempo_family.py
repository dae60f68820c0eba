"""Which tempo family the onsets say (analysis/periodicity.strongest_tempo):
the comb filter's top score, unless a near-equal rival's beat divides where
the top family's does not."""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.analysis.analyze import analyze_song
from musicmixer.analysis.features import FPS, compute_features
from musicmixer.analysis.periodicity import (
    normalise,
    same_family,
    strongest_tempo,
    tempo_candidates,
)

SR = 44100


def _figure_in_fives(sixteenths: float, kick: float = 1.0, accent: float = 0.5,
                     seconds: float = 40.0) -> np.ndarray:
    """An onset envelope at 170 BPM: `sixteenths` on every sixteenth note
    (tremolo guitars), a `kick` on every beat, and an `accent` every five
    sixteenths (a riff grouped in fives, which repeats at 136 and 68 BPM)."""
    rng = np.random.default_rng(3)
    env = np.zeros(int(seconds * FPS))
    step = 60.0 / 170.0 / 4
    for k in range(int((seconds - 0.1) / step)):
        env[int(round(k * step * FPS))] += sixteenths + kick * (k % 4 == 0) + accent * (k % 5 == 0)
    env += 0.05 * rng.random(len(env))
    return np.convolve(env, [0.5, 1.0, 0.5], "same")


def test_a_riff_grouped_in_fives_leaves_the_beat_at_170():
    env = _figure_in_fives(0.5)
    bpms, scores = tempo_candidates(env)
    top = float(bpms[int(np.argmax(scores))])
    assert same_family(top, 136.0)  # the comb filter alone follows the fives
    assert strongest_tempo(env, bpms, scores) == pytest.approx(170.0, rel=0.01)


def test_a_rival_whose_beat_does_not_divide_either_leaves_the_top_score():
    """Kicks on the beat and the accents in fives, nothing between: 170 BPM
    scores within 2 % of the fives but does not divide either, and the top
    score stands."""
    env = _figure_in_fives(0.0, kick=2.0, accent=1.5)
    bpms, scores = tempo_candidates(env)
    top = float(bpms[int(np.argmax(scores))])
    assert same_family(top, 136.0)
    assert float(scores[np.argmin(abs(bpms - 169.5))]) > 0.95 * float(scores.max())
    assert strongest_tempo(env, bpms, scores) == top


def test_same_family_is_octaves_only():
    assert same_family(170.0, 85.0) and same_family(68.0, 136.5) and same_family(95.0, 95.0)
    assert not same_family(170.0, 136.0) and not same_family(120.0, 180.0)


def _riff_in_fives(seconds: float = 30.0, bpm: float = 170.0) -> np.ndarray:
    """Audio: picked chords on every sixteenth note, a kick on every beat, hats
    on the eighths and a low accent every five sixteenths."""
    rng = np.random.default_rng(5)
    mix = np.zeros(int(seconds * SR))
    t = np.arange(int(0.12 * SR)) / SR
    kick = np.exp(-t * 25) * np.sin(2 * np.pi * 55 * t)
    pick = np.exp(-t * 40) * sum(np.sin(2 * np.pi * f * t) for f in (196.0, 294.0, 392.0))
    accent = np.exp(-t * 15) * (0.5 * rng.standard_normal(len(t))
                                + sum(np.sin(2 * np.pi * f * t) for f in (98.0, 147.0)))
    hat = np.exp(-t * 80) * rng.standard_normal(len(t)) * (t < 0.03)
    step = 60.0 / bpm / 4
    for k in range(int((seconds - 0.2) / step)):
        i = int(round(k * step * SR))
        mix[i:i + len(t)] += (0.3 * pick + 4.0 * kick * (k % 4 == 0) + 0.2 * accent * (k % 5 == 0)
                              + 0.3 * hat * (k % 2 == 0))
    return np.stack([mix, mix]).astype(np.float32) * 0.1


def test_a_song_whose_riff_is_grouped_in_fives_is_analysed_at_170():
    audio = _riff_in_fives()
    env = normalise(compute_features(audio, SR, with_chroma=False).onset)
    bpms, scores = tempo_candidates(env)
    assert same_family(float(bpms[int(np.argmax(scores))]), 136.0)
    assert analyze_song(audio, SR).tempo == pytest.approx(170.0, rel=0.01)
