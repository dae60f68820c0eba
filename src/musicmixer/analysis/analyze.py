"""The analyze stage (steps 2 and 3.5): a song and its stems in, a `SongAnalysis` out.

`analyze_song` works on arrays; `analyze_file` loads a mix and whatever stem
WAVs sit next to it. Stems sharpen every estimate but none is required: beats
read the drum stem alongside the mix, beat phase and bar 1 its kick and snare
bands and the bass stem (`meter`), key and bar phase read the harmonic
stems (everything but the drums), the vocal analysis reads the lead vocal in
7-stem mode (step 3.5), and structure reads which stems play where.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..errors import AnalysisError
from ..stems import (
    ALL_STEMS,
    LEAD_VOCAL_STEM,
    MIXED_VOCAL_STEM,
    SEVEN_STEMS,
    VOCAL_STEM_NAMES,
)
from . import beats as beatmod
from .character import all_characters
from .features import CHROMA_FPS, FPS, compute_chroma, compute_features, to_mono
from .key import estimate_key
from .levels import metrical_levels
from .meter import MeterCues, decide_meter, meter_warnings
from .model import SongAnalysis, TempoLevel
from .octave import level_drum_bands
from .periodicity import normalise
from .stem_reader import StemInput, StemReader
from .structure import (
    bar_edges,
    bar_features,
    bar_rms,
    build_sections,
    stem_active,
    stem_bar_energy,
    to_db,
    vocal_regions,
)
from .vocal_pitch import median_sung_pitch

DRUM_STEM = "drums"
BASS_STEM = "bass"
MIN_DURATION_S = 6.0  # two bars at 80 BPM: less than this has no bar grid to find
MIN_BARS = 2
SILENT_DBFS = -60.0


def vocal_stem_file(stem_dir: str | os.PathLike, vocal_sub_separation: bool) -> Path | None:
    """Step 3.5: the WAV the vocal analysis reads.

    7-stem mode (`vocal_sub_separation`) reads `lead_vocals.wav`, falling back to
    `vocals.wav` (the karaoke pass failed and kept the mixed vocals); 4/6-stem
    mode reads `vocals.wav`, falling back to `lead_vocals.wav`. None when neither exists.
    """
    order = ([LEAD_VOCAL_STEM, MIXED_VOCAL_STEM] if vocal_sub_separation
             else [MIXED_VOCAL_STEM, LEAD_VOCAL_STEM])
    for name in order:
        path = Path(stem_dir) / f"{name}.wav"
        if path.is_file():
            return path
    return None


def _known_stem_names() -> list[str]:
    names: list[str] = []
    for name in [*SEVEN_STEMS, *ALL_STEMS]:
        if name not in names:
            names.append(name)
    return names


def analyze_file(path: str | os.PathLike, stem_dir: Path | None = None, *,
                 vocal_sub_separation: bool = False) -> SongAnalysis:
    """Analyse a song file, with the stem WAVs found in `stem_dir` if given."""
    path = Path(path)
    audio = load_audio(path)
    stems: dict[str, StemInput] = {}
    vocal_name = None
    if stem_dir is not None:
        for name in _known_stem_names():
            f = Path(stem_dir) / f"{name}.wav"
            if f.is_file():
                stems[name] = f  # read when the analysis gets to it
        vfile = vocal_stem_file(stem_dir, vocal_sub_separation)
        vocal_name = vfile.stem if vfile is not None else None
    title, artist = file_tags(path)
    return analyze_song(audio, 44100, stems or None, title=title or path.stem, artist=artist,
                        vocal_stem=vocal_name)


def file_tags(path: Path) -> tuple[str | None, str | None]:
    """Title and artist from the file's metadata where libsndfile can read them."""
    try:
        import soundfile as sf

        with sf.SoundFile(str(path)) as f:
            return (f.title or None), (f.artist or None)
    except Exception:
        return None, None


