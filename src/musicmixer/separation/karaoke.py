"""The two passes of `separate_stems_remote`, with the separator injected.

Pass 1 (BS-RoFormer-SW) gives 6 stems; with `vocal_sub_separation` pass 2
(UVR_MDXNET_KARA_2) splits `vocals` into `lead_vocals` + `backing_vocals`
(docs/architecture.md, "second pass logic"). The Modal app hands in runners that call
audio-separator on a GPU; the tests hand in runners that write real WAV files
named the way audio-separator names them. Everything between the runners -
matching, remapping, resampling, safe replacement, fallback - runs here, the
same code in both.

A runner is `runner(input_path, out_dir) -> iterable of written files`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from musicmixer.errors import SeparationError
from musicmixer.stems import BACKING_VOCAL_STEM, LEAD_VOCAL_STEM, MIXED_VOCAL_STEM, SEVEN_STEMS

from .stem_files import (
    KARAOKE_ALIASES,
    KARAOKE_STEM_MAP,
    PRIMARY_STEM_MAP,
    fit_length,
    fit_to_rate,
    match_stem_files,
    read_wav,
    remap,
    undo_peak_normalisation,
    wav_bytes,
)

logger = logging.getLogger(__name__)

Runner = Callable[[Path, Path], Iterable[Path]]


def separate_two_pass(audio_bytes: bytes, filename: str, vocal_sub_separation: bool, *,
                      primary: Runner, karaoke: Runner,
                      release: Callable[[], None] | None = None,
                      workdir: Path) -> dict[str, bytes]:
    """Body of `separate_stems_remote`: stem name -> float32 WAV bytes.

    6 stems, or 7 with `vocal_sub_separation` when pass 2 succeeds. `release`
    runs between the passes so pass 1's model and tensors are freed before the
    karaoke model loads (docs/architecture.md, "VRAM budget").
    """
    if not audio_bytes:
        raise SeparationError(f"{filename}: no audio bytes received")
    workdir = Path(workdir)
    input_path = workdir / "input" / _safe_input_name(filename)
    input_path.parent.mkdir(parents=True, exist_ok=True)
    input_path.write_bytes(audio_bytes)

    pass1_dir = workdir / "pass1"
    pass1_dir.mkdir(parents=True, exist_ok=True)
    outputs = list(primary(input_path, pass1_dir))
    if release is not None:
        release()
    stems = _read_primary(outputs, input_path)
    if vocal_sub_separation:
        stems = apply_karaoke_pass(stems, karaoke, workdir / "pass2")
    return stems


def _safe_input_name(filename: str) -> str:
    """A neutral input name: audio-separator copies it into every output name,
    and a song called "vocals.mp3" must not look like a stem marker."""
    suffix = Path(filename).suffix.lower()
    return "mix" + (suffix if re.fullmatch(r"\.[0-9a-z]{1,5}", suffix) else ".wav")


def _read_primary(outputs: list[Path], input_path: Path) -> dict[str, bytes]:
    """Pass-1 files -> 6 stems at one rate, peak normalisation undone."""
    matched = remap(match_stem_files(outputs, PRIMARY_STEM_MAP), PRIMARY_STEM_MAP)
    audio: dict[str, np.ndarray] = {}
    rates: dict[str, int] = {}
    for name, path in matched.items():
        data, rates[name] = read_wav(path)
        if data.shape[1] == 0:
            raise SeparationError(f"pass 1 wrote an empty {name} stem ({path.name})")
        audio[name] = data
    primary_sr = rates[MIXED_VOCAL_STEM]
    length = max(round(a.shape[1] * primary_sr / rates[n]) for n, a in audio.items())
    audio = {n: fit_to_rate(a, rates[n], primary_sr, length) for n, a in audio.items()}
    try:
        mix, mix_sr = read_wav(input_path)
        mix = fit_to_rate(mix, mix_sr, primary_sr, length)
        audio, gains = undo_peak_normalisation(audio, mix)
        if any(g != 1.0 for g in gains.values()):
            logger.info("undid per-stem peak normalisation: %s", gains)
    except Exception as exc:  # the input may be a format soundfile cannot read
        logger.warning("could not check stem levels against the mix: %s", exc)
    return {name: wav_bytes(audio[name], primary_sr) for name in PRIMARY_STEM_MAP}


def apply_karaoke_pass(stems: dict[str, bytes], karaoke: Runner, workdir: Path) -> dict[str, bytes]:
    """Split `vocals` into `lead_vocals` + `backing_vocals`; never lose it.

    `vocals` is deleted only after both sub-stems are read, resampled to the
    primary rate and found non-empty. Any failure on the way - the runner
    raising, an output missing or empty, a decode error - logs a warning and
    returns `stems` unchanged: graceful fallback to 6 stems.
    """
    if MIXED_VOCAL_STEM not in stems:
        logger.warning("no %r stem to sub-separate; keeping %d stems", MIXED_VOCAL_STEM, len(stems))
        return stems
    try:
        sub = _karaoke_sub_stems(stems[MIXED_VOCAL_STEM], karaoke, Path(workdir))
        lead_bytes, backing_bytes = sub[LEAD_VOCAL_STEM], sub[BACKING_VOCAL_STEM]
        if not lead_bytes:
            raise SeparationError("lead_vocals output is empty")
        if not backing_bytes:
            raise SeparationError("backing_vocals output is empty")
    except Exception as exc:
        logger.warning("Karaoke sub-stem pass failed, keeping original vocals: %s", exc)
        return stems
    result = dict(stems)
    result[LEAD_VOCAL_STEM] = lead_bytes
    result[BACKING_VOCAL_STEM] = backing_bytes
    del result[MIXED_VOCAL_STEM]
    order = {name: i for i, name in enumerate(SEVEN_STEMS)}
    return dict(sorted(result.items(), key=lambda kv: order.get(kv[0], len(order))))


def _karaoke_sub_stems(vocals_bytes: bytes, karaoke: Runner, workdir: Path) -> dict[str, bytes]:
    """Run pass 2 on the vocals WAV; both sub-stems as bytes at the primary rate."""
    vocals, primary_sr = read_wav(vocals_bytes)
    in_dir, out_dir = workdir / "input", workdir / "out"
    in_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocals_path = in_dir / "vocals.wav"
    vocals_path.write_bytes(vocals_bytes)

    outputs = list(karaoke(vocals_path, out_dir))
    matched = remap(match_stem_files(outputs, KARAOKE_STEM_MAP, KARAOKE_ALIASES), KARAOKE_STEM_MAP)
    sub: dict[str, np.ndarray] = {}
    for name, path in matched.items():
        if Path(path).stat().st_size == 0:
            raise SeparationError(f"{name} output is empty ({Path(path).name}: 0 bytes)")
        data, sr = read_wav(path)
        if data.shape[1] == 0 or not np.any(data):
            raise SeparationError(f"{name} output is empty ({Path(path).name}: no audio)")
        if not np.all(np.isfinite(data)):
            raise SeparationError(f"{name} output holds NaN or infinite samples")
        # UVR-MDX-Net may write another rate than pass 1: resample before returning.
        sub[name] = fit_to_rate(data, sr, primary_sr, vocals.shape[1])
    sub, gains = undo_peak_normalisation(sub, fit_length(vocals, vocals.shape[1]))
    if any(g != 1.0 for g in gains.values()):
        logger.info("undid karaoke peak normalisation: %s", gains)
    return {name: wav_bytes(audio, primary_sr) for name, audio in sub.items()}
