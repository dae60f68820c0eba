"""The offline lead/backing split on synthetic voices: harmonic tones with a
sung-like melody (notes, vibrato, syllable envelopes), placed as records place
voices (lead centred, harmonies panned wide)."""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.metrics import sdr
from musicmixer.separation.lead_f0 import track
from musicmixer.separation.stft import stft
from musicmixer.separation.vocal_split import split_vocals
from musicmixer.testsongs.mixdown import pan

SR = 44100
MELODY = (57, 60, 62, 64, 62, 60, 59, 57)  # MIDI, a note per half second
NOTE_S = 0.5


def voice(pitches, seed: int, partials: int = 14) -> np.ndarray:
    """A mono harmonic voice: one syllable per note, 5 Hz vibrato, breath noise."""
    rng = np.random.default_rng(seed)
    n = int(len(pitches) * NOTE_S * SR)
    t = np.arange(n) / SR
    note = np.minimum((t / NOTE_S).astype(int), len(pitches) - 1)
    f0 = 440.0 * 2 ** ((np.asarray(pitches)[note] - 69) / 12.0)
    f0 = f0 * (1 + 0.006 * np.sin(2 * np.pi * 5.0 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    out = sum(np.sin(h * phase + rng.uniform(0, 6)) / h for h in range(1, partials + 1)
              if h * 440.0 * 2 ** ((max(pitches) - 69) / 12.0) < 8000)
    local = (t % NOTE_S) / NOTE_S
    envelope = np.minimum(1.0, local / 0.06) * np.minimum(1.0, (1 - local) / 0.1)
    out = out * envelope + 0.003 * rng.standard_normal(n)
    return (0.1 * out / np.sqrt(np.mean(out ** 2))).astype(np.float32)


def level_db(a: np.ndarray, b: np.ndarray) -> float:
    """Energy of a relative to b, in dB."""
    ea, eb = (float(np.sum(x.astype(np.float64) ** 2)) for x in (a, b))
    return 10 * np.log10(ea / eb + 1e-30)


def stereo(mono: np.ndarray, position: float) -> np.ndarray:
    return pan(np.stack([mono, mono]), position)


@pytest.fixture(scope="module")
def lead():
    return stereo(voice(MELODY, seed=1), 0.0)


@pytest.fixture(scope="module")
def harmony():
    """A third above the lead (4 semitones; the melody's diatonic third would
    vary), 6 dB down, panned wide left."""
    return 0.5 * stereo(voice([p + 4 for p in MELODY], seed=2), -0.75)


def test_lead_plus_backing_is_the_vocal_stem(lead, harmony):
    vocals = lead + harmony + 0.5 * stereo(voice([p - 5 for p in MELODY], seed=3), 0.75)
    out = split_vocals(vocals)
    assert out.lead.shape == out.backing.shape == vocals.shape
    assert out.lead.dtype == out.backing.dtype == np.float32
    assert np.max(np.abs(out.lead + out.backing - vocals)) < 1e-6


def test_a_mono_solo_voice_leaves_the_backing_silent(lead):
    out = split_vocals(lead)
    level = level_db(out.backing, out.lead)
    assert level <= -30.0
    assert "mono" in out.reason


def test_a_centred_voice_with_stereo_noise_stays_in_the_lead(lead):
    """A solo voice that is not bit-identical across channels (a little
    independent noise per side, as a separator leaves) still goes to the lead."""
    rng = np.random.default_rng(7)
    vocals = lead + 0.002 * rng.standard_normal(lead.shape).astype(np.float32)
    out = split_vocals(vocals)
    level = level_db(out.backing, out.lead)
    assert level <= -30.0


def test_a_wide_harmony_a_third_above_goes_to_the_backing(lead, harmony):
    vocals = lead + harmony
    out = split_vocals(vocals)
    # most of the harmony's energy is in the backing stem, little of the lead's
    assert sdr(harmony, out.backing) >= 8.0
    assert sdr(lead, out.lead) >= sdr(lead, vocals) + 8.0
    captured = np.sum(out.backing * harmony) / np.sum(harmony * harmony)
    assert captured > 0.8


def test_the_tracker_follows_the_lead_not_the_quieter_harmony(lead, harmony):
    vocals = lead + harmony
    mid = np.abs(stft(0.5 * (vocals[0] + vocals[1]), 4096))
    f0 = track(mid, SR, 4096)
    hop_s = 1024 / SR
    frames = np.arange(len(f0)) * hop_s - 4096 / SR  # frame centres, padding removed
    inside = (frames > 0.1) & (frames < len(MELODY) * NOTE_S - 0.1)
    note = np.clip((frames / NOTE_S).astype(int), 0, len(MELODY) - 1)
    expect = 440.0 * 2 ** ((np.asarray(MELODY)[note] - 69) / 12.0)
    cents = 1200 * np.abs(np.log2(np.maximum(f0, 1.0) / expect))
    assert np.mean(cents[inside] < 50) > 0.8


def test_backing_is_near_silent_where_only_the_lead_sings(lead, harmony):
    """Harmony in the second half only, and a separator's off-centre bleed
    (noise panned wide, 30 dB under the lead) throughout: in the first half
    the activity gate hands the bleed to the lead, so the backing stays near
    silent (without the gate it sits about 34 dB under the lead); the second
    half's backing carries the harmony."""
    half = lead.shape[1] // 2
    late = harmony.copy()
    late[:, :half] = 0.0
    noise = np.random.default_rng(5).standard_normal(lead.shape[1]).astype(np.float32)
    bleed = stereo(noise, 0.8)
    bleed *= np.sqrt(np.sum(lead ** 2) / np.sum(bleed ** 2)) * 10 ** (-30 / 20)
    out = split_vocals(lead + late + bleed)
    first = slice(0, half - SR // 4)
    assert level_db(out.backing[:, first], lead[:, first]) <= -40.0
    assert sdr(late[:, half:], out.backing[:, half:]) >= 6.0


def test_a_centred_unison_double_stays_in_the_lead(lead):
    """A double of the lead at the centre (25 ms late) has no cue to split on:
    it stays with the lead rather than leaving a garbled half."""
    lag = int(0.025 * SR)
    double = np.zeros_like(lead)
    double[:, lag:] = 0.5 * lead[:, :-lag]
    out = split_vocals(lead + double)
    assert level_db(out.backing, out.lead) <= -30.0


def test_a_lone_voice_panned_wide_stays_in_the_lead(lead):
    """When the only voice is off-centre, pan says backing but the voice is
    the predominant one: the cues disagree, so everything stays in the lead."""
    wide = stereo(lead[0], -0.75)
    out = split_vocals(wide)
    assert level_db(out.backing, out.lead) <= -30.0
    assert "off-centre" in out.reason
