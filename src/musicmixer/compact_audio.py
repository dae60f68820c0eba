"""Intermediate stems kept on disk as 24-bit FLAC instead of float32 WAV.

Used for what the web app keeps between renders (a remix's `base/stems/`, which
every re-render reads) and for the stem cache's entries; never for what a user
asks for (the CLI's `stems/*.wav` stay float32).

Why 24-bit FLAC and not float16: FLAC is lossless over 24-bit integers, so the
only change is rounding each sample to a step of 2^-23 of full scale: at most
2^-24 (-144 dBFS, 6e-8) off. Not bit-exact (float32 is finer near zero), so
the figures below say what it changes.
float16 keeps 11 significant bits: measured on the test song's stems its error
is -74 dB under each stem's RMS (16-bit audio's own floor is ~-98 dBFS) and mastering
then adds gain; 24-bit FLAC's is -120 to -128 dB under the RMS, and FLAC is
smaller than float16's fixed half of float32.
The fastest FLAC level (0) is used: on a 105 s test mix it encoded in 0.5 s
against 1.4 s at the default level, for 7% more bytes.
Measured (bench/api.py, the 8-bar test remix with one re-render): a remix's
`base/` 129 -> 39 MB per minute of remix, its songs' stem-cache entries
160 -> 75 MB; the whole remix, cache included, 304 -> 129 MB. A master
re-rendered from these stems differs from the float32 path by at most 5.4e-7
(-125 dBFS), LUFS and true peak by under 1e-5 dB (tests/test_compact_stems.py).

Stems before mastering may peak above 1.0 (a bus can); a stem is divided by a
power of two (`scale`, exact in floating point) until it fits below full
scale, and the scale is kept beside the file, so nothing clips or wraps.
Quantising here, not in libsndfile, keeps the rounding symmetric and makes a
written-then-read stem identical to `quantise(stem)`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import soundfile as sf

from .audio import SAMPLE_RATE, load_audio, save_audio
from .audio_blocks import copy_blocks, peak_of_file

FULL_SCALE = float(1 << 23)  # 24-bit: integers in [-2^23, 2^23 - 1]
_TOP = (FULL_SCALE - 1) / FULL_SCALE
MANIFEST = "manifest.json"  # {"format": "flac24", "scales": {stem: power of two}}


def scale_for(audio: np.ndarray) -> float:
    """The smallest power of two (>= 1) that brings the peak under full scale."""
    return _scale_of_peak(float(np.max(np.abs(audio))) if audio.size else 0.0)


def _scale_of_peak(peak: float) -> float:
    if not np.isfinite(peak):
        raise ValueError("audio holds NaN or infinite samples")
    scale = 1.0
    while peak / scale > _TOP:
        scale *= 2.0
    return scale


def _to_int(audio: np.ndarray, scale: float) -> np.ndarray:
    # float32 is exact here: the factor is a power of two, |q| <= 2^23
    q = np.rint(np.asarray(audio, dtype=np.float32) * np.float32(FULL_SCALE / scale))
    return np.clip(q, -FULL_SCALE, FULL_SCALE - 1).astype(np.int32)


def _from_int(ints: np.ndarray, scale: float) -> np.ndarray:
    return ints.astype(np.float32) * np.float32(scale / FULL_SCALE)


def quantise(audio: np.ndarray, scale: float | None = None) -> np.ndarray:
    """What a stem reads back as after `write_flac24` (float32, same shape)."""
    scale = scale_for(audio) if scale is None else scale
    return _from_int(_to_int(audio, scale), scale)


def write_flac24(path: str | os.PathLike, audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Write (2, n) audio atomically as 24-bit FLAC; returns the scale to read it with."""
    path = Path(path)
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    scale = scale_for(audio)
    ints = _to_int(audio, scale) << 8  # libsndfile takes int32 and keeps the top 24 bits
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".flac", dir=path.parent)
    os.close(fd)
    try:
        sf.write(tmp, ints.T, sr, subtype="PCM_24", format="FLAC", compression_level=0.0)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return scale


