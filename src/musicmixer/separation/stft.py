"""A plain STFT pair for the vocal split: periodic Hann, 75 % overlap, float32.

With Hann analysis and synthesis at a quarter-frame hop the windows' squares
sum to 1.5 everywhere, so `istft(stft(x)) == x` to float32 rounding; the split
relies on that to leave nothing in the backing stem when it keeps every bin
for the lead.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft


def window(n_fft: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


BLOCK = 256  # frames transformed at a time: keeps a long song's temporaries small (a multiple of 4)


def stft(x: np.ndarray, n_fft: int) -> np.ndarray:
    """(bins, frames) complex64 of a 1-D signal, padded by one frame each side."""
    hop = n_fft // 4
    n_frames = -(-(len(x) + n_fft) // hop) + 1
    padded = np.zeros(n_fft + (n_frames - 1) * hop, dtype=np.float32)
    padded[n_fft: n_fft + len(x)] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:n_frames]
    win = window(n_fft)
    out = np.empty((n_fft // 2 + 1, n_frames), dtype=np.complex64)
    for a in range(0, n_frames, BLOCK):
        out[:, a:a + BLOCK] = sfft.rfft(frames[a:a + BLOCK] * win, axis=1).T
    return out


def istft(spec: np.ndarray, n_fft: int, length: int) -> np.ndarray:
    """Inverse of `stft` for a signal of `length` samples."""
    hop = n_fft // 4
    n_frames = spec.shape[1]
    win = window(n_fft)
    out = np.zeros(n_fft + (n_frames + 3) * hop, dtype=np.float32)
    for a in range(0, n_frames, BLOCK):
        frames = sfft.irfft(spec[:, a:a + BLOCK].T, n=n_fft, axis=1).astype(np.float32) * win
        for k in range(4):  # frames k, k+4, ... tile the output without overlapping
            block = frames[k::4].reshape(-1)
            start = (a + k) * hop
            out[start: start + len(block)] += block
    return out[n_fft: n_fft + length] / 1.5
