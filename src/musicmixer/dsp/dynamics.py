"""A feed-forward compressor and the vocal compression of step 11.

The level detector is stereo-linked peak, taken per short block (at most a
quarter of the attack time), so the attack/release smoother - the one part
that has to be a loop - runs about a thousand steps per second of audio
instead of 44,100. The smoothed gain is interpolated back to every sample.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicmixer.stems import BACKING_VOCAL_STEM, LEAD_VOCAL_STEM, MIXED_VOCAL_STEM, is_vocal

from .chain import amp_to_db, as_2d


def static_gain_db(level_db: np.ndarray, threshold_db: float, ratio: float,
                   knee_db: float = 0.0) -> np.ndarray:
    """The gain computer: gain in dB (<= 0) for a detector level, soft knee optional."""
    over = np.asarray(level_db, dtype=np.float64) - threshold_db
    slope = 1.0 / ratio - 1.0
    gain = np.where(over > 0, slope * over, 0.0)
    if knee_db > 0:
        in_knee = np.abs(over) <= knee_db / 2
        gain = np.where(in_knee, slope * (over + knee_db / 2) ** 2 / (2 * knee_db), gain)
    return gain


def block_peak_db(audio: np.ndarray, block: int) -> np.ndarray:
    """Peak level (dBFS) of each block of `block` samples, all channels linked."""
    x = np.max(np.abs(as_2d(audio)), axis=0)
    n_blocks = -(-x.shape[0] // block)
    x = np.pad(x, (0, n_blocks * block - x.shape[0]))
    return amp_to_db(x.reshape(n_blocks, block).max(axis=1))


def smooth_gain_db(target_db: np.ndarray, rate_hz: float, attack_ms: float,
                   release_ms: float, initial: float = 0.0) -> np.ndarray:
    """One-pole attack/release smoothing of a gain (dB) sampled at `rate_hz`:
    the attack constant when the gain goes down, the release one when it comes back."""
    att = float(np.exp(-1.0 / max(attack_ms * 1e-3 * rate_hz, 1e-9)))
    rel = float(np.exp(-1.0 / max(release_ms * 1e-3 * rate_hz, 1e-9)))
    out = np.empty(len(target_db))
    state = initial
    for i, target in enumerate(target_db.tolist()):
        coef = att if target < state else rel
        state = target + coef * (state - target)
        out[i] = state
    return out


def blocks_to_samples(values: np.ndarray, block: int, n: int, dtype=np.float64) -> np.ndarray:
    """Linear interpolation of per-block values to n samples (block centres), held
    flat before the first centre and after the last: `np.interp(np.arange(n),
    centres, values)`, built a block at a time. The samples between two centres
    sit at the same fractions in every block, so there is no search per sample
    (in float32, five times as fast as `np.interp` on a song)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty(n, dtype)
    if n == 0:
        return out
    half = (block - 1) / 2.0  # centre of block 0
    start = min(int(np.ceil(half)), n)  # first sample at or after it
    out[:start] = values[0]
    fractions = ((start + np.arange(block) - half) / block).astype(dtype)
    between = (values[:-1, None].astype(dtype)
               + fractions[None, :] * np.diff(values)[:, None].astype(dtype)).ravel()
    end = min(start + between.size, n)
    out[start:end] = between[:end - start]
    out[end:] = values[-1]
    return out


@dataclass(frozen=True)
class Compressor:
    """Feed-forward peak compressor; `gain_db` returns the per-sample gain curve."""

    threshold_db: float = -20.0
    ratio: float = 3.0
    attack_ms: float = 10.0
    release_ms: float = 80.0
    knee_db: float = 0.0
    makeup_db: float = 0.0

    def block_size(self, sr: int) -> int:
        return int(np.clip(sr * self.attack_ms * 1e-3 / 4, 1, 64))

    def _block_gain_db(self, audio: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
        block = self.block_size(sr)
        level = block_peak_db(audio, block)
        target = static_gain_db(level, self.threshold_db, self.ratio, self.knee_db)
        return smooth_gain_db(target, sr / block, self.attack_ms, self.release_ms), block

    def gain_db(self, audio: np.ndarray, sr: int) -> np.ndarray:
        smoothed, block = self._block_gain_db(audio, sr)
        return blocks_to_samples(smoothed, block, np.shape(audio)[-1]) + self.makeup_db

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """The gain goes to linear per block, then to every sample in float32:
        the same curve within 0.01 dB, at a fraction of the per-sample work."""
        if np.shape(audio)[-1] == 0:
            return np.asarray(audio, dtype=np.float32)
        smoothed, block = self._block_gain_db(audio, sr)
        linear = 10.0 ** ((smoothed + self.makeup_db) / 20.0)
        gain = blocks_to_samples(linear, block, np.shape(audio)[-1], np.float32)
        return np.asarray(audio, dtype=np.float32) * gain


# Step 11 ratios by stem: backing vocals lighter, because step 13.3's multiband
# pass compresses them again (docs/architecture.md, "compression stacking mitigation").
VOCAL_COMPRESSION_RATIOS = {LEAD_VOCAL_STEM: 3.0, MIXED_VOCAL_STEM: 3.0, BACKING_VOCAL_STEM: 2.0}


def vocal_compressor(stem_name: str) -> Compressor:
    """Step 11's compressor for a vocal stem: -20 dB, 3:1 (2:1 backing), 10/80 ms."""
    if not is_vocal(stem_name):
        raise ValueError(f"{stem_name!r} is not a vocal stem")
    ratio = VOCAL_COMPRESSION_RATIOS.get(stem_name, 3.0)
    return Compressor(threshold_db=-20.0, ratio=ratio, attack_ms=10.0, release_ms=80.0)


def compress_vocal(audio: np.ndarray, sr: int, stem_name: str) -> np.ndarray:
    """Step 11: compress one vocal stem with the ratio its name calls for."""
    return vocal_compressor(stem_name)(audio, sr)