def read_flac24(path: str | os.PathLike, scale: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A stem written by `write_flac24`, as float32 (2, n)."""
    data, file_sr = sf.read(str(path), dtype="int32", always_2d=True)
    if file_sr != sr:  # not what we write; decode and resample the ordinary way
        return (load_audio(path, sr) * np.float32(scale)).astype(np.float32)
    audio = _from_int(data.T >> 8, scale)
    if audio.shape[0] == 1:
        audio = np.repeat(audio, 2, axis=0)
    return np.ascontiguousarray(audio, dtype=np.float32)



def write_flac24_from_file(path: str | os.PathLike, source: str | os.PathLike,
                           sr: int = SAMPLE_RATE) -> float:
    """`write_flac24` of a float32 WAV, block by block (a whole-song stem never
    in memory): the same scale and the same samples; returns the scale."""
    scale = _scale_of_peak(peak_of_file(source))
    copy_blocks(source, path, sr, lambda block: _to_int(block, scale) << 8, fmt="FLAC",
                subtype="PCM_24", compression_level=0.0)
    os.chmod(path, 0o644)
    return scale


def flac24_to_wav(src: str | os.PathLike, dest: str | os.PathLike, scale: float,
                  sr: int = SAMPLE_RATE) -> Path:
    """`read_flac24` saved as a float32 stereo WAV, block by block."""
    if sf.info(str(src)).samplerate != sr:  # not what we write: the whole-array way
        return save_audio(dest, read_flac24(src, scale, sr), sr)

    def convert(ints: np.ndarray) -> np.ndarray:
        audio = _from_int(ints >> 8, scale)
        return np.repeat(audio, 2, axis=0) if audio.shape[0] == 1 else audio

    return copy_blocks(src, dest, sr, convert, read_dtype="int32")

# --- a folder of stems: {stem}.flac + manifest.json, or float32 {stem}.wav ---

def read_scales(folder: Path) -> dict[str, float]:
    """The scales of a compacted stem folder; {} when it was never compacted."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text())
        return {str(k): float(v) for k, v in data["scales"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def stem_paths(folder: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Each stem's file: its FLAC when the manifest lists it, else its WAV."""
    folder = Path(folder)
    scales = read_scales(folder)
    if names is None:
        names = sorted({p.stem for p in folder.glob("*.wav") if not p.name.startswith(".")}
                       | set(scales))
    out = {}
    for name in names:
        flac, wav = folder / f"{name}.flac", folder / f"{name}.wav"
        if name in scales and flac.is_file():
            out[name] = flac
        elif wav.is_file():
            out[name] = wav
    return out


def load_stem(path: Path, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A stem from `stem_paths`: a compacted FLAC with its scale, or any audio file."""
    path = Path(path)
    if path.suffix.lower() == ".flac":
        scales = read_scales(path.parent)
        if path.stem in scales:
            return read_flac24(path, scales[path.stem], sr)
    return load_audio(path, sr)


def compact_folder(folder: Path, stems: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
    """Turn a folder's float32 `{stem}.wav` into `{stem}.flac` + manifest.

    `stems`, when given, are the WAVs' contents already in memory. Order makes
    a crash at any point harmless: the FLACs, then the manifest (from then on
    readers take the FLACs), then the WAVs go.
    """
    folder = Path(folder)
    wavs = {p.stem: p for p in folder.glob("*.wav") if not p.name.startswith(".")}
    if not wavs:
        return read_scales(folder)
    scales = dict(read_scales(folder))
    for name, path in sorted(wavs.items()):
        audio = stems[name] if stems is not None and name in stems else load_audio(path)
        scales[name] = write_flac24(folder / f"{name}.flac", audio)
    _write_manifest(folder, scales)
    for path in wavs.values():
        path.unlink(missing_ok=True)
    return scales


def _write_manifest(folder: Path, scales: dict[str, float]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"format": "flac24", "scales": scales}, fh, indent=1, sort_keys=True)
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
