"""Steps 7.7-11.5: make the trimmed stems of two songs fit together.

Each step is its own function over the stem dicts, so each can be tested and
timed alone; `prepare` runs them in step order. Vocal steps iterate over
whatever vocal stems there are (`vocals`, or `lead_vocals` + `backing_vocals`):
what 7-stem mode needs at steps 7.7, 9, 11 and 11.5.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np

from musicmixer.audio import SAMPLE_RATE
from musicmixer.config import Settings
from musicmixer.dsp import (
    apply_corrective_eq,
    compress_vocal,
    level_match_vocal_stems_with_gain,
    notch_resonances,
    vocal_bandpass,
)
from musicmixer.dsp.level_match import sum_stems
from musicmixer.stems import VOCAL_STEM_NAMES

from . import rubberband
from .align import active_regions, map_time, output_beat_times, region_map, vocal_time_map

NEVER_PITCH_SHIFTED = frozenset({"drums"})
RUBBERBAND_WORKERS = 2
SPLIT_MIN_S = 20.0  # vocal regions longer than this are cut in two at a pause
SPLIT_OVERLAP_S = 0.05  # each side of the cut; crossfaded
SPLIT_QUIET_DB = 20.0  # the cut point must be this far under the region's peak
StemStep = Callable[[str, str, np.ndarray], np.ndarray]  # (bus "v"/"i", stem name, audio)


@dataclass(frozen=True)
class StemId:
    """A stem on its bus: "v" (vocal) or "i" (instrumental), and its name."""

    bus: str
    name: str


@dataclass(frozen=True)
class Fades:
    """A split vocal piece's crossfades over its overlap (source seconds), mapped
    through the piece's own time map (see `_crossfade_edges`)."""

    fade_in_s: float
    fade_out_s: float
    time_map: np.ndarray


@dataclass(frozen=True)
class StretchJob:
    """One Rubber Band call: a piece of one stem and where its output goes.

    A vocal piece follows a time map (`time_map`), an instrumental one a constant
    `ratio`; `at` is the output sample of its first sample (a vocal phrase may
    start a hair before the first downbeat: `at` < 0)."""

    stem: StemId
    audio: np.ndarray
    at: int
    out_samples: int
    semitones: float
    vocal: bool
    ratio: float | None = None
    time_map: np.ndarray | None = None
    fades: Fades | None = None

    def run(self, sr: int) -> np.ndarray:
        """The stretched piece, its crossfades applied."""
        warp = {"time_map": self.time_map} if self.time_map is not None else {"ratio": self.ratio}
        piece = rubberband.stretch(self.audio, sr=sr, semitones=self.semitones,
                                   out_samples=self.out_samples, vocal=self.vocal, **warp)
        if self.fades is not None:
            piece = _crossfade_edges(piece, sr, self.fades.fade_in_s, self.fades.fade_out_s,
                                     self.fades.time_map)
        return piece


@dataclass
class Prepared:
    """Stems on the output timeline (sample 0 = the first planned downbeat)."""

    vocal: dict[str, np.ndarray]
    instrumental: dict[str, np.ndarray]
    beat_times: np.ndarray  # plan beat -> output seconds
    n_samples: int
    notes: dict = field(default_factory=dict)


def bandpass_vocals(vocal_audio: dict, sr: int, settings: Settings) -> dict:
    """Step 7.7: 150 Hz-16 kHz (8 kHz without per-stem EQ) on every vocal key."""
    out = dict(vocal_audio)
    for vk in list(out.keys()):
        out[vk] = vocal_bandpass(out[vk], sr, per_stem_eq=settings.ab_per_stem_eq_v1)
    return out


def corrective_eq(stems: dict, sr: int, settings: Settings) -> dict:
    """Step 7.75 (`ab_per_stem_eq_v1`): each stem's preset; vocal sub-stems use "vocals"."""
    if not settings.ab_per_stem_eq_v1:
        return dict(stems)
    return {name: apply_corrective_eq(audio, sr, name) for name, audio in stems.items()}


