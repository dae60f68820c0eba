"""Audio in and out, and the two loudness numbers everything is judged by.

Arrays are float32, shape (channels, samples), stereo, 44.1 kHz: the layout
HTDemucs and the rest of the pipeline expect. Loading is forgiving about the
container (soundfile first, ffmpeg when soundfile cannot) and strict about the
content: empty, zero-length, truncated or non-audio files raise
`AudioDecodeError` with a message a person understands.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import AudioDecodeError

SAMPLE_RATE = 44100
CHANNELS = 2
SUPPORTED_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".aiff", ".aif")


def load_audio(path: str | os.PathLike, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Decode any supported file to float32 stereo at `sr`, shape (2, n)."""
    path = Path(path)
    if not path.exists():
        raise AudioDecodeError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"{path.name}: the file is empty")
    try:
        data, file_sr = _read_soundfile(path)
    except AudioDecodeError:
        raise
    except Exception:
        data, file_sr = _read_ffmpeg(path)
    if data.shape[1] == 0:
        raise AudioDecodeError(f"{path.name}: the file holds no audio (zero length)")
    if not np.all(np.isfinite(data)):
        raise AudioDecodeError(f"{path.name}: the audio holds NaN or infinite samples")
    return to_stereo(resample(data, file_sr, sr))


def _read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    info = sf.info(str(path))
    data, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    if info.frames > 0 and path.suffix.lower() in (".wav", ".aiff", ".aif", ".flac"):
        # libsndfile reads what is there; a header promising more frames than the
        # data holds is a truncated file, which we refuse rather than half-use.
        declared = _declared_pcm_frames(path, info)
        if declared is not None and data.shape[0] < declared:
            raise AudioDecodeError(
                f"{path.name}: the file is truncated ({data.shape[0]} of {declared} frames present)"
            )
    return data.T.copy(), int(file_sr)


def _declared_pcm_frames(path: Path, info) -> int | None:
    """Frames promised by a WAV header's data chunk, or None if not a plain WAV."""
    if path.suffix.lower() != ".wav" or info.format != "WAV":
        return None
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    pos = 12
    while pos + 8 <= len(head):
        chunk, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if chunk == b"data":
            bytes_per_frame = info.channels * _bytes_per_sample(info.subtype)
            if bytes_per_frame == 0 or size in (0, 0xFFFFFFFF):
                return None
            return size // bytes_per_frame
        pos += 8 + size + (size & 1)
    return None


def _bytes_per_sample(subtype: str) -> int:
    return {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8, "PCM_U8": 1}.get(
        subtype, 0
    )


def _read_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    """Decode through ffmpeg to raw float32 stereo at 44.1 kHz."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioDecodeError(
            f"{path.name}: cannot decode this format without ffmpeg (install ffmpeg)"
        )
    cmd = [ffmpeg, "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-ac", "2",
           "-ar", str(SAMPLE_RATE), "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or len(proc.stdout) == 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else "no audio stream found"
        raise AudioDecodeError(f"{path.name}: not a readable audio file ({detail})")
    data = np.frombuffer(proc.stdout, dtype=np.float32)
    data = data[: len(data) // 2 * 2].reshape(-1, 2).T.copy()
    return data, SAMPLE_RATE


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """High-quality (soxr VHQ) resampling of a (channels, n) array."""
    if orig_sr == target_sr:
        return audio.astype(np.float32, copy=False)
    import soxr

    out = soxr.resample(audio.T, orig_sr, target_sr, quality="VHQ")
    return np.ascontiguousarray(out.T, dtype=np.float32)


def to_stereo(audio: np.ndarray) -> np.ndarray:
    """Mono is duplicated; more than two channels are folded down to two."""
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.shape[0] == 1:
        return np.repeat(audio, 2, axis=0).astype(np.float32)
    if audio.shape[0] > 2:
        return np.stack([audio[0::2].mean(0), audio[1::2].mean(0)]).astype(np.float32)
    return audio.astype(np.float32, copy=False)


def save_audio(path: str | os.PathLike, audio: np.ndarray, sr: int = SAMPLE_RATE,
               subtype: str | None = None) -> Path:
    """Write atomically (temporary file in the same folder, then rename), so a
    crash never leaves a half-written file under the final name.

    Format follows the extension: .wav (float32 by default), .flac (24-bit),
    .mp3 (320 kbps through ffmpeg).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    ext = path.suffix.lower()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=ext, dir=path.parent)
    os.close(fd)
    try:
        if ext == ".mp3":
            _write_mp3(Path(tmp), audio, sr)
        elif ext == ".flac":
            sf.write(tmp, audio.T, sr, subtype=subtype or "PCM_24", format="FLAC")
        elif ext == ".wav":
            sf.write(tmp, audio.T, sr, subtype=subtype or "FLOAT", format="WAV")
        else:
            raise ValueError(f"cannot write {ext!r}: use .wav, .flac or .mp3")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_mp3(path: Path, audio: np.ndarray, sr: int) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioDecodeError("writing MP3 needs ffmpeg (install ffmpeg)")
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "f32le", "-ar", str(sr), "-ac", str(audio.shape[0]),
           "-i", "-", "-codec:a", "libmp3lame", "-b:a", "320k", "-f", "mp3", str(path)]
    proc = subprocess.run(cmd, input=np.ascontiguousarray(audio.T).tobytes(), capture_output=True)
    if proc.returncode != 0:
        raise AudioDecodeError(f"ffmpeg could not write MP3: {proc.stderr.decode(errors='replace')}")


def integrated_lufs(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """ITU-R BS.1770 integrated loudness; -inf for silence or very short input."""
    import pyloudnorm

    x = np.asarray(audio, dtype=np.float64)
    x = x[None, :] if x.ndim == 1 else x
    if x.shape[1] < int(0.4 * sr) or not np.any(x):
        return float("-inf")
    meter = pyloudnorm.Meter(sr)
    with np.errstate(divide="ignore"):
        return float(meter.integrated_loudness(x.T))


def true_peak_db(audio: np.ndarray, oversample: int = 4) -> float:
    """True peak in dBTP, measured on a 4x oversampled signal (BS.1770 annex 2)."""
    from scipy.signal import resample_poly

    x = np.asarray(audio, dtype=np.float64)
    x = x[None, :] if x.ndim == 1 else x
    if x.size == 0 or not np.any(x):
        return float("-inf")
    up = resample_poly(x, oversample, 1, axis=-1)
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(x))))
    return 20.0 * np.log10(peak)
