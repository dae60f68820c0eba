"""Where the job put the vocal song's true grid: its annotated beats carried
through the beat map the render used, against the instrumental's annotated grid.

The onset check (grid_alignment.py) listens to the rendered vocals, so it can
only judge where the voice itself is tight: Festival's harsh and breathy test
voices, after HTDemucs, keep 5-33 onsets on the hard pairs and no
perfect-placement reference locks to its own grid (no verdict on any of the five
hard pairs). The placement check needs no onsets. The report's
`alignment.vocal_beat_map` is the time map the vocal stems were stretched on
(anchors from the job's own analysis of both songs); the vocal song's true
beats go through it into output time and are compared with the instrumental's
true beats there, in beats of the vocals' pulse. Perfect placement reads 0; a
vocal grid half an eighth late (the onset check's control) reads 0.25; one on
the off-beat (an instrumental tracked on its off-beat, a vocal song read half a
beat off) 0.5. It measures the analysis and the map, not the renderer.

`heard` measures the rendered audio the same way, for any voice: each half bar
of the vocal song's separated vocals (two true beats, from the first true
downbeat), laid where perfect placement puts it (the job's mapped start moved
to the nearest vocal beat of the instrumental's true grid, so a bar-1 error is
left to the bar-line figure above), is slid along the rendered vocals until
their energy envelopes agree best (`musicmixer.mix.measure.downbeat_offsets`,
within half a vocal beat). Half bars rather than bars: a 3:2 tempo error puts
every other beat off the grid, and whole bars, matched at their starts, read
it placed (a real held-out excerpt read at 93.5 for 139.5: bars 0.057, half
bars 0.24, the placement check 0.251). Matching the source against itself,
the singer's own looseness cancels: no onset has to be picked. The control is
the rendered vocals pushed a quarter beat late (half an eighth, the onset
check's control), measured the same way: it shows on each pair that the stick
can tell the two apart.
"""

from __future__ import annotations

import numpy as np
from grid_alignment import eighth_grid, phases, vocal_grids

PLACED = 0.125  # median |offset| (vocal beats) under this: closer to 0 than to the 0.25 control
MIN_HEARD = 8  # fewer segments that match their source give no verdict
SR = 44100


