"""Stems for the analysis as a mapping that reads each one when it is asked for.

`analyze_song` asks for one stem at a time (its features, then its bar
energies, then the vocal stem's regions and pitch) and keeps only what it
computes from it: onset envelopes, chroma, frame and bar RMS, all at frame
rate. Given the stems' files rather than arrays, at most one whole stem is in
memory at once instead of all of them (bench/memory.py, two 15-minute songs:
the analyze stage held the mix and 4 stems, 2.6 GB at its peak). A file is
read again each time it is asked for: a float32 WAV reads at several hundred
MB/s, far less than the features cost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from ..audio import load_audio

StemInput = np.ndarray | str | Path  # an array at the analysis' rate, or a file to decode


class StemReader(Mapping[str, np.ndarray]):
    """{name: (channels, n) float32}: arrays as given, files decoded on each access."""

    def __init__(self, stems: Mapping[str, StemInput] | None, sr: int):
        self._stems = dict(stems or {})
        self._sr = sr

    def __getitem__(self, name: str) -> np.ndarray:
        stem = self._stems[name]
        if isinstance(stem, str | Path):
            return load_audio(stem, self._sr)
        return np.asarray(stem, dtype=np.float32)

    def __iter__(self) -> Iterator[str]:
        return iter(self._stems)

    def __len__(self) -> int:
        return len(self._stems)
