"""On the beat, not just the same tempo: a vocal song at another tempo, whose
tempo also drifts, warped onto the instrumental's grid (steps 8-9).

The probe is a click on every true downbeat of the vocal song, pushed through
the same time map and Rubber Band pass as the vocal stems; each click must
come out on the instrumental's true downbeat. The analyses are the real ones
(beats tracked from the audio), so this checks tracking and warping together.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np
import pytest
from pipeline_helpers import SONG_CACHE

from musicmixer.analysis.analyze import analyze_song
from musicmixer.config import load_settings
from musicmixer.interpreter import interpret
from musicmixer.mix.align import vocal_time_map
from musicmixer.mix.keymatch import KeyDecision
from musicmixer.mix.prepare import stretch_and_shift
from musicmixer.mix.tempo import local_bpm, plan_tempo
from musicmixer.stems import FOUR_STEMS
from musicmixer.testsongs import SongSpec, generate_song

SR = 44100


@pytest.fixture(scope="module")
def drifting_pair():
    vocal = generate_song(SongSpec(tempo=118.0, key="C", mode="major", bars=12, seed=11,
                                   title="Drift V", voices="gm", tempo_drift=0.12), SONG_CACHE)
    inst = generate_song(SongSpec(tempo=96.0, key="C", mode="major", bars=12, seed=12,
                                  title="Drift I", voices="gm"), SONG_CACHE)
    return vocal, inst


def analysed(song):
    stems = song.truth_stems(FOUR_STEMS)
    return analyze_song(song.load_mix(), SR, stems, title=song.spec.title)


def click_track(times, n):
    out = np.zeros((2, n), np.float32)
    burst = (np.hanning(220) * np.sin(2 * np.pi * 2000 * np.arange(220) / SR)).astype(np.float32)
    for t in times:
        i = int(round(t * SR))
        if 0 <= i < n - 220:
            out[:, i:i + 220] += 0.5 * burst
    return out


def click_times(audio, expected, window=0.15):
    env = np.abs(audio[0])
    found = []
    for t in expected:
        lo, hi = int((t - window) * SR), int((t + window) * SR)
        if lo < 0 or hi > len(env) or env[lo:hi].max() < 0.05:
            continue
        found.append((lo + int(np.argmax(env[lo:hi])) - 110) / SR)  # burst centre -> start
    return np.asarray(found)


def test_vocal_downbeats_land_on_instrumental_downbeats(drifting_pair):
    vocal_song, inst_song = drifting_pair
    va, ia = analysed(vocal_song), analysed(inst_song)
    plan = interpret(va, ia, "vocals from song A over song B", settings=load_settings())
    assert plan.vocal_source == "song_a"
    tempo = plan_tempo(local_bpm(va.beats, plan.vocal_range.start, plan.vocal_range.end, va.tempo),
                       local_bpm(ia.beats, plan.instrumental_range.start,
                                 plan.instrumental_range.end, ia.tempo))
    assert tempo.vocal_ratio > 1.15  # a real stretch, not a near-identity

    v0, v1 = plan.vocal_range.start, plan.vocal_range.end
    truth_v = np.asarray(vocal_song.truth["downbeats"])
    truth_i = np.asarray(inst_song.truth["downbeats"])
    probe = click_track(truth_v - v0, int((v1 - v0) * SR))
    anchors = vocal_time_map(va, ia, plan, segment_start=v0, segment_end=v1)
    n_out = int((plan.instrumental_range.end - plan.instrumental_range.start) * SR)
    warped, _ = stretch_and_shift({"vocals": probe}, {}, SR, anchors=anchors, n_out=n_out,
                                  tempo=tempo, key=KeyDecision("C", "C", 0, 0, 0))

    k0 = int(np.argmin(np.abs(truth_v - v0)))
    i0 = int(np.argmin(np.abs(truth_i - plan.instrumental_range.start)))
    count = min(len(truth_v) - k0, len(truth_i) - i0)
    expected = truth_i[i0:i0 + count] - plan.instrumental_range.start
    expected = expected[(expected >= 0) & (expected < n_out / SR - 0.2)]
    found = click_times(warped["vocals"], expected)
    assert len(found) >= 6 and len(found) >= len(expected) - 1
    offsets = np.abs(found - expected[:len(found)]) if len(found) == len(expected) else \
        np.abs([f - expected[np.argmin(np.abs(expected - f))] for f in found])
    assert np.median(offsets) <= 0.020
    assert np.max(offsets) <= 0.050
    # a single global ratio would have drifted: the drift the beat map fixes is real
    global_times = (truth_v[k0:k0 + len(expected)] - v0) * tempo.vocal_ratio
    assert np.max(np.abs(global_times - expected)) > 0.08


@pytest.fixture(scope="module")
def double_time_pair():
    vocal = generate_song(SongSpec(tempo=190.0, key="G", mode="major", bars=24, seed=45,
                                   title="Vocal 190", voices="gm", feel="straight"), SONG_CACHE)
    inst = generate_song(SongSpec(tempo=95.0, key="G", mode="major", bars=12, seed=46,
                                  title="Band 95", voices="gm", feel="straight"), SONG_CACHE)
    return vocal, inst


def test_at_two_to_one_two_vocal_bars_fill_each_instrumental_bar(double_time_pair):
    """190 over 95: clicks on the vocal song's true downbeats, warped by the 2:1
    beat map through Rubber Band, land on the instrumental's true downbeats and
    half bars (its beat 3)."""
    from musicmixer.mix.align import vocal_range_for

    vocal_song, inst_song = double_time_pair
    va, ia = analysed(vocal_song), analysed(inst_song)
    plan = interpret(va, ia, "vocals from song A over song B", settings=load_settings())
    tempo = plan_tempo(va.tempo, ia.tempo)
    assert tempo.mapping == "2:1"
    v0, v1 = plan.vocal_range.start, vocal_range_for(plan, va, 2.0).end
    truth_v = np.asarray(vocal_song.truth["downbeats"])
    truth_i = np.asarray(inst_song.truth["beats"])
    probe = click_track(truth_v - v0, int((v1 - v0) * SR))
    anchors = vocal_time_map(va, ia, plan, segment_start=v0, segment_end=v1,
                             vocal_beats_per_beat=2.0)
    n_out = int((plan.instrumental_range.end - plan.instrumental_range.start) * SR)
    warped, _ = stretch_and_shift({"vocals": probe}, {}, SR, anchors=anchors, n_out=n_out,
                                  tempo=tempo, key=KeyDecision("G", "G", 0, 0, 0))
    b0 = int(np.argmin(np.abs(truth_i - plan.instrumental_range.start)))
    expected = truth_i[b0::2] - plan.instrumental_range.start  # downbeats and half bars
    last = min(n_out / SR, anchors[-1, 1]) - 0.2  # where the vocal song's bars run out
    expected = expected[(expected >= 0.15) & (expected < last)]
    found = click_times(warped["vocals"], expected)
    assert len(found) >= 8 and len(found) >= len(expected) - 1
    offsets = np.abs([f - expected[np.argmin(np.abs(expected - f))] for f in found])
    assert np.median(offsets) <= 0.020
    assert np.max(offsets) <= 0.050