def stretch_and_shift(vocal_audio: dict, inst_audio: dict, sr: int, *, anchors: np.ndarray,
                      n_out: int, tempo, key, before: StemStep | None = None,
                      after: StemStep | None = None) -> tuple[dict, dict]:
    """Step 9: Rubber Band R3, tempo and key in one pass per stem.

    Vocals (`is_vocal=(stem_name in VOCAL_STEM_NAMES)`: the vocal engine settings,
    formants kept) are warped on the beat map and shifted by `key.vocal_shift`.
    The instrumental gets `tempo.instrumental_ratio` and `key.instrumental_shift`;
    drums are never pitch-shifted. Every stem is stretched sounding region by
    region (`active_regions`): silence costs Rubber Band as much as music does,
    and a guitar or a backing vocal is often out for whole sections.

    `before(bus, name, audio)` runs on each stem just before its pieces are queued
    and `after(...)` as soon as its last piece is in (bus "v" or "i"), so the
    per-stem steps either side of 9 run while Rubber Band works on other stems.
    """
    stems = sorted([(StemId("v", n), a) for n, a in vocal_audio.items()]
                   + [(StemId("i", n), a) for n, a in inst_audio.items()], key=lambda s: -s[1].size)
    out = {stem: np.zeros((a.shape[0], n_out), np.float32) for stem, a in stems}
    remaining: dict[StemId, int] = {}
    with ThreadPoolExecutor(RUBBERBAND_WORKERS) as pool, ThreadPoolExecutor(1) as finisher:
        def finish(stem: StemId):
            assert after is not None
            return finisher.submit(after, stem.bus, stem.name, out[stem])

        futures, finished = {}, {}
        for stem, audio in stems:
            audio = before(stem.bus, stem.name, audio) if before else audio
            if stem.bus == "v":
                jobs = _vocal_jobs(stem, audio, sr, anchors, tempo, key, n_out)
            else:
                semis = 0 if stem.name in NEVER_PITCH_SHIFTED else key.instrumental_shift
                jobs = _instrument_jobs(stem, audio, sr, tempo.instrumental_ratio, semis, n_out)
            remaining[stem] = len(jobs)
            for job in sorted(jobs, key=lambda j: -j.audio.shape[-1]):  # longest first
                futures[pool.submit(job.run, sr)] = job
            if not jobs and after:
                finished[stem] = finish(stem)
        for f in as_completed(futures):
            job, piece, at = futures[f], f.result(), futures[f].at
            if at < 0:  # a phrase starting a hair before the first downbeat
                piece, at = piece[:, -at:], 0
            take = max(0, min(piece.shape[-1], n_out - at))
            out[job.stem][:, at:at + take] += piece[:, :take]
            remaining[job.stem] -= 1
            if remaining[job.stem] == 0 and after:
                finished[job.stem] = finish(job.stem)
        out |= {stem: f.result() for stem, f in finished.items()}
    return ({n: out[StemId("v", n)] for n in vocal_audio},
            {n: out[StemId("i", n)] for n in inst_audio})


def _vocal_jobs(stem: StemId, audio: np.ndarray, sr: int, anchors: np.ndarray, tempo, key,
                n_out: int) -> list[StretchJob]:
    """One time-mapped job per phrase (long ones cut in two), placed at its mapped start."""
    jobs = []
    for lo, hi, fade_in, fade_out in split_regions(audio, sr, active_regions(audio, sr)):
        local = region_map(anchors, lo / sr, hi / sr, tempo.vocal_ratio)
        start = float(map_time(anchors, lo / sr, tempo.vocal_ratio))
        if start * sr >= n_out:
            continue
        jobs.append(StretchJob(
            stem, audio[:, lo:hi], at=int(round(start * sr)),
            out_samples=max(1, int(round(local[-1, 1] * sr))), semitones=key.vocal_shift,
            vocal=stem.name in VOCAL_STEM_NAMES, time_map=local,
            fades=Fades(fade_in, fade_out, local)))
    return jobs


