"""Song analysis pieces that need no rendered song: key arithmetic, key
profiles on pure tones, the step 3.5 vocal file choice, and clear errors.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from musicmixer.analysis.analyze import analyze_file, analyze_song, vocal_stem_file
from musicmixer.analysis.key import estimate_key, key_shift_semitones
from musicmixer.analysis.structure import stem_bar_energy, vocal_regions
from musicmixer.errors import AnalysisError, MusicMixerError
from musicmixer.stems import LEAD_VOCAL_STEM, MIXED_VOCAL_STEM

SR = 44100


@pytest.mark.parametrize(
    "a, b, shift",
    [
        (("C", "major"), ("C", "major"), 0),
        (("C", "major"), ("D", "major"), 2),
        (("D", "major"), ("C", "major"), -2),
        (("C", "major"), ("A", "minor"), 0),  # relative minor: already compatible
        (("A", "minor"), ("C", "major"), 0),
        (("C", "major"), ("B", "major"), -1),  # down one beats up eleven
        (("E", "minor"), ("C", "major"), 5),  # up to A minor, C major's relative minor
        (("C", "major"), ("E", "minor"), -5),  # to G major, E minor's relative major
        (("F#", "major"), ("Gb", "major"), 0),  # enharmonic spellings agree
        (("Bb", "minor"), ("D", "minor"), 4),
    ],
)
def test_key_shift_smallest_signed(a, b, shift):
    assert key_shift_semitones(*a, *b) == shift


def test_key_shift_is_within_a_tritone_and_lands_compatible():
    names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    for ia, ka in enumerate(names):
        for ib, kb in enumerate(names):
            for ma in ("major", "minor"):
                for mb in ("major", "minor"):
                    s = key_shift_semitones(ka, ma, kb, mb)
                    assert -6 <= s <= 5
                    tonic = (ia + s) % 12
                    if ma == mb:
                        assert tonic == ib
                    elif ma == "major":
                        assert tonic == (ib + 3) % 12
                    else:
                        assert tonic == (ib + 9) % 12


def test_key_shift_rejects_unknown_names():
    with pytest.raises(AnalysisError, match="unknown key"):
        key_shift_semitones("H", "major", "C", "major")
    with pytest.raises(AnalysisError, match="unknown mode"):
        key_shift_semitones("C", "dorian", "C", "major")


def _chroma_of_progression(tonic: int, minor: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pitch-class frames of i-iv-V-i (or I-IV-V-I), and a bass on the roots."""
    third = 3 if minor else 4
    chords = [(0, third, 7), (5, 5 + third, 12), (7, 11, 14), (0, third, 7)]
    frames, bass = [], []
    for chord in chords:
        for _ in range(10):
            c = np.zeros(12)
            for p in chord:
                c[(tonic + p) % 12] += 1.0
            frames.append(c)
            b = np.zeros(12)
            b[(tonic + chord[0]) % 12] = 1.0
            bass.append(b)
    return np.array(frames).T, np.array(bass).T


@pytest.mark.parametrize("tonic, minor, name", [(0, False, "C"), (9, True, "A"),
                                                  (6, False, "F#"), (2, True, "D")])
def test_key_profiles_find_tonic_and_mode(tonic, minor, name):
    chroma, bass = _chroma_of_progression(tonic, minor)
    key, mode, conf = estimate_key(chroma, bass)
    assert (key, mode) == (name, "minor" if minor else "major")
    assert 0.0 < conf <= 1.0


def test_silent_input_is_a_clear_error():
    with pytest.raises(AnalysisError, match="silent"):
        analyze_song(np.zeros((2, SR * 10), dtype=np.float32), SR)


def test_very_short_input_is_a_clear_error():
    t = np.arange(SR * 2) / SR
    clip = np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    with pytest.raises(AnalysisError, match="a few bars"):
        analyze_song(clip, SR)


def test_nan_input_is_a_clear_error():
    audio = np.zeros((2, SR * 10), dtype=np.float32)
    audio[0, 5] = np.nan
    with pytest.raises(AnalysisError, match="NaN"):
        analyze_song(audio, SR)


@pytest.mark.parametrize("kind", ["noise", "drone"])
def test_audio_without_a_pulse_is_a_clear_error(kind):
    t = np.arange(SR * 8) / SR
    if kind == "noise":
        mono = 0.1 * np.random.default_rng(0).standard_normal(t.size)
    else:
        mono = 0.3 * np.sin(2 * np.pi * 220 * t)
    with pytest.raises(AnalysisError, match="no steady beat"):
        analyze_song(np.stack([mono, mono]).astype(np.float32), SR)