def _pick_vocal(stems: Mapping[str, np.ndarray], vocal_stem: str | None) -> str | None:
    if vocal_stem is not None and vocal_stem in stems:
        return vocal_stem
    for name in (LEAD_VOCAL_STEM, MIXED_VOCAL_STEM):
        if name in stems:
            return name
    return next((n for n in stems if n in VOCAL_STEM_NAMES), None)


def _validate(audio: np.ndarray, sr: int) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim not in (1, 2) or audio.size == 0:
        raise AnalysisError("cannot analyse: the audio is empty")
    if not np.all(np.isfinite(audio)):
        raise AnalysisError("cannot analyse: the audio holds NaN or infinite samples")
    duration = audio.shape[-1] / sr
    if duration < MIN_DURATION_S:
        raise AnalysisError(
            f"cannot analyse a {duration:.1f} s clip: a song needs at least "
            f"{MIN_DURATION_S:.0f} s (a few bars) to find its tempo and bars")
    mono = to_mono(audio)
    rms = float(np.sqrt(np.mean(np.square(mono, dtype=np.float64))))
    if 20 * np.log10(max(rms, 1e-12)) < SILENT_DBFS:
        raise AnalysisError(
            f"cannot analyse: the audio is silent (level {20 * np.log10(max(rms, 1e-12)):.0f} dBFS)")
    return audio