def _instrument_jobs(stem: StemId, audio: np.ndarray, sr: int, ratio: float, semitones: float,
                     n_out: int) -> list[StretchJob]:
    """One constant-ratio job per sounding region of an instrumental stem, placed at
    its start times the ratio (the whole stem as is when nothing changes)."""
    if abs(ratio - 1.0) < 1e-6 and abs(semitones) < 1e-6:
        regions = [(0, audio.shape[-1])]
    else:
        regions = active_regions(audio, sr)
    jobs = []
    for lo, hi in regions:
        at = int(round(lo * ratio))
        if at >= n_out:
            continue
        jobs.append(StretchJob(
            stem, audio[:, lo:hi], at=at, out_samples=max(1, int(round(hi * ratio)) - at),
            semitones=semitones, vocal=stem.name in VOCAL_STEM_NAMES, ratio=ratio))
    return jobs


def split_regions(audio: np.ndarray, sr: int, regions, *, min_split_s: float = SPLIT_MIN_S,
                  overlap_s: float = SPLIT_OVERLAP_S, quiet_db: float = SPLIT_QUIET_DB
                  ) -> list[tuple[int, int, float, float]]:
    """Long vocal phrases cut in two at a pause, so Rubber Band runs on both cores.

    One vocal region is often most of the song (phrase gaps under a second are
    bridged) and would be the whole critical path of step 9 while the other
    worker idles. A region over `min_split_s` is cut at its quietest 50 ms
    block in the middle half, only if that block is `quiet_db` under the
    region's peak (a breath or pause, not a sung note); the two pieces overlap
    by `overlap_s` each side of the cut and are crossfaded there (fade seconds
    in source time, see `_crossfade_edges`), so the quality of the stretch is
    unchanged. Returns (lo, hi, fade_in_s, fade_out_s) per piece.
    """
    out = []
    pending = [(lo, hi, 0.0, 0.0) for lo, hi in regions]
    block, ov = int(0.05 * sr), int(overlap_s * sr)
    while pending:
        lo, hi, fin, fout = pending.pop(0)
        cut = None
        if hi - lo > min_split_s * sr:
            a, b = lo + (hi - lo) // 4, lo + 3 * (hi - lo) // 4
            nb = (b - a) // block
            env = np.abs(audio[:, a:a + nb * block]).max(axis=0).reshape(nb, block).max(axis=1)
            peak = float(np.abs(audio[:, lo:hi]).max())
            i = int(np.argmin(env))
            if peak > 0 and env[i] <= peak * 10 ** (-quiet_db / 20):
                cut = a + i * block + block // 2
        if cut is None:
            out.append((lo, hi, fin, fout))
            continue
        pending[:0] = [(lo, cut + ov, fin, 2 * overlap_s), (cut - ov, hi, 2 * overlap_s, fout)]
    return out


def _crossfade_edges(out: np.ndarray, sr: int, fade_in_s: float, fade_out_s: float,
                     local: np.ndarray) -> np.ndarray:
    """Complementary sine-squared fades over a split piece's overlap (source seconds
    mapped through the piece's own time map, so both sides fade over the same span)."""
    n = out.shape[-1]
    for secs, rising in ((fade_in_s, True), (fade_out_s, False)):
        if secs <= 0:
            continue
        if rising:
            m = int(round(float(np.interp(secs, local[:, 0], local[:, 1])) * sr))
        else:
            end = local[-1, 0]
            m = n - int(round(float(np.interp(end - secs, local[:, 0], local[:, 1])) * sr))
        m = max(1, min(m, n))
        ramp = np.sin(0.5 * np.pi * (np.arange(m) + 0.5) / m) ** 2
        gain = np.ones(n, np.float32)
        if rising:
            gain[:m] = ramp
        else:
            gain[n - m:] = ramp[::-1]
        out = out * gain  # a new array: never scales the caller's audio
    return out


