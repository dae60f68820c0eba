"""Are the vocals on the instrumental's grid? Measured on rendered audio.

The vocal bus's onsets (librosa's onset detector) are compared with the
instrumental's grid in output time (its truth beats mapped through the plan's
range and stretch), split into eighths of the vocals' own pulse: eighths of the
instrumental beat for a 1:1 pair, sixteenths when the vocal song's tempo is about
twice the instrumental's (2:1), and so on. Each onset's distance to the nearest
grid line is a fraction of one such eighth, 0 (on the grid) to 0.5 (between).

Two figures from the same run give the scale: the reference is the vocal song's
own vocal stem against its own truth eighths (perfect placement, the same
detector and singer: what "on the grid" scores), the control is the rendered
vocals pushed half an eighth late (placed off the grid on purpose). A pair is
aligned when its median is closer to the reference than to the control.
"""

from __future__ import annotations

import numpy as np

SR = 44100


def onsets(audio: np.ndarray, sr: int = SR) -> np.ndarray:
    """Onset times (s) of a (2, n) or (n,) signal."""
    import librosa

    x = np.asarray(audio, dtype=np.float32)
    mono = x.mean(axis=0) if x.ndim == 2 else x
    if not np.any(mono):
        return np.zeros(0)
    return librosa.onset.onset_detect(y=mono, sr=sr, units="time", hop_length=256)


def eighth_grid(beats: np.ndarray, division: int) -> np.ndarray:
    """`division` grid lines per beat, following the beats (drift included)."""
    b = np.asarray(beats, dtype=np.float64)
    frac = np.arange(division) / division
    lines = (b[:-1, None] + np.diff(b)[:, None] * frac[None, :]).ravel()
    return np.concatenate([lines, b[-1:]])


def grid_distances(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Distance of each time (inside the grid's span) to its nearest line, in
    units of the local grid step."""
    t = np.asarray(times, dtype=np.float64)
    t = t[(t >= grid[0]) & (t <= grid[-1])]
    if not len(t):
        return np.zeros(0)
    i = np.clip(np.searchsorted(grid, t), 1, len(grid) - 1)
    lo, hi = grid[i - 1], grid[i]
    step = np.maximum(hi - lo, 1e-9)
    return np.minimum(t - lo, hi - t) / step


def division_for(vocal_tempo: float, instrumental_tempo: float) -> int:
    """Eighths of the vocals' pulse per instrumental beat: 2 for 1:1 (and 1:2,
    where the instrumental's eighths are finer than needed), 4 for 2:1."""
    return 2 * max(1, int(round(vocal_tempo / instrumental_tempo)))


def alignment(vocal_bus: np.ndarray, output_beats: np.ndarray, vocal_source: np.ndarray,
              vocal_beats: np.ndarray, division: int) -> dict:
    """Median grid distance of the rendered vocals, of the reference and of the
    control, and the verdict."""
    grid = eighth_grid(output_beats, division)
    on = onsets(vocal_bus)
    placed = grid_distances(on, grid)
    step = float(np.median(np.diff(grid)))
    control = grid_distances(on + 0.5 * step, grid)
    reference = grid_distances(onsets(vocal_source), eighth_grid(vocal_beats, 2))
    if not len(placed) or not len(reference):
        return {"onsets": int(len(placed)), "aligned": False}
    med = {k: round(float(np.median(v)), 3)
           for k, v in (("median", placed), ("reference", reference), ("control", control))}
    return {**med, "onsets": int(len(placed)), "grid_division": division,
            "aligned": bool(abs(med["median"] - med["reference"]) < abs(med["median"] - med["control"]))}
