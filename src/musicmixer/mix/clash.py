"""Harmonic clash between the vocals and the instrumental (step 8.5 when key
detection is unsure): a direct measure of how well two sets of pitches sound
together, so that a shift can be chosen without trusting either key.

Each bar of the vocals that plays over a bar of the instrumental contributes
the dissonance of every pair of pitch classes sounding together, weighted by
how much of each sounds (bar chroma, normalised to sum 1). Interval-class
dissonance is Huron's (1994) aggregate dyadic consonance, rescaled so that the
perfect fifth/fourth is 0 and the semitone/major seventh 1; a unison/octave is
0. Two random pitch sets score about 0.43; a voice in the band's key scores
lower than the same voice a semitone off.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Huron's interval-class consonance, ic1..ic6, and its rescaling to 0..1 dissonance.
_HURON = np.array([-1.428, -0.582, 0.594, 0.386, 1.240, -0.453])
_IC_DISSONANCE = (_HURON.max() - _HURON) / (_HURON.max() - _HURON.min())
SEMITONE_DISSONANCE = np.array([0.0, *_IC_DISSONANCE, *_IC_DISSONANCE[:-1][::-1]])
CLASH_SHIFTS = tuple(range(-3, 4))  # the vocals' shifts considered (semitones)
MIN_GAIN = 0.01  # a shift must lower the clash by this much to be worth making
# Share of the clash taken from the two parts' pitch sets over the whole range
# rather than bar by bar: on 60 pairs of generated songs the bar-by-bar clash
# alone picks the key-name shift in 49 (aligned bars) and 33 (vocals one bar
# off the phrase); with a quarter from the whole range, 49 and 39.
WHOLE_WEIGHT = 0.25


def dissonance_matrix() -> np.ndarray:
    """D[i, j]: dissonance of pitch classes i and j sounding together."""
    i = np.arange(12)
    return SEMITONE_DISSONANCE[(i[:, None] - i[None, :]) % 12]


def _unit(x: np.ndarray) -> np.ndarray:
    s = x.sum(axis=-1, keepdims=True)
    return np.where(s > 1e-9, x / np.maximum(s, 1e-12), 0.0)


def clash_by_shift(vocal: np.ndarray, instrumental: np.ndarray,
                   weights: np.ndarray | None = None,
                   shifts: Sequence[int] = CLASH_SHIFTS) -> dict[int, float]:
    """Clash of paired bars for each vocal shift: the weighted mean over the
    bars, with WHOLE_WEIGHT of the clash between the summed pitch sets.

    `vocal` and `instrumental` are (bars, 12) chroma of bars that sound
    together (row k of one over row k of the other); bars where either is
    silent do not count. A shift of s semitones moves pitch class i to i + s.
    """
    v, h = _unit(np.asarray(vocal, float)), _unit(np.asarray(instrumental, float))
    w = np.ones(len(v)) if weights is None else np.asarray(weights, float)
    w = w * (v.sum(axis=1) > 0) * (h.sum(axis=1) > 0)
    if len(v) == 0 or w.sum() <= 0:
        return {}
    d = dissonance_matrix()
    keep = w > 0
    v_all = _unit((v[keep] * w[keep, None]).sum(axis=0))
    h_all = _unit((h[keep] * w[keep, None]).sum(axis=0))
    out = {}
    for s in shifts:
        per_bar = np.einsum("bi,ij,bj->b", np.roll(v, s, axis=1), d, h)
        whole = float(np.roll(v_all, s) @ d @ h_all)
        out[int(s)] = float((1 - WHOLE_WEIGHT) * (per_bar * w).sum() / w.sum()
                            + WHOLE_WEIGHT * whole)
    return out


def best_shift(scores: dict[int, float]) -> int:
    """The least-clashing shift; 0 unless another one lowers the clash by MIN_GAIN
    (the smaller move wins a near tie)."""
    if not scores:
        return 0
    best = min(scores, key=lambda s: (scores[s], abs(s)))
    return best if scores.get(0, np.inf) - scores[best] >= MIN_GAIN else 0


def paired_bars(vocal_chroma: Sequence[Sequence[float]], instrumental_chroma: Sequence[Sequence[float]],
                pairs: Sequence[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vocal rows, instrumental rows, weights) for (vocal bar, instrumental bar,
    weight) pairs, dropping pairs outside either song."""
    vc, ic = np.asarray(vocal_chroma, float), np.asarray(instrumental_chroma, float)
    keep = [(a, b, w) for a, b, w in pairs if 0 <= a < len(vc) and 0 <= b < len(ic) and w > 0]
    if not keep or vc.ndim != 2 or ic.ndim != 2:
        return np.zeros((0, 12)), np.zeros((0, 12)), np.zeros(0)
    a, b, w = (np.array(x) for x in zip(*keep))
    return vc[a.astype(int)], ic[b.astype(int)], w.astype(float)