def notch(stems: dict, sr: int, settings: Settings) -> tuple[dict, dict]:
    """Step 9.5 (`ab_resonance_detection_v1`): up to 3 notches per stem, after the stretch."""
    if not settings.ab_resonance_detection_v1:
        return dict(stems), {}
    out, cuts = {}, {}
    for name, audio in stems.items():
        out[name], found = notch_resonances(audio, sr)
        if found:
            cuts[name] = [round(float(r.freq), 1) for r in found]
    return out, cuts


def compress_vocals(vocal_audio: dict, sr: int) -> dict:
    """Step 11: lead (and mixed) vocals 3.0:1, backing vocals 2.0:1."""
    return {vk: compress_vocal(audio, sr, vk) for vk, audio in vocal_audio.items()}


def level_match(vocal_audio: dict, inst_audio: dict, sr: int) -> tuple[dict, float]:
    """Step 11.5: the summed vocal stems to instrumental LUFS + 2 dB, one gain for all
    (lead/backing balance kept). Returns (stems, gain dB applied)."""
    if not vocal_audio or not inst_audio:
        return dict(vocal_audio), 0.0
    return level_match_vocal_stems_with_gain(vocal_audio, sum_stems(inst_audio.values()), sr)


def prepare(sources, plan, vocal_analysis, inst_analysis, tempo, key, settings: Settings,
            sr: int = SAMPLE_RATE, progress=None) -> Prepared:
    """Steps 7.7 -> 7.75 -> 8/8.5 (decided) -> 9 -> 9.5 -> 11 -> 11.5; per stem, 7.7-11
    run in a pipeline around Rubber Band (`stretch_and_shift`'s before/after)."""
    report = progress or (lambda fraction, detail="": None)
    report(0.0, "tempo and key (Rubber Band R3)")
    beat_times = output_beat_times(inst_analysis, plan, tempo.instrumental_ratio)
    end_beat = plan.sections[-1].end_beat
    n_out = int(round(min(beat_times[end_beat],
                          (plan.instrumental_range.end - plan.instrumental_range.start)
                          * tempo.instrumental_ratio) * sr))
    anchors = vocal_time_map(vocal_analysis, inst_analysis, plan, tempo.instrumental_ratio,
                             segment_start=sources.vocal_start,
                             segment_end=sources.vocal_start + max(
                                 (a.shape[-1] for a in sources.vocal.values()), default=0) / sr,
                             vocal_beats_per_beat=tempo.vocal_beats_per_beat)
    cuts: dict = {}

    def before(bus: str, name: str, audio: np.ndarray) -> np.ndarray:  # 7.7, 7.75
        stem = bandpass_vocals({name: audio}, sr, settings) if bus == "v" else {name: audio}
        return corrective_eq(stem, sr, settings)[name]

    def after(bus: str, name: str, audio: np.ndarray) -> np.ndarray:  # 9.5, 11
        stem, found = notch({name: audio}, sr, settings)
        cuts.update(found)
        return compress_vocals(stem, sr)[name] if bus == "v" else stem[name]

    vocal, inst = stretch_and_shift(sources.vocal, sources.instrumental, sr, anchors=anchors,
                                    n_out=n_out, tempo=tempo, key=key, before=before, after=after)
    report(0.9, "vocal level")
    vocal, gain_db = level_match(vocal, inst, sr)
    report(1.0, "stems ready")
    notes = {"anchors": int(len(anchors)),
             # (seconds after vocal_segment_start_s in the vocal song, output seconds)
             "vocal_segment_start_s": round(float(sources.vocal_start), 4),
             "vocal_beat_map": [[round(float(a), 4), round(float(b), 4)] for a, b in anchors],
             "resonance_cuts_hz": dict(sorted(cuts.items())),
             "vocal_level_match_db": round(gain_db, 2)}
    return Prepared(vocal, inst, beat_times, n_out, notes)
