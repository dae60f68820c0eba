"""Rendered parts to stems placed as records place them, and the mix as their sum.

Lead voice and bass sit in the centre, the two backing voices are panned wide
(so they are decorrelated left/right), drums keep a narrowed kit spread. Each
stem is levelled to a target RMS over the time it plays, then one common factor
gives the mix its headroom, so the mix stays the exact sum of the stems.
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import numpy as np

SAMPLE_RATE = 44100
PEAK_TARGET_DB = -1.5

# Pan position (-1 left .. +1 right) of each mono source; None keeps stereo.
PANS = {"bass": 0.0, "piano": -0.3, "guitar": 0.35, "lead": 0.0,
        "backing_hi": -0.75, "backing_lo": 0.75, "drums": None,
        "double": 0.0}
DRUM_WIDTH = 0.6
# Target RMS (dBFS) of each stem while it plays: vocals forward, as in pop.
LEVELS_DB = {"drums": -17.0, "bass": -19.0, "piano": -22.0, "guitar": -24.0,
             "lead_vocals": -16.0, "backing_vocals": -22.0}
STEM_OF_PART = {"drums": "drums", "bass": "bass", "piano": "piano", "guitar": "guitar",
                "lead": "lead_vocals", "backing_hi": "backing_vocals",
                "backing_lo": "backing_vocals", "double": "backing_vocals"}


def fit_length(audio: np.ndarray | None, n: int) -> np.ndarray:
    """Trim or zero-pad a (2, m) array to n samples; None becomes silence."""
    out = np.zeros((2, n), dtype=np.float32)
    if audio is not None:
        m = min(n, audio.shape[1])
        out[:, :m] = audio[:, :m]
    return out


def pan(audio: np.ndarray, position: float | None) -> np.ndarray:
    """Constant-power pan of the mono fold of `audio`; centre is unity on both
    sides. `None` narrows a stereo source to DRUM_WIDTH instead."""
    if position is None:
        mid = 0.5 * (audio[0] + audio[1])
        side = 0.5 * (audio[0] - audio[1]) * DRUM_WIDTH
        return np.stack([mid + side, mid - side]).astype(np.float32)
    mono = 0.5 * (audio[0] + audio[1])
    theta = (position + 1.0) * np.pi / 4.0
    gains = np.sqrt(2.0) * np.array([np.cos(theta), np.sin(theta)])
    return (gains[:, None] * mono[None, :]).astype(np.float32)


def active_rms(audio: np.ndarray, block: int = 4096) -> float:
    """RMS over the blocks that are not near-silent, so a stem that plays for a
    few bars is levelled by how loud it is when it plays."""
    mono = audio.mean(axis=0).astype(np.float64)
    n = len(mono) // block
    if n == 0:
        return float(np.sqrt(np.mean(mono ** 2))) if len(mono) else 0.0
    rms = np.sqrt(np.mean(mono[: n * block].reshape(n, block) ** 2, axis=1))
    top = rms.max()
    if top <= 0:
        return 0.0
    return float(np.sqrt(np.mean(rms[rms > top * 0.1] ** 2)))


def build_stems(rendered: dict[str, np.ndarray | None], n: int) -> dict[str, np.ndarray]:
    """Pan each part, sum parts into stems, level each stem, then scale all stems
    by one factor so the mix peaks at PEAK_TARGET_DB."""
    stems = {s: np.zeros((2, n), dtype=np.float64) for s in LEVELS_DB}
    for part, audio in rendered.items():
        if audio is None:
            continue
        stems[STEM_OF_PART[part]] += pan(fit_length(audio, n), PANS[part])
    for name, audio in stems.items():
        rms = active_rms(audio)
        if rms > 0:
            audio *= 10 ** (LEVELS_DB[name] / 20.0) / rms
    mix = sum(stems.values())
    peak = float(np.max(np.abs(mix))) if n else 0.0
    scale = 10 ** (PEAK_TARGET_DB / 20.0) / peak if peak > 0 else 1.0
    return {name: (audio * scale).astype(np.float32) for name, audio in stems.items()}


def mix_of(stems: dict[str, np.ndarray]) -> np.ndarray:
    """The mix: the float32 sum of the stems, summed in a fixed order."""
    total = np.zeros_like(next(iter(stems.values())), dtype=np.float64)
    for name in sorted(stems):
        total += stems[name]
    return total.astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sr: int = SAMPLE_RATE) -> Path:
    """Float32 WAV with a fixed header and no timestamped PEAK chunk (libsndfile
    writes one), so equal audio gives byte-identical files. Written to a
    temporary name, then renamed."""
    path = Path(path)
    data = np.ascontiguousarray(np.asarray(audio, dtype="<f4").T).tobytes()
    channels = audio.shape[0]
    frames = audio.shape[1]
    fmt = struct.pack("<HHIIHH", 3, channels, sr, sr * channels * 4, channels * 4, 32)
    fact = struct.pack("<I", frames)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"fact" + struct.pack("<I", 4) + fact
            + b"data" + struct.pack("<I", len(data)) + data)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".wav", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"RIFF" + struct.pack("<I", len(body)) + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
