"""Are the vocals on the instrumental's grid? Measured on rendered audio.

The vocal bus's onsets (spectral-flux peaks, `onsets`) are compared with the
instrumental's grid in output time (its truth beats mapped through the plan's
range and stretch), split into eighths of the vocals' own pulse: eighths of the
instrumental beat for a 1:1 pair, sixteenths when the vocal song's tempo is about
twice the instrumental's (2:1), and so on. Each onset's distance to the nearest
grid line is a fraction of one such eighth, 0 (on the grid) to 0.5 (between).

Two figures from the same run give the scale: the reference is the vocal song's
own vocal stem (as the separator gave it: the material the mix placed) against
its own truth eighths (perfect placement, the same detector and singer: what
"on the grid" scores), the control is those same
perfectly placed vocals pushed half an eighth late (off the grid on purpose; the
rendered vocals pushed instead would land back on the grid whenever they were
half an eighth off). `median_aligned`: the median closer to the reference's
than to the control's.

That median stick fails where onsets are loose: Festival's harsh voice is read
~80-100 ms after its note starts, nearly half an eighth at 190 BPM, so its
reference (0.285) scored worse than its control (0.215) and the pair could not
be judged. The verdict is therefore a phase comparison (`phase_lock`): the
position of each onset (or of every rise in the vocals' level, `rises`, where
that locks the source better) inside its grid step as an angle, averaged into
one mean phase per set; the rendered vocals are aligned at a level when their mean
phase is closer to the reference's than to the control's (a constant detector
lag is in both, so it cancels; `score` says where between them, +1 reference,
-1 control, with its standard error), and only where the source's own onsets
are phase-locked at all (Rayleigh p < 0.01: otherwise no verdict, which is not
a pass). It is taken at two levels of the vocals' pulse: eighths (control: half
an eighth late) and beats (control: half a beat late, which lands back on the
eighths: the off-beat error of a beat tracker that follows the hats, invisible
to the eighth-level stick). `aligned`: every judgeable level aligned, and at
least one judgeable. The truth grid is the instrumental's annotated beats (a
generated song's or an LMMS project's exact grid: what its drums play), as the
outside check uses the drums' annotated grid.
"""

from __future__ import annotations

import numpy as np

SR = 44100


RAYLEIGH_Z = 4.6  # n |z|^2 over this: a phase lock at p < 0.01
# Fewer rendered onsets than this give no verdict: HTDemucs keeps so little of a
# breathy Festival voice over LMMS synths that its vocal stem shows one onset.
MIN_ONSETS = 10


def onsets(audio: np.ndarray, sr: int = SR, hop: int = 256, n_fft: int = 2048,
           delta: float = 0.3, wait_s: float = 0.1) -> np.ndarray:
    """Onset times (s) of a (2, n) or (n,) signal: peaks of the log-magnitude
    spectral flux (centred frames of n_fft, `hop` apart) that stand `delta` (of the
    largest flux) above their ~50 ms neighbourhood, at least `wait_s` apart.
    Plain numpy, so every run measures with the same stick. delta 0.3 and 0.1 s:
    against the true note starts of generated vocals, 90 % of a GM voice's onsets
    fall within 40 ms (0.07 and 0.03 s: 17 %); Festival's harsh voice stays loose
    (a spread of ~120-190 ms between quartiles), which the reference carries."""
    x = np.asarray(audio, dtype=np.float64)
    mono = x.mean(axis=0) if x.ndim == 2 else x
    if not np.any(mono) or len(mono) < n_fft:
        return np.zeros(0)
    padded = np.pad(mono, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    mag = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1))
    logm = np.log1p(100.0 * mag / (mag.max() or 1.0))
    flux = np.concatenate([[0.0], np.maximum(np.diff(logm, axis=0), 0.0).sum(axis=1)])
    flux /= flux.max() or 1.0
    w = max(1, int(0.05 * sr / hop))
    local_max = flux == np.lib.stride_tricks.sliding_window_view(
        np.pad(flux, 3, constant_values=-1), 7).max(axis=1)
    kernel = np.ones(2 * w + 1) / (2 * w + 1)
    local_mean = np.convolve(flux, kernel, mode="same")
    picks = np.flatnonzero(local_max & (flux >= local_mean + delta))
    out: list[int] = []
    for i in picks:
        if not out or (i - out[-1]) * hop / sr >= wait_s:
            out.append(int(i))
    return np.asarray(out, dtype=np.float64) * hop / sr


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
    """Eighths of the vocals' pulse per instrumental beat: 2 for 1:1, 4 for 2:1,
    1 for 1:2 (a vocal eighth spans one instrumental beat). The reference is in
    the vocals' own eighths, so the rendered vocals must be measured in the same
    unit: instrumental eighths at 1:2 are vocal sixteenths, on which perfectly
    placed vocals score twice their reference (a 1:2 hard pair: 0.291 against a
    reference of 0.158, i.e. 0.146 in vocal eighths)."""
    ratio = 2.0 ** round(float(np.log2(vocal_tempo / instrumental_tempo)))
    return max(1, int(round(2 * min(max(ratio, 0.5), 2.0))))


