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
beat off) 0.5. It measures the analysis and the map, not the renderer: the
onset check (and the downbeat offsets on generated pairs) keep measuring that.
"""

from __future__ import annotations

import numpy as np
from grid_alignment import eighth_grid, phases, vocal_grids

PLACED = 0.125  # median |offset| (vocal beats) under this: closer to 0 than to the 0.25 control


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
    bm = np.asarray(beat_map, dtype=np.float64).reshape(-1, 2)
    if len(bm) < 2:
        return {"placed": False, "why": "no beat map"}
    src, dst = bm[:, 0], bm[:, 1]

    def mapped(times: np.ndarray) -> np.ndarray:
        t = np.asarray(times, dtype=np.float64) - segment_start
        return np.interp(t[(t >= src[0]) & (t <= src[-1])], src, dst)

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