def _mapper(beat_map: np.ndarray, segment_start: float):
    """Vocal song times -> output times through the job's beat map, keeping only
    times inside the map's span (no extrapolation): (mapped times, kept mask)."""
    bm = np.asarray(beat_map, dtype=np.float64).reshape(-1, 2)
    src, dst = bm[:, 0], bm[:, 1]

    def mapped(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(times, dtype=np.float64) - segment_start
        keep = (t >= src[0]) & (t <= src[-1])
        return np.interp(t[keep], src, dst), keep
    return mapped


def _wrapped(p: np.ndarray) -> np.ndarray:
    """Phases 0..1 as signed offsets -0.5..0.5."""
    return (np.asarray(p) + 0.5) % 1.0 - 0.5


def placement(vocal_beats: np.ndarray, vocal_downbeats: np.ndarray, beat_map: np.ndarray,
              segment_start: float, output_beats: np.ndarray, output_downbeats: np.ndarray,
              vocal_beats_per_beat: float) -> dict:
    """Offsets of the mapped true vocal beats from the vocals' pulse on the
    instrumental's true grid (`vocal_grids`), in vocal beats, and of the mapped
    true vocal downbeats from the vocal bar lines, in vocal beats (within half a
    vocal bar; at 1:2, half an instrumental bar). Only beats inside the map's
    span count (no extrapolation)."""
    if np.asarray(beat_map).size < 4:
        return {"placed": False, "why": "no beat map"}
    to_output = _mapper(beat_map, segment_start)

    def mapped(times: np.ndarray) -> np.ndarray:
        return to_output(times)[0]

    grid = vocal_grids(output_beats, vocal_beats_per_beat, output_downbeats)["beat"]
    beat = _wrapped(phases(mapped(vocal_beats), grid))
    if len(beat) < 4:
        return {"placed": False, "why": "too few beats inside the map", "beats": int(len(beat))}
    step = float(np.median(np.diff(grid)))
    out = {"beats": int(len(beat)),
           "median_abs_beats": round(float(np.median(np.abs(beat))), 3),
           "mean_beats": round(float(np.mean(beat)), 3),
           "median_abs_ms": round(float(np.median(np.abs(beat))) * step * 1000, 1),
           "within_sixteenth": round(float(np.mean(np.abs(beat) < 0.25)), 3),
           "placed": bool(np.median(np.abs(beat)) < PLACED)}
    # vocal bar lines: at 2:1 two per instrumental bar; at 1:2 a vocal bar spans
    # two instrumental bars and its beats 1 and 3 both belong on a bar line
    bars = np.asarray(output_downbeats, dtype=np.float64)
    per = int(round(vocal_beats_per_beat)) if vocal_beats_per_beat >= 1 else 1
    if len(bars) > 1:
        step_beats = 4.0 * min(vocal_beats_per_beat, 1.0)  # one grid step in vocal beats
        bar = _wrapped(phases(mapped(vocal_downbeats), eighth_grid(bars, per))) * step_beats
        if len(bar):
            out["bar_offset_beats_median"] = round(float(np.median(bar)), 2)
            out["bars_on_bar_line"] = round(float(np.mean(np.abs(bar) < 0.5)), 3)
    return out


def heard(vocal_bus: np.ndarray, vocal_source: np.ndarray, vocal_beats: np.ndarray,
          vocal_downbeats: np.ndarray, beat_map: np.ndarray, segment_start: float,
          output_beats: np.ndarray, output_downbeats: np.ndarray, vocal_beats_per_beat: float,
          beats_per_segment: int = 2) -> dict:
    """The rendered vocals' offset from perfect placement, segment by segment
    (`beats_per_segment` true vocal beats), in vocal beats (+ late), and the same
    for the control (the rendered vocals pushed a quarter beat late).
    `heard_placed`: the median |offset| under PLACED, on at least MIN_HEARD
    segments whose envelope matches its source (correlation 0.5); fewer give no
    verdict (`judgeable` False), which is not a pass."""
    from musicmixer.mix.measure import downbeat_offsets

    if np.asarray(beat_map).size < 4:
        return {"judgeable": False, "heard_placed": False, "why": "no beat map"}
    vb = np.asarray(vocal_beats, dtype=np.float64)
    first = int(np.argmin(np.abs(vb - vocal_downbeats[0]))) if len(vocal_downbeats) else 0
    starts = vb[first::beats_per_segment]
    out, keep = _mapper(beat_map, segment_start)(starts)
    grid = vocal_grids(output_beats, vocal_beats_per_beat, output_downbeats)["beat"]
    if len(out) < 2 or len(grid) < 2:
        return {"judgeable": False, "heard_placed": False, "why": "no segments inside the map"}
    step = float(np.median(np.diff(grid)))
    perfect = grid[np.argmin(np.abs(out[:, None] - grid[None, :]), axis=1)]
    segments = starts[keep]

    def offsets(bus: np.ndarray) -> np.ndarray:
        o = downbeat_offsets(bus, vocal_source, segments, perfect, SR, min_level=0.0,
                             search_s=0.5 * step) / step
        return o[np.isfinite(o)]

    got = offsets(vocal_bus)
    push = int(round(0.25 * step * SR))
    bus = np.asarray(vocal_bus)
    pushed = np.concatenate([np.zeros(bus.shape[:-1] + (push,)), bus[..., :bus.shape[-1] - push]],
                            axis=-1)
    ctl = offsets(pushed)
    res: dict = {"segments": int(len(segments) - 1), "segments_heard": int(len(got))}
    if len(got):
        res.update(median_beats=round(float(np.median(got)), 3),
                   median_abs_beats=round(float(np.median(np.abs(got))), 3),
                   median_abs_ms=round(float(np.median(np.abs(got))) * step * 1000, 1),
                   within_eighth=round(float(np.mean(np.abs(got) < 0.25)), 3))
    if len(ctl):
        res["control_median_abs_beats"] = round(float(np.median(np.abs(ctl))), 3)
    res["judgeable"] = bool(len(got) >= MIN_HEARD)
    res["heard_placed"] = bool(res["judgeable"] and res["median_abs_beats"] < PLACED)
    return res
