"""Calling the deployed Modal function, and the modal backend of the dispatcher.

The function is looked up by name (`Settings.modal_app_name`,
`Settings.modal_function_name`), so the client needs only the `modal` package
and a token, never the app's source. Tests pass `remote_fn`: any object with
`.remote(audio_bytes=..., filename=..., vocal_sub_separation=...)` (or a plain
callable with those keywords).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from musicmixer.audio import SAMPLE_RATE
from musicmixer.config import Settings
from musicmixer.errors import SeparationError

from .stem_files import fit_to_rate, read_wav

# Formats the container decodes as is; anything else is sent as FLAC.
_SENDABLE = (".wav", ".flac", ".mp3", ".ogg")


def lookup_remote_function(settings: Settings):
    """`modal.Function.from_name(app, function)` for the deployed app."""
    try:
        import modal
    except ImportError:
        raise SeparationError(
            "STEM_BACKEND=modal needs the modal client: pip install 'musicmixer[modal]', "
            "run `modal token new`, then deploy the app (docs/separation.md)") from None
    try:
        return modal.Function.from_name(settings.modal_app_name, settings.modal_function_name)
    except Exception as exc:  # NotFoundError, auth errors: say what to do
        raise SeparationError(
            f"cannot find Modal function {settings.modal_app_name}/{settings.modal_function_name}: "
            f"{exc} (deploy it with `modal deploy -m musicmixer.separation.modal_app`)") from exc


def call_remote(remote_fn, audio_bytes: bytes, filename: str, vocal_sub_separation: bool) -> dict:
    """One remote call, keywords as `separate_stems_remote` takes them."""
    call = getattr(remote_fn, "remote", remote_fn)
    try:
        return call(audio_bytes=audio_bytes, filename=filename,
                    vocal_sub_separation=vocal_sub_separation)
    except SeparationError:
        raise
    except Exception as exc:
        raise SeparationError(f"Modal separation of {filename} failed: {exc}") from exc


def payload_for(job) -> tuple[bytes, str, float]:
    """What to upload: the original file for a whole song (smallest, as the
    older app sent it), else FLAC of the decoded slice. Returns (bytes, filename,
    gain to multiply the returned stems by)."""
    src = Path(job.source_path)
    if job.whole_song and src.suffix.lower() in _SENDABLE:
        return src.read_bytes(), src.name, 1.0
    audio = np.asarray(job.audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    # FLAC is integer PCM: keep headroom so nothing clips, undo it on return.
    gain = peak / 0.99 if peak > 0.99 else 1.0
    buf = io.BytesIO()
    sf.write(buf, (audio / gain).T, SAMPLE_RATE, subtype="PCM_24", format="FLAC")
    return buf.getvalue(), f"{src.stem}.flac", gain


def decode_stems(stem_bytes: dict, length: int, gain: float = 1.0) -> dict[str, np.ndarray]:
    """Returned WAV bytes -> (2, length) float32 at 44.1 kHz, aligned with the input."""
    if not isinstance(stem_bytes, dict):
        raise SeparationError(f"Modal returned {type(stem_bytes).__name__}, expected a dict of stems")
    out: dict[str, np.ndarray] = {}
    for name, data in stem_bytes.items():
        if not data:
            raise SeparationError(f"Modal returned an empty {name!r} stem")
        audio, sr = read_wav(bytes(data))
        audio = fit_to_rate(audio, sr, SAMPLE_RATE, length)
        out[name] = audio * np.float32(gain) if gain != 1.0 else audio
    return out
