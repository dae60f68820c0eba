"""Periodicity of onset envelopes: autocorrelation and the comb-filtered tempo
candidates (step 2), shared by the beat tracker (`beats`), the octave rules
(`octave`) and the level scores (`levels`).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from .features import FPS

MIN_BPM = 70.0  # slowest beat level we report; slower candidates are counted double
MAX_BPM = 200.0  # fastest beat level we report
_SEARCH_BPM = (40.0, 320.0)


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    scale = np.percentile(x, 99) if x.size else 0.0
    return x / scale if scale > 1e-12 else np.zeros_like(x)


def autocorr(env: np.ndarray, max_lag: int) -> np.ndarray:
    x = env - env.mean()
    n = 1 << int(np.ceil(np.log2(2 * len(x))))
    spec = np.fft.rfft(x, n)
    ac = np.fft.irfft(spec * np.conj(spec), n)[: max_lag + 1]
    return ac / max(ac[0], 1e-12)


def interp_at(ac: np.ndarray, lag: float) -> float:
    i = int(lag)
    if i + 1 >= len(ac):
        return 0.0
    f = lag - i
    return float((1 - f) * ac[i] + f * ac[i + 1])


def tempo_candidates(env: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Comb-filtered autocorrelation score over a fine BPM grid."""
    lo, hi = _SEARCH_BPM
    max_lag = int(np.ceil(60.0 * FPS / lo * 4)) + 2
    ac = autocorr(env, min(max_lag, len(env) - 1))
    bpms = np.arange(lo, hi, 0.25)
    scores = np.empty_like(bpms)
    for j, bpm in enumerate(bpms):
        lag = 60.0 * FPS / bpm
        s = 0.0
        for k in (1, 2, 3, 4):
            s += interp_at(ac, lag * k) / k**0.5
        scores[j] = s
    return bpms, scores


def acf_at(ac: np.ndarray, lag: float) -> float:
    """Autocorrelation near `lag` frames (the best of +-1 frame: tempo is only
    known to a quarter BPM here)."""
    return max(interp_at(ac, lag + d) for d in (-1.0, -0.5, 0.0, 0.5, 1.0))
