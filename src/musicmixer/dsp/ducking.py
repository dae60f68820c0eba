"""Spectral ducking, step 12.5: while the vocals sing, the instrumental bus
gives up 3.5 dB in 300-3000 Hz - the band the voice needs to be understood -
and nothing elsewhere, so the groove keeps its weight and its air.

The instrumental is split by LR4 crossovers at 300 and 3000 Hz (zero-phase:
the bands add back to the input exactly, so silence in the vocals means an
untouched instrumental). Vocal activity is the vocal bus's short-term level
against a threshold relative to its own loud passages; the mid band's gain
follows it with a 30 ms attack and a 150 ms release.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chain import amp_to_db, as_2d, match_length
from .crossover import Crossover
from .dynamics import blocks_to_samples, smooth_gain_db

BLOCK_S = 0.01  # vocal level measured every 10 ms ...
RMS_WINDOW_S = 0.05  # ... over 50 ms


def vocal_activity(vocal: np.ndarray, sr: int, floor_db: float = -50.0,
                   range_db: float = 30.0) -> tuple[np.ndarray, int]:
    """(per-block True where the vocal is singing, block size in samples).

    Active = RMS above `floor_db` and within `range_db` of the vocal's loud
    level (its 95th percentile), so bleed and breaths do not count.
    """
    x = as_2d(np.asarray(vocal, dtype=np.float64))
    block = max(1, int(BLOCK_S * sr))
    n_blocks = -(-x.shape[-1] // block)
    x = np.pad(x, ((0, 0), (0, n_blocks * block - x.shape[-1])))
    power = (x**2).reshape(x.shape[0], n_blocks, block).mean(axis=(0, 2))
    width = max(1, int(round(RMS_WINDOW_S / BLOCK_S)))
    power = np.convolve(power, np.ones(width) / width, mode="same")
    level = amp_to_db(np.sqrt(power))
    audible = level > floor_db
    if not audible.any():
        return np.zeros(n_blocks, dtype=bool), block
    loud = np.percentile(level[audible], 95)
    return audible & (level > loud - range_db), block


@dataclass(frozen=True)
class SpectralDucker:
    """Step 12.5: duck the instrumental's mid band under the vocals."""

    depth_db: float = -3.5
    low_hz: float = 300.0
    high_hz: float = 3000.0
    attack_ms: float = 30.0
    release_ms: float = 150.0

    def _block_gain_db(self, vocal: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
        active, block = vocal_activity(vocal, sr)
        target = np.where(active, self.depth_db, 0.0)
        return smooth_gain_db(target, sr / block, self.attack_ms, self.release_ms), block

    def mid_gain_db(self, vocal: np.ndarray, sr: int, n: int) -> np.ndarray:
        """The mid band's gain curve (dB, 0 or down to depth_db) for n samples."""
        smooth, block = self._block_gain_db(vocal, sr)
        return blocks_to_samples(smooth, block, n)

    def __call__(self, instrumental: np.ndarray, vocal: np.ndarray, sr: int) -> np.ndarray:
        """The gain goes linear per block and then to every sample in float32 (as
        the compressor's does): the same curve within 0.02 dB."""
        inst = np.asarray(instrumental, dtype=np.float32)
        n = inst.shape[-1]
        if n == 0 or not np.any(vocal):
            return inst
        smooth, block = self._block_gain_db(match_length(as_2d(vocal), n), sr)
        less = blocks_to_samples(10.0 ** (smooth / 20.0) - 1.0, block, n, np.float32)
        # The zero-phase bands add back to the input, so low + g*mid + high is
        # the input plus (g - 1) * mid: only the mid band is filtered out.
        mid = Crossover((self.low_hz, self.high_hz)).band(inst, sr, 1)
        mid *= less
        return inst + mid


def duck_instrumental(instrumental: np.ndarray, vocal: np.ndarray, sr: int,
                      depth_db: float = -3.5) -> np.ndarray:
    """Step 12.5 with the reference values (-3.5 dB, 300-3000 Hz, 30/150 ms)."""
    return SpectralDucker(depth_db=depth_db)(instrumental, vocal, sr)