def analyze_song(audio: np.ndarray, sr: int = 44100,
                 stems: Mapping[str, StemInput] | None = None, *, title: str | None = None,
                 artist: str | None = None, vocal_stem: str | None = None) -> SongAnalysis:
    """Beats, downbeats, tempo, key, sections, per-stem energy and character.

    `stems` maps stem names (any of the vocabularies in `musicmixer.stems`) to
    arrays at `sr` or their files, which are read one at a time when needed
    (`StemReader`: the same results, one stem in memory); `vocal_stem` names the one the vocal analysis reads (default:
    lead_vocals, else vocals).
    """
    audio = _validate(audio, sr)
    stems = StemReader(stems, sr)
    duration = audio.shape[-1] / sr
    harmonic_names = [n for n in stems if n != DRUM_STEM]
    mix = compute_features(audio, sr, with_chroma=not harmonic_names)

    # beats: the mix's onsets, sharpened by the drum stem's where there is one
    stem_feats = {n: compute_features(stems[n], sr, with_chroma=False) for n in stems}
    env = mix_env = normalise(mix.onset)
    if DRUM_STEM in stems:
        drums = stem_feats[DRUM_STEM]
        m = min(len(env), drums.n_frames)
        env = 0.5 * env[:m] + 0.5 * normalise(drums.onset[:m])
    # harmony (key, bar phase, structure): everything but the drums
    # ... split into the band's pitched stems and the vocals, whose pitch
    # content step 8.5 compares bar by bar when the keys are unsure
    band_names = [n for n in harmonic_names if n not in VOCAL_STEM_NAMES]
    voice_names = [n for n in harmonic_names if n in VOCAL_STEM_NAMES]
    band_chroma = voice_chroma = None
    if band_names:
        band_chroma, bass_chroma = compute_chroma(_mono_sum(stems, band_names), sr)
    if voice_names:
        voice_chroma, voice_bass = compute_chroma(_mono_sum(stems, voice_names), sr)
        bass_chroma = voice_bass if band_chroma is None else bass_chroma + voice_bass
    if band_chroma is not None or voice_chroma is not None:
        # power chroma of the sum, as the sum of the parts' (cross terms left out)
        chroma = np.sum([c for c in (band_chroma, voice_chroma) if c is not None], axis=0)
    else:
        chroma, bass_chroma = mix.chroma, mix.bass_chroma
    low_env = mix.low_onset
    if BASS_STEM in stems:
        bass = stem_feats[BASS_STEM]
        m = min(len(low_env), bass.n_frames)
        low_env = 0.5 * normalise(low_env[:m]) + 0.5 * normalise(bass.onset[:m])

    # the tempo family from the mix alone, so that stems never move it to
    # another tempo (`estimate_beats`); a drum stem in that family lends its
    # snare and kick to the choice of octave (`level_drum_bands`)
    drum_feats = stem_feats.get(DRUM_STEM)
    drum_bands = level_drum_bands(
        mix_env, mix.mid_onset, None if drum_feats is None else normalise(drum_feats.onset),
        None if drum_feats is None else drum_feats.mid_onset,
        None if drum_feats is None else drum_feats.low_onset)
    # the low band (kicks, bass roots) picks the phase a slipped grid is put back on
    low_beat_env = normalise(mix.low_onset)
    if drum_feats is not None:
        m = min(len(low_beat_env), drum_feats.n_frames)
        low_beat_env = (0.5 * low_beat_env[:m]
                        + 0.5 * normalise(drum_feats.low_onset[:m]))
    # ... or, where the low band favours both sides of a slip, the drums' backbeat
    backbeat_env = None if drum_feats is None else normalise(drum_feats.mid_onset)
    tempo, tempo_conf, beat_times = beatmod.estimate_beats(env, tempo_env=mix_env,
                                                           drums=drum_bands,
                                                           phase_env=low_beat_env,
                                                           backbeat_env=backbeat_env)
    beat_times = beat_times[(beat_times >= -0.05) & (beat_times < duration)]
    beat_times = np.maximum(beat_times, 0.0)
    if len(beat_times) < MIN_BARS * 4:
        raise AnalysisError(
            f"cannot analyse: found only {len(beat_times)} beats in {duration:.1f} s; "
            "the audio needs a steady pulse over at least a few bars")
    levels = [TempoLevel(level=n, bpm=round(b, 3), score=round(s, 4))
              for n, b, s in metrical_levels(mix_env, tempo, drum_bands)]
    mix_band_db = 10.0 * np.log10(mix.bands + 1e-10)  # spectral balance: bar 1 and structure
    cues = MeterCues(
        low=low_env, chroma=chroma,
        kick=drum_feats.low_onset if drum_feats is not None else mix.low_onset,
        snare=drum_feats.mid_onset if drum_feats is not None else None,
        bass=stem_feats[BASS_STEM].onset if BASS_STEM in stem_feats else None,
        balance=mix_band_db,
        drum_stem=drum_feats is not None)
    meter = decide_meter(beat_times, cues, env, duration)
    beat_times = meter.beats
    downbeats = beat_times[meter.downbeat::4]

    # The key reads the vocals too: power chords carry no third, the voice does
    # (14 generated hard-set songs: MIREX 0.77 from the band stems alone, 0.94 with vocals).
    key, mode, key_conf = estimate_key(chroma, bass_chroma)

    # step 3.5: the bar grid, per-bar energies, sections, vocal activity
    bar_s = 4 * 60.0 / tempo
    edges = bar_edges(downbeats, duration, bar_s)
    mix_rms = bar_rms(audio, sr, edges)
    stem_rms = {n: bar_rms(stems[n], sr, edges) for n in stems}
    band_db = _bar_mean(mix_band_db.T, edges, FPS)
    bar_chroma = _bar_mean(_norm_cols(chroma).T, edges, CHROMA_FPS)
    names = list(stems)
    stem_db = (np.stack([np.maximum(to_db(stem_rms[n]), -80.0) for n in names], axis=1)
               if names else None)
    feats = bar_features(band_db, stem_db, bar_chroma)
    vocal_name = _pick_vocal(stems, vocal_stem)
    harmony_bars = pitch_content(band_chroma if band_chroma is not None else chroma, edges)
    vocal_bars: list[list[float]] = []
    if vocal_name:
        alone = voice_chroma if voice_names == [vocal_name] else None
        if alone is None:
            alone = compute_chroma(stems[vocal_name], sr)[0]
        vocal_bars = pitch_content(alone, edges)
    song_peak = max([float(v.max()) for v in stem_rms.values()] + [1e-9])
    active_bars = {n: stem_active(stem_rms[n], song_peak) for n in names}
    vocal_active = active_bars.get(vocal_name) if vocal_name else None
    drum_bars = active_bars.get(DRUM_STEM)
    sections = build_sections(edges, feats, mix_rms, vocal_active, drum_bars,
                              with_stems=bool(names))
    vocals = vocal_regions(stems[vocal_name], sr) if vocal_name else []
    pitch = median_sung_pitch(stems[vocal_name], sr, vocals) if vocal_name and vocals else None

    onset_rate = {n: _onsets_per_beat(stem_feats[n], len(beat_times)) for n in names}
    characters = all_characters(stem_rms, active_bars, onset_rate)

    return SongAnalysis(
        duration=round(duration, 4), sample_rate=sr, tempo=round(tempo, 3),
        tempo_confidence=round(tempo_conf, 4), tempo_levels=levels,
        tempo_level_confidence=next(lv.score for lv in levels if lv.level == "beat"),
        beats=[round(float(t), 4) for t in beat_times],
        downbeats=[round(float(t), 4) for t in downbeats], beats_per_bar=4,
        key=key, mode=mode, key_confidence=round(key_conf, 4), sections=sections,
        stem_bar_energy=stem_bar_energy(stem_rms),
        bar_energy=stem_bar_energy({"mix": mix_rms})["mix"],
        vocal_activity=vocals, vocal_stem=vocal_name, vocal_pitch_hz=pitch,
        stem_character=characters,
        title=title, artist=artist,
        phase_confidence=round(meter.phase_confidence, 4),
        downbeat_confidence=round(meter.downbeat_confidence, 4),
        warnings=meter_warnings(meter),
        harmony_bar_chroma=harmony_bars, vocal_bar_chroma=vocal_bars,
    )


