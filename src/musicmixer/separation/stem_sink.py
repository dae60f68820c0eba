"""Where a separation backend puts its stems as they come out, block by block.

The local model finishes a stretch of every stem after each segment
(`local_onnx`'s overlap-add); writing that stretch to disk at once, instead of
holding four whole-song stems, keeps separation's memory to a few segments
whatever the song's length (4 stems x 318 MB for a 15-minute song before).

`StemFiles` writes each stem to `{folder}/{stem}.wav` (float32, what every
later stage reads, by range); `StemArrays` keeps them in memory, for callers
that want arrays (tests, `bench/separation.py`). Both take the same blocks,
so the two give the same samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from musicmixer.audio import SAMPLE_RATE
from musicmixer.audio_blocks import BlockWriter


class StemSink(Protocol):
    """Takes each stem's samples in order, in (2, k) blocks."""

    def write(self, name: str, block: np.ndarray) -> None: ...


class StemFiles:
    """Stems written to float32 WAVs as they come; `close()` -> {stem: path}.

    Used as a context manager: on an error the half-written files are dropped."""

    def __init__(self, folder: str | Path, names: Sequence[str], sr: int = SAMPLE_RATE):
        self.folder, self.names, self.sr = Path(folder), list(names), sr
        self._writers: dict[str, BlockWriter] = {}

    def write(self, name: str, block: np.ndarray) -> None:
        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = BlockWriter(self.folder / f"{name}.wav", self.sr)
        writer.write(np.asarray(block, dtype=np.float32))

    def close(self) -> dict[str, Path]:
        return {name: self._writers.pop(name).close() for name in self.names if name in self._writers}

    def discard(self) -> None:
        for writer in self._writers.values():
            writer.discard()
        self._writers.clear()

    def __enter__(self) -> StemFiles:
        return self

    def __exit__(self, kind, *_exc) -> None:
        if kind is not None:
            self.discard()


class StemArrays:
    """Stems of a known length kept in memory; `arrays()` -> {stem: (2, n) float32}."""

    def __init__(self, names: Sequence[str], length: int, channels: int = 2):
        self._out = {name: np.zeros((channels, length), dtype=np.float32) for name in names}
        self._at = dict.fromkeys(names, 0)

    def write(self, name: str, block: np.ndarray) -> None:
        at = self._at[name]
        self._out[name][:, at:at + block.shape[-1]] = block
        self._at[name] = at + block.shape[-1]

    def arrays(self) -> dict[str, np.ndarray]:
        return self._out
