"""Multiband compression of the mix bus, step 13.3 (`ab_multiband_comp_v1`).

Two songs' stems rarely share a spectral balance; a gentle per-band compressor
evens out the low end and the vocal range separately. Bands are split by LR4
crossovers at 150/600/3000 Hz and compressed with the values in `MULTIBAND_BANDS`; the
input's integrated loudness is restored afterwards so step 14 sees the same
level whether this step ran or not.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from musicmixer.audio import integrated_lufs
from musicmixer.channels import in_parallel

from .crossover import Crossover
from .dynamics import Compressor

MULTIBAND_CROSSOVERS = (150.0, 600.0, 3000.0)
MULTIBAND_BANDS = (  # low to high
    Compressor(threshold_db=-14.0, ratio=4.0, attack_ms=20.0, release_ms=200.0),
    Compressor(threshold_db=-20.0, ratio=3.0, attack_ms=10.0, release_ms=120.0),
    Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=5.0, release_ms=100.0),
    Compressor(threshold_db=-24.0, ratio=2.0, attack_ms=3.0, release_ms=80.0),
)


def restore_loudness(audio: np.ndarray, reference: np.ndarray, sr: int) -> np.ndarray:
    """Scale `audio` to the integrated loudness of `reference` (no-op on silence)."""
    before, after = integrated_lufs(reference, sr), integrated_lufs(audio, sr)
    if not (np.isfinite(before) and np.isfinite(after)):
        return audio
    return (audio * np.float32(10.0 ** ((before - after) / 20.0))).astype(np.float32)


def multiband_compress(audio: np.ndarray, sr: int, crossovers=MULTIBAND_CROSSOVERS,
                       bands=MULTIBAND_BANDS, restore_lufs: bool = True) -> np.ndarray:
    """Step 13.3: split, compress each band, sum, restore the input LUFS."""
    if len(bands) != len(crossovers) + 1:
        raise ValueError("need one compressor per band (len(crossovers) + 1)")
    parts = Crossover(tuple(crossovers)).split(audio, sr)
    compressed = in_parallel(lambda band: band[0](band[1], sr), zip(bands, parts, strict=True))
    out = np.asarray(compressed[0], dtype=np.float32)  # the compressor's own new array
    for part in compressed[1:]:
        out += part
    return restore_loudness(out, audio, sr) if restore_lufs else out
