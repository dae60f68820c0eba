"""Linkwitz-Riley 4th-order crossovers: split a signal into bands that add back
to the input with a flat magnitude (used by steps 12.5 and 13.3).

An LR4 low/high pair is two cascaded Butterworth 2nd-order filters; the pair
sums to a 2nd-order allpass. With several crossovers, each band is passed
through the allpasses of the crossovers it did not go through, so every band
carries the same phase and the sum is flat.

`zero_phase=True` instead runs one Butterworth 2nd-order pass forwards and
backwards: the same LR4 magnitude per band, no phase shift, and bands that add
back to the input exactly. Offline that is the better choice, and the default.
Zero-phase Butterworth low and high passes are power-complementary
(|L|^2 + |H|^2 = 1), so the high side is computed as the input minus the low
side: half the filtering, and the sum is exact by construction.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .filters import allpass_sos, apply_sos, butter_sos


@dataclass(frozen=True)
class Crossover:
    """Band edges in Hz, ascending; `split` returns len(freqs) + 1 bands, low first."""

    freqs: tuple[float, ...] = (150.0, 600.0, 3000.0)
    zero_phase: bool = True

    def split(self, audio: np.ndarray, sr: int) -> list[np.ndarray]:
        freqs = sorted(self.freqs)
        bands: list[np.ndarray] = []
        rest = np.asarray(audio, dtype=np.float32)
        for freq in freqs:
            bands.append(self._lowpass(rest, freq, sr))
            rest = rest - bands[-1] if self.zero_phase else self._highpass(rest, freq, sr)
        bands.append(rest)
        if not self.zero_phase:
            # band i has seen crossovers 0..i; align it with the later ones
            for i, band in enumerate(bands[:-1]):
                for freq in freqs[i + 1:]:
                    band = apply_sos(band, allpass_sos(freq, sr))
                bands[i] = band
        return bands

    def band(self, audio: np.ndarray, sr: int, index: int) -> np.ndarray:
        """`split(audio, sr)[index]` alone: in zero-phase mode, two filter passes
        instead of four for the middle of three bands (step 12.5 ducks only that one)."""
        if not self.zero_phase:
            return self.split(audio, sr)[index]
        freqs = sorted(self.freqs)
        x = np.asarray(audio, dtype=np.float32)
        for freq in freqs[:index]:
            x = x - self._lowpass(x, freq, sr)
        return self._lowpass(x, freqs[index], sr) if index < len(freqs) else x

    def _lowpass(self, x, freq, sr):
        return self._lr(x, butter_sos("lowpass", freq, sr, 2), sr)

    def _highpass(self, x, freq, sr):
        return self._lr(x, butter_sos("highpass", freq, sr, 2), sr)

    def _lr(self, x, sos2, sr):
        if self.zero_phase:
            return apply_sos(x, sos2, zero_phase=True)
        return apply_sos(x, np.concatenate([sos2, sos2]))