def test_click_track_at_another_rate_mono():
    """A bare click track at 48 kHz, mono: 100 BPM, beats on the clicks."""
    sr = 48000
    y = np.zeros(sr * 12, dtype=np.float32)
    clicks = [k * 0.6 for k in range(20)]
    for k, c in enumerate(clicks):
        i = int(c * sr)
        y[i : i + 200] += np.hanning(200).astype(np.float32) * (1.0 if k % 4 == 0 else 0.5)
    a = analyze_song(y, sr)
    assert a.tempo == pytest.approx(100.0, rel=0.01)
    assert len(a.beats) >= 18
    assert all(min(abs(b - c) for c in clicks) < 0.03 for b in a.beats)
    assert a.sections and a.sections[0].start_bar == 0


def test_analysis_error_is_a_musicmixer_error():
    assert issubclass(AnalysisError, MusicMixerError)


def _write(path, seconds=1.0):
    sf.write(str(path), np.zeros((int(SR * seconds), 2), dtype=np.float32), SR)


def test_vocal_stem_file_prefers_lead_vocals_in_seven_stem_mode(tmp_path):
    """Step 3.5: lead_vocals.wav in 7-stem mode, vocals.wav otherwise."""
    _write(tmp_path / f"{LEAD_VOCAL_STEM}.wav")
    _write(tmp_path / f"{MIXED_VOCAL_STEM}.wav")
    assert vocal_stem_file(tmp_path, True).name == f"{LEAD_VOCAL_STEM}.wav"
    assert vocal_stem_file(tmp_path, False).name == f"{MIXED_VOCAL_STEM}.wav"


def test_vocal_stem_file_falls_back(tmp_path):
    # karaoke pass failed: only vocals.wav although the flag is on
    _write(tmp_path / f"{MIXED_VOCAL_STEM}.wav")
    assert vocal_stem_file(tmp_path, True).name == f"{MIXED_VOCAL_STEM}.wav"
    (tmp_path / f"{MIXED_VOCAL_STEM}.wav").unlink()
    assert vocal_stem_file(tmp_path, True) is None
    assert vocal_stem_file(tmp_path, False) is None
    _write(tmp_path / f"{LEAD_VOCAL_STEM}.wav")
    assert vocal_stem_file(tmp_path, False).name == f"{LEAD_VOCAL_STEM}.wav"


def test_analyze_file_reports_a_silent_file(tmp_path):
    path = tmp_path / "quiet.wav"
    _write(path, seconds=10.0)
    with pytest.raises(AnalysisError, match="silent"):
        analyze_file(path)


def test_vocal_regions_bridge_short_rests():
    t = np.arange(SR * 6) / SR
    tone = np.sin(2 * np.pi * 300 * t).astype(np.float32) * 0.3
    gate = ((t > 1.0) & (t < 2.0)) | ((t > 2.2) & (t < 3.0)) | ((t > 4.5) & (t < 5.0))
    regions = vocal_regions(tone * gate, SR)
    assert len(regions) == 2
    (a0, b0), (a1, b1) = regions
    assert a0 == pytest.approx(1.0, abs=0.05) and b0 == pytest.approx(3.0, abs=0.05)
    assert a1 == pytest.approx(4.5, abs=0.05) and b1 == pytest.approx(5.0, abs=0.05)
    assert vocal_regions(np.zeros(SR * 2, dtype=np.float32), SR) == []


def test_stem_bar_energy_shares_one_scale():
    e = stem_bar_energy({"drums": np.array([0.5, 0.5, 0.0]), "bass": np.array([0.05, 0.5, 0.5])})
    assert e["drums"] == [1.0, 1.0, 0.0]
    assert e["bass"][1] == 1.0 and 0.4 < e["bass"][0] < 0.7


def test_a_band_that_drifts_is_not_refused():
    """Kicks and hats whose tempo swings +-6 % over 20 s, under noise: the
    song-long autocorrelation smears below the no-beat floor (0.11), 10 s spans
    do not (0.20)."""
    sr, secs, bpm = 22050, 60, 120.0
    rng = np.random.default_rng(5)
    y = 0.3 * rng.standard_normal(secs * sr)
    tone = np.arange(int(0.08 * sr)) / sr
    kick = np.exp(-tone * 40) * np.sin(2 * np.pi * 60 * tone * (1 + 2 * np.exp(-tone * 30)))
    hat = 0.3 * np.exp(-tone * 120) * rng.standard_normal(len(tone))
    t = 0.0
    while t < secs - 0.5:
        for sound, at in ((kick, t), (hat, t + 30.0 / bpm)):
            i = int(at * sr)
            y[i:i + len(sound)] += sound
        t += 60.0 / bpm / (1 + 0.06 * np.sin(2 * np.pi * t / 20.0))
    a = analyze_song(np.stack([y, y]).astype(np.float32), sr)
    assert abs(a.tempo / bpm - 1.0) < 0.05
