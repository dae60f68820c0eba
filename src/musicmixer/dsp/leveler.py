"""The auto-leveler of step 13.7: slow gain riding of the mix towards its own
programme loudness, so a quiet verse of one song and a loud chorus of the other
end up closer, within small limits that keep the arrangement's dynamics.

The tuning depends on the sound-quality flags (step 13.7):
multiband compression already evens the mix, so with it the leveler does least.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from musicmixer.audio import integrated_lufs

from .chain import as_2d
from .filters import HighShelf, apply_sos, butter_sos

HOP_S = 0.1
GATE_LU = 20.0  # windows this far below the programme loudness are left alone

LEVELER_TUNING = {  # (max boost dB, max cut dB, window s)
    "default": (2.0, 3.0, 3.0),
    "ab_autolvl_tune_v1": (1.5, 2.5, 4.0),
    "ab_multiband_comp_v1": (1.0, 1.5, 3.0),
}


def _flag(flags, name: str) -> bool:
    if isinstance(flags, Mapping):
        return bool(flags.get(name, False))
    return bool(getattr(flags, name, False))


def leveler_tuning(flags) -> tuple[float, float, float]:
    """(max boost dB, max cut dB, window s) for a Settings object or a flag mapping.

    Multiband on wins over `ab_autolvl_tune_v1`; it keeps the tuned window.
    """
    if _flag(flags, "ab_multiband_comp_v1"):
        boost, cut, _ = LEVELER_TUNING["ab_multiband_comp_v1"]
        window = LEVELER_TUNING["ab_autolvl_tune_v1" if _flag(flags, "ab_autolvl_tune_v1")
                                else "default"][2]
        return boost, cut, window
    if _flag(flags, "ab_autolvl_tune_v1"):
        return LEVELER_TUNING["ab_autolvl_tune_v1"]
    return LEVELER_TUNING["default"]


def k_weighted(audio: np.ndarray, sr: int) -> np.ndarray:
    """BS.1770 K-weighting (head shelf + low cut), close enough for riding gain."""
    sos = np.concatenate([HighShelf(1500.0, 4.0).sos(sr), butter_sos("highpass", 38.0, sr, 2)])
    return apply_sos(as_2d(audio), sos)


def short_term_loudness(audio: np.ndarray, sr: int, window_s: float,
                        hop_s: float = HOP_S) -> np.ndarray:
    """Loudness (LUFS-like) of a `window_s` window centred on every hop."""
    x = k_weighted(audio, sr).astype(np.float64)
    hop = max(1, int(round(hop_s * sr)))
    n_hops = -(-x.shape[-1] // hop)
    x = np.pad(x, ((0, 0), (0, n_hops * hop - x.shape[-1])))
    power = (x**2).reshape(x.shape[0], n_hops, hop).mean(axis=2).sum(axis=0)
    size = max(1, int(round(window_s / hop_s)))
    power = uniform_filter1d(power, size, mode="nearest")
    return -0.691 + 10 * np.log10(np.maximum(power, 1e-12))


@dataclass(frozen=True)
class AutoLeveler:
    """Step 13.7: ride the gain towards the programme loudness within limits."""

    max_boost_db: float = 2.0
    max_cut_db: float = 3.0
    window_s: float = 3.0

    @classmethod
    def from_flags(cls, flags) -> AutoLeveler:
        return cls(*leveler_tuning(flags))

    def gain_db(self, audio: np.ndarray, sr: int) -> np.ndarray:
        n = np.shape(audio)[-1]
        programme = integrated_lufs(audio, sr)
        if not np.isfinite(programme):
            return np.zeros(n)
        loudness = short_term_loudness(audio, sr, self.window_s)
        wanted = np.clip(programme - loudness, -self.max_cut_db, self.max_boost_db)
        wanted[loudness < programme - GATE_LU] = 0.0
        size = max(1, int(round(self.window_s / HOP_S)))
        smooth = uniform_filter1d(wanted, size, mode="nearest")
        hop = int(round(HOP_S * sr))
        centres = np.arange(len(smooth)) * hop + hop / 2.0
        return np.interp(np.arange(n), centres, smooth)

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        if np.shape(audio)[-1] == 0:
            return np.asarray(audio, dtype=np.float32)
        gain = 10.0 ** (self.gain_db(audio, sr) / 20.0)
        return (np.asarray(audio) * gain).astype(np.float32)


def auto_level(audio: np.ndarray, sr: int, flags=None) -> np.ndarray:
    """Step 13.7 with the tuning the flags call for (none: the default tuning)."""
    return AutoLeveler.from_flags(flags or {})(audio, sr)
