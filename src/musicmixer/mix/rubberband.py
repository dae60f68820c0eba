"""Rubber Band (R3 engine) through its command-line tool, step 9.

One call does tempo and key at once, as the older app this design replaced did: a constant
stretch (`ratio`), or a piecewise one given as a time map of (source second,
target second) anchors, which is how vocals are warped onto the other song's
beat grid (`align.py`). Vocal stems get the vocal engine settings (formant
preservation); drums are never pitch-shifted (the caller decides).

R3 costs by channel and by sample rate: its FFT sizes double above 32,768 Hz
(a second of audio costs 1.6-3x as much at 44.1 kHz as at 32.768 kHz, which
costs 25-70% more than 22.05 kHz), and a stereo pass costs about 2.5 mono
ones. So each stem is stretched in the cheapest form that loses nothing
audible (`working_form`): one channel when the two sides are the same to within
-40 dB, and at the lowest of `CHEAP_RATES` whose lost band (above ~9.6 or
~14.6 kHz, less by the shift when it is upward) holds under -40 dB of the stem's
energy, as it does for bass stems after their 8 kHz low-pass, and often for
pianos, guitars and dull vocals. R3 keeps its windows the same length in time
across these rates: stretched at 22.05 kHz, a voice's spectrum under 9 kHz is
as close to the 44.1 kHz result as at 32 kHz (2.0-3.9 dB against 2.4-4.5 dB
log-spectral distance on three bench stems); `bench/stretch.py` measures the
forms against the truth. The result is returned at the caller's rate and
channel count.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import fft as sp_fft

from musicmixer.errors import MusicMixerError

R3 = ["-3"]
VOCAL_OPTIONS = ["--formant"]  # keep the voice's timbre when its pitch moves
# Accompaniment moves by a few semitones at most (the vocals take the bulk of a
# key change, see keymatch.py). R3's short window lands as close to the truth
# as its long one on piano, guitar and bass (bench/stretch.py: median 5.7 against
# 6.4 dB log-spectral distance under 9 kHz) at a third of the CPU, and keeps
# drum transients tight when a whole instrumental is stretched.
INSTRUMENT_OPTIONS = ["--window-short"]
# (rate, what survives a round trip through it with soxr HQ: flat within 0.1 dB to
# ~10.0 and ~15.0 kHz), cheapest first; 32,768 Hz is the highest rate at which R3
# keeps its smaller FFTs (the same CPU as 32 kHz; 33 kHz costs 40% more)
CHEAP_RATES = ((22050, 9600.0), (32768, 14600.0))
HEADROOM_PEAK = 0.25       # input peak for the tool: room for a shift's overshoot
NEGLIGIBLE_DB = -40.0      # energy this far under the stem's is inaudible in the mix


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
    work, rate, mono = working_form(audio, sr, semitones)
    # The tool clamps its output at full scale, or restarts at up to 2.5 dB less
    # gain when it sees clipping: give it headroom and take it back afterwards.
    peak = float(np.abs(work).max())
    scale = HEADROOM_PEAK / peak if peak > HEADROOM_PEAK else 1.0
    out = _run(work * np.float32(scale), rate, semitones=semitones, time_map=time_map,
               seconds=out_samples / sr, vocal=vocal)
    if scale != 1.0:
        out *= np.float32(1.0 / scale)
    if rate != sr:
        out = _resample(out, rate, sr)
    if mono:
        out = np.repeat(out, audio.shape[0], axis=0)
    if out.shape[-1] >= out_samples:
        return out[:, :out_samples]
    return np.pad(out, ((0, 0), (0, out_samples - out.shape[-1])))


def working_form(audio: np.ndarray, sr: int, semitones: float = 0.0
                 ) -> tuple[np.ndarray, int, bool]:
    """(audio to stretch, its rate, whether it is the mono fold): the cheapest
    form of `audio` whose difference from it is under NEGLIGIBLE_DB.

    A rate must carry the band after the shift as well as before it: shifted up
    by `semitones`, input above band / 2^(semitones/12) lands beyond what the
    rate carries, so that is where the lost band starts."""
    total = _energy(audio)
    if total == 0.0:
        return audio, sr, False
    floor = total * 10 ** (NEGLIGIBLE_DB / 10)
    mono = audio.shape[0] == 2 and 2.0 * _energy(0.5 * (audio[0] - audio[1])) <= floor
    work = (0.5 * (audio[0] + audio[1]))[None] if mono else audio
    headroom = 2.0 ** (max(semitones, 0.0) / 12.0)
    lower = [(rate, band_hz / headroom) for rate, band_hz in CHEAP_RATES if rate < sr]
    for (rate, _), lost in zip(lower, _energy_above(work, sr, [hz for _, hz in lower])):
        if lost <= floor / total:
            return _resample(work, sr, rate), rate, mono
    return work, sr, mono


def _energy_above(audio: np.ndarray, sr: int, hz: list[float], frame: int = 2048) -> list[float]:
    """Fraction of the energy above each of `hz`: Hann-windowed spectra of every
    other `frame`-sample block, channels summed (a coarse, cheap Welch estimate)."""
    if not hz:
        return []
    m = audio.shape[-1] // frame
    if m == 0:
        blocks = np.pad(audio, ((0, 0), (0, frame - audio.shape[-1])))[:, None, :]
    else:
        blocks = audio[:, : m * frame].reshape(audio.shape[0], m, frame)[:, ::2]
    spectrum = sp_fft.rfft(blocks * np.hanning(frame).astype(np.float32), axis=-1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2).sum(axis=(0, 1), dtype=np.float64)
    whole = float(power.sum())
    freqs = np.fft.rfftfreq(frame, 1.0 / sr)
    return [float(power[freqs >= f].sum()) / whole if whole > 0 else 0.0 for f in hz]


def _energy(x: np.ndarray) -> float:
    """Sum of squares without a song-long float64 copy (BLAS dot per row: single
    precision, relative error ~1e-4 on a song, far finer than the -40 dB test)."""
    x = np.asarray(x, dtype=np.float32)
    return float(sum(np.dot(row, row) for row in x.reshape(-1, x.shape[-1])))


def _resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    import soxr

    return np.ascontiguousarray(soxr.resample(audio.T, sr_in, sr_out, quality="HQ").T,
                                dtype=np.float32)


def _run(audio: np.ndarray, sr: int, *, semitones: float,
         time_map: np.ndarray | None, seconds: float, vocal: bool) -> np.ndarray:
    """One rubberband process over `audio` at `sr`, `seconds` long out."""
    n = audio.shape[-1]
    out_samples = int(round(seconds * sr))
    cmd = [rubberband_path(), "-q", "--ignore-clipping", *R3]
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
        cmd += ["--duration", f"{seconds:.6f}", str(src), str(dst)]
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0 or not dst.exists():
            detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]  # last line
            raise RubberBandError(f"rubberband failed: {' '.join(detail) or proc.returncode}")
        out, _ = sf.read(str(dst), dtype="float32", always_2d=True)
    return np.ascontiguousarray(out.T)
