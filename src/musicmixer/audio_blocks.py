"""Float32 stereo WAVs written and read block by block, so a whole-song stem
never has to sit in memory.

Separation writes each stem as it comes out of the overlap-add
(`separation.stem_sink`), the stem cache packs and unpacks its FLAC entries
through these blocks, and the analysis reads a stem one block at a time. A
15-minute stereo float32 stem is 318 MB; a block is `BLOCK` frames (6 s, 2 MB).
Every sample goes through the same elementwise arithmetic as the whole-array
code did, so the files are the same sample for sample.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

BLOCK = 1 << 18  # frames per block: 5.9 s at 44.1 kHz, 2 MB of float32 stereo


def is_float_stereo_wav(path: str | os.PathLike, sr: int) -> bool:
    """What separation writes: a float32 stereo WAV at `sr` (readable by range)."""
    try:
        info = sf.info(str(path))
    except Exception:
        return False
    return info.format == "WAV" and info.subtype == "FLOAT" and info.channels == 2 and info.samplerate == sr


def frames_of(path: str | os.PathLike) -> int:
    return int(sf.info(str(path)).frames)


def read_blocks(path: str | os.PathLike, block: int = BLOCK, dtype: str = "float32") -> Iterator[np.ndarray]:
    """The file's samples as (channels, k) blocks, in order."""
    with sf.SoundFile(str(path)) as fh:
        while True:
            data = fh.read(block, dtype=dtype, always_2d=True)
            if not len(data):
                return
            yield np.ascontiguousarray(data.T)


def peak_of_file(path: str | os.PathLike) -> float:
    """max |sample| over the file; raises ValueError on NaN or infinite samples."""
    peak = 0.0
    for data in read_blocks(path):
        if data.size:
            p = float(np.max(np.abs(data)))
            if not np.isfinite(p):
                raise ValueError(f"{Path(path).name} holds NaN or infinite samples")
            peak = max(peak, p)
    return peak


class BlockWriter:
    """An audio file written in order, block by block, and put in place
    atomically on `close` (a temporary file in the same folder, then a rename),
    so a crash never leaves a half-written file under the final name."""

    def __init__(self, path: str | os.PathLike, sr: int, channels: int = 2, *,
                 fmt: str = "WAV", subtype: str = "FLOAT", **options):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix,
                                   dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self.frames = 0
        try:
            self._fh = sf.SoundFile(tmp, "w", sr, channels, subtype=subtype, format=fmt, **options)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise

    def write(self, block: np.ndarray) -> None:
        """Append (channels, k) samples."""
        self._fh.write(np.ascontiguousarray(np.asarray(block).T))
        self.frames += block.shape[-1]

    def close(self) -> Path:
        self._fh.close()
        os.chmod(self._tmp, 0o666 & ~_umask())  # mkstemp makes 0600
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._tmp.unlink(missing_ok=True)


def copy_blocks(src: str | os.PathLike, dst: str | os.PathLike, sr: int,
                convert: Callable[[np.ndarray], np.ndarray], *, read_dtype: str = "float32",
                fmt: str = "WAV", subtype: str = "FLOAT", **options) -> Path:
    """`dst` holds `convert(block)` for each block of `src`, written atomically."""
    writer = None
    try:
        for data in read_blocks(src, dtype=read_dtype):
            out = convert(data)
            if writer is None:
                writer = BlockWriter(dst, sr, out.shape[0], fmt=fmt, subtype=subtype, **options)
            writer.write(out)
        if writer is None:
            raise ValueError(f"{Path(src).name} holds no audio")
        return writer.close()
    except BaseException:
        if writer is not None:
            writer.discard()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
