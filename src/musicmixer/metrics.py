"""Quality numbers shared by tests and benchmarks.

`sdr` is the plain signal-to-distortion ratio, not BSS-eval's: no allowed
distortion filter, so a stem that is right but delayed or re-equalised scores
low. That strictness suits synthetic songs, whose ground truth is exact.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-10


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """10 log10(|s|^2 / |s - s_hat|^2) in dB over all channels and samples.

    Silence as the estimate scores 0 dB, whatever the reference; the epsilon
    keeps a silent reference or a perfect estimate finite.
    """
    s = np.asarray(reference, dtype=np.float64)
    e = np.asarray(estimate, dtype=np.float64)
    if s.shape != e.shape:
        raise ValueError(f"reference {s.shape} and estimate {e.shape} differ in shape")
    signal = float(np.sum(s**2))
    error = float(np.sum((s - e) ** 2))
    return float(10.0 * np.log10((signal + _EPS) / (error + _EPS)))
