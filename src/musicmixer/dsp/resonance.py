"""Resonance notches, step 9.5 (`ab_resonance_detection_v1`).

Time-stretching and stacking two songs leave narrow ringing peaks - boxy at
200-600 Hz, harsh at 2-4 kHz. This finds peaks of the long-term spectrum that
stand more than 10 dB above a smoothed baseline in those two ranges (at most
three, strongest first) and cuts each with a narrow peaking filter: Q 4-6 from
the peak's width, never deeper than -3 dB.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import find_peaks

from .chain import Chain
from .filters import PeakFilter, apply_sos
from .reference import long_term_spectrum

SEARCH_BANDS = ((200.0, 600.0), (2000.0, 4000.0))
MIN_PROMINENCE_DB = 10.0
MAX_NOTCHES = 3
MAX_CUT_DB = 3.0
Q_RANGE = (4.0, 6.0)
POINTS_PER_OCTAVE = 48
BASELINE_OCTAVES = 1.0  # a median over an octave ignores narrow peaks and their skirts


@dataclass(frozen=True)
class Resonance:
    freq: float
    prominence_db: float
    q: float


def _log_spectrum_db(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Long-term spectrum (dB) resampled to a log-frequency grid."""
    freqs, power = long_term_spectrum(audio, sr)
    grid = 2.0 ** np.arange(np.log2(50.0), np.log2(0.45 * sr), 1 / POINTS_PER_OCTAVE)
    level = 10 * np.log10(np.maximum(np.interp(grid, freqs, power), 1e-20))
    return grid, level


def find_resonances(audio: np.ndarray, sr: int, bands=SEARCH_BANDS,
                    min_prominence_db: float = MIN_PROMINENCE_DB,
                    max_count: int = MAX_NOTCHES) -> list[Resonance]:
    """Peaks > `min_prominence_db` above the baseline inside `bands`, strongest first."""
    grid, level = _log_spectrum_db(audio, sr)
    size = int(BASELINE_OCTAVES * POINTS_PER_OCTAVE) | 1
    excess = level - median_filter(level, size=size, mode="nearest")
    in_bands = np.zeros(len(grid), dtype=bool)
    for low, high in bands:
        in_bands |= (grid >= low) & (grid <= high)
    peaks, props = find_peaks(np.where(in_bands, excess, 0.0), height=min_prominence_db,
                              width=0, rel_height=0.5)
    found = []
    for i in np.argsort(props["peak_heights"])[::-1][:max_count]:
        width_octaves = props["widths"][i] / POINTS_PER_OCTAVE
        bandwidth = grid[peaks[i]] * (2 ** (width_octaves / 2) - 2 ** (-width_octaves / 2))
        freq = _refine(grid, excess, peaks[i])
        q = float(np.clip(freq / max(bandwidth, 1e-6), *Q_RANGE))
        found.append(Resonance(freq, float(props["peak_heights"][i]), q))
    return found


def _refine(grid: np.ndarray, level: np.ndarray, i: int) -> float:
    """Peak frequency between grid points (parabola through the top three)."""
    if 0 < i < len(level) - 1:
        a, b, c = level[i - 1], level[i], level[i + 1]
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
        return float(grid[i] * 2 ** (np.clip(shift, -0.5, 0.5) / POINTS_PER_OCTAVE))
    return float(grid[i])


def notch_chain(resonances: list[Resonance], max_cut_db: float = MAX_CUT_DB) -> Chain:
    return Chain(PeakFilter(r.freq, -min(max_cut_db, r.prominence_db / 2), r.q)
                 for r in resonances)


def notch_resonances(audio: np.ndarray, sr: int) -> tuple[np.ndarray, list[Resonance]]:
    """Step 9.5: find and cut resonances; returns (audio, what was cut). The notches
    run as one cascade of sections: one pass over the stem, not one per notch."""
    found = find_resonances(audio, sr)
    if not found:
        return np.asarray(audio, dtype=np.float32), []
    return apply_sos(audio, np.concatenate([f.sos(sr) for f in notch_chain(found)])), found
