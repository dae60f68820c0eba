"""An effect chain: a list of `(audio, sr) -> audio` callables, applied in order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Chain(list):
    """Apply each effect in turn, like a row of pedals."""

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        for effect in self:
            audio = effect(audio, sr)
        return audio


@dataclass(frozen=True)
class Gain:
    """A static gain in dB."""

    gain_db: float

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        return (audio * np.float32(db_to_amp(self.gain_db))).astype(np.float32, copy=False)


def db_to_amp(db):
    """dB to a linear factor (scalar or array)."""
    return 10.0 ** (np.asarray(db, dtype=np.float64) / 20.0)


def amp_to_db(amp, floor: float = 1e-12):
    """Linear to dB, with a floor instead of -inf."""
    return 20.0 * np.log10(np.maximum(amp, floor))


def as_2d(audio: np.ndarray) -> np.ndarray:
    """(n,) -> (1, n); (channels, n) unchanged."""
    audio = np.asarray(audio)
    return audio[None, :] if audio.ndim == 1 else audio


def match_length(audio: np.ndarray, n: int) -> np.ndarray:
    """Zero-pad or cut the last axis to n samples."""
    if audio.shape[-1] >= n:
        return audio[..., :n]
    pad = [(0, 0)] * (audio.ndim - 1) + [(0, n - audio.shape[-1])]
    return np.pad(audio, pad)
