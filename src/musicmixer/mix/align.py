"""On the beat, not just at the same tempo (step 9, with steps 8/8.5's decisions).

A global stretch ratio leaves a drifting song drifting (the older app this design replaced
was off by up to ~0.9 s). Here every beat of the vocal song is an anchor: the
vocal song's beat `4 * vocal_start_bar + m` goes to the output time of the
instrumental's beat `first_beat + m`, and Rubber Band's time map stretches each
beat's worth of audio to fit, so downbeats meet downbeats for the whole mix.

The output timeline starts at the instrumental's first planned downbeat; the
instrumental keeps its own timing (times `instrumental_ratio` when it is
stretched too), so `output_beat_times` is simply its beat grid moved to zero.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from musicmixer.interpreter.plan import TimeRange, bar_grid, bar_time

BEATS_PER_BAR = 4
EXTRA_BEATS = 64  # the grid is extended past the song's last beat by its last period


def beat_phase(analysis) -> int:
    """Index in `beats` of the first downbeat (plan beat 0 is that beat)."""
    beats = np.asarray(analysis.beats, dtype=np.float64)
    if not analysis.downbeats or not len(beats):
        return 0
    return int(np.argmin(np.abs(beats - analysis.downbeats[0])))


def extended(times: np.ndarray, extra: int = EXTRA_BEATS) -> np.ndarray:
    """The grid plus `extra` beats at its last period (and a 120 BPM grid if empty)."""
    times = np.asarray(times, dtype=np.float64)
    if len(times) < 2:
        start = times[0] if len(times) else 0.0
        return start + 0.5 * np.arange(extra + 1)
    period = float(np.median(np.diff(times[-5:])))
    return np.concatenate([times, times[-1] + period * np.arange(1, extra + 1)])


def song_beats(analysis) -> np.ndarray:
    """Plan beat b of this song -> seconds in the song (beat 0 = first downbeat)."""
    return extended(np.asarray(analysis.beats, dtype=np.float64)[beat_phase(analysis):])


def output_beat_times(inst_analysis, plan, instrumental_ratio: float = 1.0) -> np.ndarray:
    """Plan beat b -> seconds in the output (the renderer's `beat_times`)."""
    grid = song_beats(inst_analysis)
    return (grid - plan.instrumental_range.start) * instrumental_ratio


def vocal_time_map(vocal_analysis, inst_analysis, plan, instrumental_ratio: float = 1.0,
                   segment_start: float | None = None, segment_end: float | None = None,
                   vocal_beats_per_beat: float = 1.0) -> np.ndarray:
    """(K, 2) anchors (seconds in the vocal segment, seconds in the output), one per
    vocal beat.

    The segment starts at `segment_start` in the vocal song (default: the
    plan's vocal range start, i.e. the vocal start bar's downbeat). Vocal beat
    `v0 + j` lands on instrumental beat `first + j / vocal_beats_per_beat`
    (`mix.tempo`'s mapping): in 2:1 every second vocal beat falls halfway
    between two instrumental beats and two vocal bars fill one instrumental bar;
    in 1:2 each vocal beat spans two. Either way the vocal start bar's downbeat
    is on the first section's downbeat and the vocal downbeats that should meet
    instrumental downbeats do.
    """
    out_grid = output_beat_times(inst_analysis, plan, instrumental_ratio)
    first = plan.sections[0].start_beat
    count = plan.sections[-1].end_beat - first + 1
    vgrid = song_beats(vocal_analysis)
    v0 = BEATS_PER_BAR * plan.vocal_start_bar
    j = np.arange(int(np.ceil((count - 1) * vocal_beats_per_beat)) + 1)
    pos = first + j / vocal_beats_per_beat  # fractional instrumental beat
    j = j[(v0 + j < len(vgrid)) & (pos <= len(out_grid) - 1)]
    src = vgrid[v0 + j]
    dst = np.interp(first + j / vocal_beats_per_beat, np.arange(len(out_grid)), out_grid)
    start = plan.vocal_range.start if segment_start is None else segment_start
    end = plan.vocal_range.end if segment_end is None else segment_end
    keep = (src >= start - 1e-6) & (src <= end + 1e-6) & (dst >= 0)
    anchors = np.stack([src[keep] - start, dst[keep]], axis=1)
    if len(anchors) and anchors[0, 0] > 1e-3 and anchors[0, 1] > 1e-3:
        anchors = np.vstack([[0.0, max(0.0, anchors[0, 1] - anchors[0, 0])], anchors])
    return anchors


def vocal_range_for(plan, vocal_analysis, vocal_beats_per_beat: float = 1.0):
    """The plan's vocal range re-measured for the tempo mapping: the plan counts
    vocal bars one per output bar, but at 2:1 the output takes two vocal bars per
    bar and at 1:2 half of one. Returns a `TimeRange` (the plan's own at 1:1)."""
    if vocal_beats_per_beat == 1.0:
        return plan.vocal_range
    grid = bar_grid(vocal_analysis)
    bars = int(np.ceil(plan.total_beats / BEATS_PER_BAR * vocal_beats_per_beat))
    end = bar_time(grid, plan.vocal_start_bar + bars, vocal_analysis.duration)
    return TimeRange(start=plan.vocal_range.start,
                     end=max(plan.vocal_range.start, min(end, vocal_analysis.duration)))


def map_time(anchors: np.ndarray, t, tail_ratio: float):
    """Output seconds of source seconds `t` under the anchors (the edge ratio beyond them)."""
    t = np.asarray(t, dtype=np.float64)
    if not len(anchors):
        return t * tail_ratio
    src, dst = anchors[:, 0], anchors[:, 1]
    inside = np.interp(t, src, dst)
    before = dst[0] + (t - src[0]) * tail_ratio
    after = dst[-1] + (t - src[-1]) * tail_ratio
    return np.where(t < src[0], before, np.where(t > src[-1], after, inside))


def active_regions(audio: np.ndarray, sr: int, floor_db: float = -60.0, min_gap_s: float = 1.0,
                   pad_s: float = 0.15) -> list[tuple[int, int]]:
    """Sample spans where a stem sounds (gaps under `min_gap_s` bridged). Stretching
    only these skips the silence between phrases, which costs Rubber Band as much
    as singing does."""
    block = int(0.05 * sr)
    n = audio.shape[-1]
    if n == 0:
        return []
    nb = -(-n // block)
    padded = np.pad(np.abs(audio).max(axis=0), (0, nb * block - n))
    level = 20 * np.log10(np.maximum(padded.reshape(nb, block).max(axis=1), 1e-9))
    on = np.flatnonzero(level > floor_db)
    if not len(on):
        return []
    regions, start, prev = [], on[0], on[0]
    for b in on[1:]:
        if (b - prev - 1) * block > min_gap_s * sr:
            regions.append((start, prev + 1))
            start = b
        prev = b
    regions.append((start, prev + 1))
    pad = int(pad_s * sr)
    return [(max(0, a * block - pad), min(n, b * block + pad)) for a, b in regions]


def region_map(anchors: np.ndarray, lo_s: float, hi_s: float, tail_ratio: float) -> np.ndarray:
    """The anchors inside [lo_s, hi_s], with both ends pinned, relative to the region."""
    inner = anchors[(anchors[:, 0] > lo_s) & (anchors[:, 0] < hi_s)] if len(anchors) else anchors
    ends = np.array([lo_s, hi_s])
    pts = np.vstack([np.stack([ends, map_time(anchors, ends, tail_ratio)], axis=1), inner])
    pts = pts[np.argsort(pts[:, 0])]
    return pts - pts[0]
