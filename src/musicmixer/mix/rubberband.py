"""Rubber Band (R3 engine) through its command-line tool, step 9.

One call does tempo and key at once, as the reference product did: a constant
stretch (`ratio`), or a piecewise one given as a time map of (source second,
target second) anchors, which is how vocals are warped onto the other song's
beat grid (`align.py`). Vocal stems get the vocal engine settings (formant
preservation); drums are never pitch-shifted (the caller decides).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from musicmixer.errors import MusicMixerError

R3 = ["-3"]
VOCAL_OPTIONS = ["--formant"]  # keep the voice's timbre when its pitch moves
# Accompaniment moves by a few semitones at most (the vocals take the bulk of a
# key change, see keymatch.py); R3's short window does that at half the cost
# and keeps drum transients tight when a whole instrumental is stretched.
INSTRUMENT_OPTIONS = ["--window-short"]


class RubberBandError(MusicMixerError):
    """The rubberband tool is missing or failed."""


def rubberband_path() -> str:
    path = shutil.which("rubberband")
    if path is None:
        raise RubberBandError("time-stretching needs the rubberband tool (install rubberband-cli)")
    return path


def stretch(audio: np.ndarray, sr: int, *, ratio: float = 1.0, semitones: float = 0.0,
            time_map: np.ndarray | None = None, out_samples: int | None = None,
            vocal: bool = False) -> np.ndarray:
    """Stretch and/or pitch-shift a (channels, n) array with R3.

    time_map: (K, 2) anchors in seconds (source, target), increasing; then
    `out_samples` gives the output length. Without a map, `ratio` is the time
    ratio (2.0 = twice as long). A no-op returns the input unchanged.
    """
    audio = np.asarray(audio, dtype=np.float32)
    n = audio.shape[-1]
    if time_map is None and abs(ratio - 1.0) < 1e-6 and abs(semitones) < 1e-6:
        return audio
    if out_samples is None:
        out_samples = int(round(n * ratio))
    cmd = [rubberband_path(), "-q", *R3]
    cmd += VOCAL_OPTIONS if vocal else INSTRUMENT_OPTIONS
    if abs(semitones) >= 1e-6:
        cmd += ["--pitch", f"{semitones:.6f}"]
    with tempfile.TemporaryDirectory(prefix="mm-rb-") as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        sf.write(str(src), audio.T, sr, subtype="FLOAT")
        if time_map is not None:
            frames = np.round(np.asarray(time_map, dtype=np.float64) * sr).astype(np.int64)
            frames = frames[(frames[:, 0] > 0) & (frames[:, 0] < n) & (frames[:, 1] > 0)
                            & (frames[:, 1] < out_samples)]
            mapfile = Path(tmp) / "map.txt"
            mapfile.write_text("".join(f"{a} {b}\n" for a, b in frames))
            cmd += ["--timemap", str(mapfile)]
        cmd += ["--duration", f"{out_samples / sr:.6f}", str(src), str(dst)]
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0 or not dst.exists():
            detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]  # last line
            raise RubberBandError(f"rubberband failed: {' '.join(detail) or proc.returncode}")
        out, _ = sf.read(str(dst), dtype="float32", always_2d=True)
    out = np.ascontiguousarray(out.T)
    if out.shape[-1] >= out_samples:
        return out[:, :out_samples]
    return np.pad(out, ((0, 0), (0, out_samples - out.shape[-1])))