def phases(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Where each time (inside the grid's span) falls in its grid step, 0 to 1."""
    t = np.asarray(times, dtype=np.float64)
    t = t[(t >= grid[0]) & (t < grid[-1])]
    i = np.clip(np.searchsorted(grid, t, side="right"), 1, len(grid) - 1)
    lo, hi = grid[i - 1], grid[i]
    return (t - lo) / np.maximum(hi - lo, 1e-9)


def rises(audio: np.ndarray, sr: int = SR, hop: int = 441,
          range_db: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """(frame times, weights): how much the level rises (dB, 10 ms frames, floored
    `range_db` under the peak) into each frame. The phase check weighs every rise
    rather than the picked onsets: on the hard set's vocals it locks to the
    singer's own beats 0.34-0.40 where picked onsets lock 0.07-0.51 (0.13 and
    0.07 on the harsh voice at 170 BPM: no lock at p < 0.01); on the eighths
    they lock 0.20-0.27 against 0.13-0.60. One harsh 190 BPM song locks to no
    level with either (0.02-0.13): it gets no verdict."""
    x = np.asarray(audio, dtype=np.float64)
    mono = x.mean(axis=0) if x.ndim == 2 else x
    n = len(mono) // hop
    if n < 2:
        return np.zeros(0), np.zeros(0)
    level = 20 * np.log10(np.sqrt((mono[:n * hop].reshape(n, hop) ** 2).mean(axis=1)) + 1e-12)
    level = np.maximum(level, level.max() - range_db)
    return np.arange(n) * hop / sr, np.maximum(np.diff(level, prepend=level[0]), 0.0)


def _lock(times: np.ndarray, weights: np.ndarray, grid: np.ndarray) -> complex:
    """Weighted mean phase vector of `times` on `grid` (0 when nothing falls in it)."""
    keep = (times >= grid[0]) & (times < grid[-1])
    w = weights[keep]
    if not w.sum():
        return 0j
    return complex(np.sum(w * np.exp(2j * np.pi * phases(times[keep], grid))) / w.sum())


def phase_lock(placed: dict, out_grid: np.ndarray, source: dict,
               source_grid: np.ndarray) -> dict:
    """Rendered vocals against the source's own on one grid level, as a phase.

    `placed` and `source` map a stick ("onsets": picked onsets, each weighing
    1; "rises": `rises`) to (times, weights, onset count); the level is measured
    with the stick that locks the source best (chosen on the source alone, so
    not for the rendered result: picked onsets on clear voices, rises on the
    harsh one).
    `offset` is how far (in grid steps, -0.5..0.5) the rendered mean phase sits
    from the perfectly placed source's (the reference); the control is the
    source pushed half a step late, measured the same way (about 0.5). A singer
    whose onsets read late carries that lag into both, so the lag cancels.
    `score` is the rendered mean phase vector projected on the reference's, in
    units of the reference's own lock: about 1 for perfect placement, -1 for the
    control, 0 for vocals unrelated to the grid; `se` its standard error (one
    independent phase per picked onset). `aligned`: closer to the reference
    than to the control (score > 0); `sure`: by two standard errors.
    `judgeable` is False when the source shows no lock at this level (Rayleigh,
    p < 0.01 over its onsets) or the rendered vocals have under MIN_ONSETS
    onsets: then there is no verdict (and no pass)."""
    strength = {k: v[2] * abs(_lock(v[0], v[1], source_grid)) ** 2 for k, v in source.items()}
    stick = max(strength, key=lambda k: strength[k])
    (pt, pw, pn), (st, sw, sn) = placed[stick], source[stick]
    z_ref = _lock(st, sw, source_grid)
    step = float(np.median(np.diff(source_grid)))
    z_ctl = _lock(st + 0.5 * step, sw, source_grid)
    z_out = _lock(pt, pw, out_grid)
    judgeable = bool(sn * abs(z_ref) ** 2 > RAYLEIGH_Z and pn >= MIN_ONSETS)
    if not abs(z_ref) or not pn:
        return {"judgeable": False, "aligned": False, "stick": stick,
                "lock_reference": round(abs(z_ref), 3)}
    unit = np.conj(z_ref) / abs(z_ref)

    def score(z: complex) -> float:
        return float((z * unit).real / abs(z_ref))

    def offset(z: complex) -> float:
        return float(np.angle(z * unit) / (2 * np.pi)) if abs(z) else 0.5

    sc, se = score(z_out), float(1.0 / np.sqrt(2 * pn) / abs(z_ref))
    return {"stick": stick, "offset": round(offset(z_out), 3),
            "control_offset": round(offset(z_ctl), 3), "score": round(sc, 3),
            "control_score": round(score(z_ctl), 3), "se": round(se, 3),
            "lock_reference": round(abs(z_ref), 3), "lock": round(abs(z_out), 3),
            "judgeable": judgeable, "aligned": bool(judgeable and sc > 0),
            "sure": bool(judgeable and sc > 2 * se)}


def vocal_grids(output_beats: np.ndarray, vocal_beats_per_beat: float,
                output_downbeats: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The vocals' own eighths and beats in output time: at 2:1 a vocal beat is an
    instrumental eighth, at 1:2 every second instrumental beat (beats 1 and 3 of
    the instrumental's bar, found from `output_downbeats`)."""
    b = np.asarray(output_beats, dtype=np.float64)
    if vocal_beats_per_beat >= 1:
        per = int(round(vocal_beats_per_beat))
        return {"eighth": eighth_grid(b, 2 * per), "beat": eighth_grid(b, per)}
    first = 0
    if output_downbeats is not None and len(output_downbeats) and len(b):
        first = int(np.argmin(np.abs(b - output_downbeats[0]))) % 2
    return {"eighth": b, "beat": b[first::2]}


def alignment(vocal_bus: np.ndarray, output_beats: np.ndarray, vocal_source: np.ndarray,
              vocal_beats: np.ndarray, division: int,
              output_downbeats: np.ndarray | None = None) -> dict:
    """Median grid distance of the rendered vocals, of the reference and of the
    control (vocal eighths), the phase checks at the vocals' eighths and beats
    (`phase_lock`; at the beat the control is the half-beat push that an
    instrumental tracked on its off-beat gives), and the verdict: aligned when
    every level the source can be judged at is aligned, and at least one can."""
    vbpb = division / 2
    grids = vocal_grids(output_beats, vbpb, output_downbeats)
    placed_onsets = onsets(vocal_bus)
    source_onsets = onsets(vocal_source)
    out_grid = eighth_grid(output_beats, division)
    placed = grid_distances(placed_onsets, out_grid)
    # the rendered vocals themselves pushed half a grid step: the outside check's
    # control, in the same units as `median` (it cannot tell a half-step error)
    pushed = grid_distances(placed_onsets + 0.5 * float(np.median(np.diff(out_grid))), out_grid)
    source_grid = eighth_grid(vocal_beats, 2)
    reference = grid_distances(source_onsets, source_grid)
    control = grid_distances(source_onsets + 0.5 * float(np.median(np.diff(source_grid))),
                             source_grid)
    if not len(placed) or not len(reference):
        return {"onsets": int(len(placed)), "aligned": False, "why": "no onsets"}
    med = {k: round(float(np.median(v)), 3)
           for k, v in (("median", placed), ("reference", reference), ("control", control),
                        ("pushed_control", pushed))}
    placed_sticks = {"onsets": (placed_onsets, np.ones(len(placed_onsets)), len(placed_onsets)),
                     "rises": (*rises(vocal_bus), len(placed_onsets))}
    source_sticks = {"onsets": (source_onsets, np.ones(len(source_onsets)), len(source_onsets)),
                     "rises": (*rises(vocal_source), len(source_onsets))}
    levels = {"eighth": phase_lock(placed_sticks, grids["eighth"], source_sticks, source_grid),
              "beat": phase_lock(placed_sticks, grids["beat"], source_sticks,
                                 np.asarray(vocal_beats, dtype=np.float64))}
    judged = [k for k, v in levels.items() if v["judgeable"]]
    return {**med, "onsets": int(len(placed)), "grid_division": division,
            "gap": round(med["control"] - med["reference"], 3),  # how much the stick can tell
            "median_aligned": bool(abs(med["median"] - med["reference"])
                                   < abs(med["median"] - med["control"])),
            **levels, "judged_by": judged,
            "aligned": bool(judged) and all(levels[k]["aligned"] for k in judged)}