PITCH_FLOOR = 0.05  # a bar this much quieter (chroma magnitude) than the loudest has no pitch


def pitch_content(chroma: np.ndarray, edges: np.ndarray) -> list[list[float]]:
    """Per bar, the share of each pitch class (magnitude chroma, summing to 1);
    all zeros where the signal is silent."""
    mag = _bar_mean(np.sqrt(np.maximum(chroma, 0.0)).T, edges, CHROMA_FPS)
    level = mag.sum(axis=1)
    top = float(level.max()) if level.size else 0.0
    out = []
    for row, lev in zip(mag, level):
        keep = top > 0 and lev >= PITCH_FLOOR * top
        out.append([round(float(x), 3) for x in (row / lev if keep else np.zeros(12))])
    return out


def _mono_sum(stems: Mapping[str, np.ndarray], names: list[str]) -> np.ndarray:
    return np.sum([to_mono(stems[n]) for n in names], axis=0)


def _norm_cols(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(x.sum(axis=0, keepdims=True), 1e-12)


def _bar_mean(frames: np.ndarray, edges: np.ndarray, fps: float) -> np.ndarray:
    """Mean of (T, d) frame features inside each bar."""
    out = np.zeros((len(edges) - 1, frames.shape[1]))
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        fa = int(a * fps)
        fb = max(int(b * fps), fa + 1)
        seg = frames[fa:fb]
        if len(seg):
            out[i] = seg.mean(axis=0)
    return out


def _onsets_per_beat(f, n_beats: int) -> float:
    """Onset peaks per beat of a stem, over the time it plays."""
    env = f.onset
    if env.max() <= 0 or n_beats == 0:
        return 0.0
    thr = env.max() * 0.1
    peaks = (env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & (env[1:-1] > thr)
    loud = to_db(f.rms) > to_db(np.array([f.rms.max()]))[0] - 30
    frac = max(loud.mean(), 1e-3)
    return float(peaks.sum()) / (n_beats * frac)


__all__ = ["analyze_song", "analyze_file", "vocal_stem_file"]
