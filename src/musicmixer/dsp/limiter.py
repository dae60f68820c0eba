"""A lookahead true-peak limiter (the last effect of step 14).

Offline, so "lookahead" is simply reading ahead in the array: the gain each
sample needs is taken from 4x-oversampled peaks (BS.1770 annex 2, the way
`musicmixer.audio.true_peak_db` measures), held over the lookahead window,
released exponentially, then smoothed by a moving average as long as the
lookahead. Each step can only lower the gain below what a sample needs, so
the output stays under the ceiling; a final measurement and, if needed, a
second pass (or a small static trim) make sure of it.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d

from musicmixer.audio import oversampled_pieces, true_peak_db
from musicmixer.channels import per_channel

from .chain import amp_to_db, as_2d
from .dynamics import smooth_gain_db

OVERSAMPLE = 4
RELEASE_BLOCK = 32


def sample_true_peaks_db(audio: np.ndarray, oversample: int = OVERSAMPLE) -> np.ndarray:
    """Per sample, the highest oversampled peak between it and the next one (dBFS).
    In float32, as the audio is: the interpolation error is far under 0.001 dB."""
    x = as_2d(np.asarray(audio, dtype=np.float32))
    n = x.shape[-1]

    def channel(c: np.ndarray) -> np.ndarray:
        return np.stack([_row_peaks(row, n, oversample) for row in c])

    peaks = per_channel(channel, x).max(axis=0)
    return amp_to_db(np.maximum(peaks, np.abs(x).max(axis=0)))


def _row_peaks(row: np.ndarray, n: int, oversample: int) -> np.ndarray:
    """Each sample's highest oversampled peak, the 4x signal taken piece by piece
    (the same values as from the whole copy, without holding it)."""
    out, filled, carry = np.empty(n, np.float32), 0, np.empty(0, np.float32)
    for piece in oversampled_pieces(row, oversample):
        piece = np.abs(np.concatenate([carry, piece]) if carry.size else piece)
        k = min(piece.size // oversample, n - filled)
        out[filled:filled + k] = piece[:k * oversample].reshape(k, oversample).max(axis=1)
        filled, carry = filled + k, piece[k * oversample:]
    if filled != n:
        raise ValueError(f"oversampling gave {filled} of {n} samples' peaks")
    return out


def _backward_mean(x: np.ndarray, length: int) -> np.ndarray:
    """Mean of x[n-length+1 .. n], the start padded with x[0]."""
    padded = np.concatenate([np.full(length, x[0]), x])
    cs = np.cumsum(padded)
    return (cs[length:] - cs[:-length]) / length


@dataclass(frozen=True)
class TruePeakLimiter:
    """Keeps the true peak at or under `ceiling_db` dBTP (step 14's last effect)."""

    ceiling_db: float = -1.0
    lookahead_ms: float = 3.0
    release_ms: float = 80.0
    margin_db: float = 0.05  # headroom for peaks the gain change itself creates

    def gain_db(self, audio: np.ndarray, sr: int, ceiling_db: float | None = None,
                peaks_db: np.ndarray | None = None) -> np.ndarray:
        """Per-sample gain (dB); `peaks_db` may be passed in when known (they
        shift with any static gain, so one measurement serves several passes)."""
        ceiling = (self.ceiling_db if ceiling_db is None else ceiling_db) - self.margin_db
        if peaks_db is None:
            peaks_db = sample_true_peaks_db(audio)
        needed = np.minimum(0.0, ceiling - peaks_db)
        look = max(1, int(round(self.lookahead_ms * 1e-3 * sr)))
        held = minimum_filter1d(needed, size=look, origin=-(look // 2), mode="nearest")
        n = len(held)
        n_blocks = -(-n // RELEASE_BLOCK)
        blocks = np.pad(held, (0, n_blocks * RELEASE_BLOCK - n), mode="edge")
        blocks = blocks.reshape(n_blocks, RELEASE_BLOCK).min(axis=1)
        released = smooth_gain_db(blocks, sr / RELEASE_BLOCK, 0.0, self.release_ms)
        released = np.minimum(np.repeat(released, RELEASE_BLOCK)[:n], held)
        return _backward_mean(released, look)

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        return self.process(audio, sr)[0]

    def process(self, audio: np.ndarray, sr: int, peaks_db: np.ndarray | None = None,
                verify: bool = True) -> tuple[np.ndarray, float]:
        """(limited audio, deepest gain reduction in dB); `verify=False` skips
        the final true-peak measurement (for trial passes)."""
        x = np.asarray(audio, dtype=np.float32)
        if x.shape[-1] == 0 or not np.any(x):
            return x, 0.0
        if peaks_db is None:
            peaks_db = sample_true_peaks_db(x)
        ceiling = self.ceiling_db
        for _ in range(3):
            gain = self.gain_db(x, sr, ceiling, peaks_db)
            out = (x * 10.0 ** (gain / 20.0)).astype(np.float32)
            if not verify:
                return out, float(max(0.0, -gain.min()))
            over = true_peak_db(out) - self.ceiling_db
            if over <= 0:
                return out, float(max(0.0, -gain.min()))
            ceiling -= over + 0.02
        trim = over + 0.01
        out = (out * np.float32(10.0 ** (-trim / 20.0))).astype(np.float32)
        return out, float(trim - gain.min())
