"""`separate_stems`: the one entry point to separation.

It picks the backend from settings (local HTDemucs ONNX, or the Modal app),
forwards `vocal_sub_separation` to the Modal call, checks that the stems that
come back are exactly the configuration's `StemMode` (`musicmixer.stems`: 7
with the flag, 6 without, 4 for local, where the flag is ignored with a
warning unless LOCAL_VOCAL_SPLIT adds the offline lead/backing split for 5),
and writes them atomically as float32 WAVs. The result says which vocal split
ran and why (`vocal_split`, `vocal_split_reason`). Results go through the stem cache, and a `time_range` separates
only the part of the song a plan uses (plus `RANGE_MARGIN_S` either side for
crossfades).

Backends are plain functions `backend(job) -> {stem: (2, n) float32 array, or
the path of a float32 stereo WAV}` looked up in `BACKENDS`; tests pass their own
mapping, so neither the 174 MB local model nor a Modal account is needed to test
the dispatcher. A backend that can should write its stems into `job.stem_dir`
as they come (`stem_sink.StemFiles`) and return the paths: the local model does,
so no whole-song stem is held in memory (bench/memory.py: the separate stage of
two 15-minute songs peaked at 3.46 GB with whole arrays). Arrays that come back
are written there one by one; from there on the stems are files (the stem
cache packs and unpacks them block by block).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicmixer.audio import SAMPLE_RATE, load_audio, save_audio
from musicmixer.audio_blocks import frames_of, is_float_stereo_wav
from musicmixer.config import Settings
from musicmixer.errors import AudioDecodeError, SeparationError, StemValidationError
from musicmixer.stems import (
    FOUR_STEMS,
    LEAD_VOCAL_STEM,
    StemMode,
    split_ignored_reason,
    stem_mode_for_settings,
)

from . import modal_client
from .cache import CacheKey, StemCache, audio_digest, file_digest
from .stem_files import KARAOKE_CKPT, MODEL_CKPT, fit_length
from .stem_sink import StemFiles

logger = logging.getLogger(__name__)

# Bump when a change here or in a backend changes the stems for the same input:
# it is part of every cache key.
SEPARATOR_VERSION = "1"
RANGE_MARGIN_S = 2.0

Progress = Callable[[float, str], None]


class TimeRangeError(SeparationError, ValueError):
    """The requested time range is empty or outside the song."""


@dataclass(frozen=True)
class SeparationJob:
    """What a backend separates: `audio` is the (possibly sliced) decoded song."""

    audio: np.ndarray  # (2, n) float32 at SAMPLE_RATE
    source_path: Path
    whole_song: bool  # False when `audio` is a slice of the file
    settings: Settings
    progress: Progress | None = None
    # what the backend wants reported with its stems (kept in the stem cache)
    details: dict = field(default_factory=dict)
    # an empty folder the backend may write its stems into (float32 WAVs named
    # {stem}.wav) instead of returning arrays; None: return arrays
    stem_dir: Path | None = None


@dataclass(frozen=True)
class SeparationResult:
    """Stem files, and the span of the song they cover (seconds from its start)."""

    stems: dict[str, Path]
    start: float
    end: float
    backend: str
    stem_names: list[str]
    cache_hit: bool
    vocal_sub_separation: bool  # effective: True only when lead/backing stems came back
    sample_rate: int = SAMPLE_RATE
    vocal_split: str = "none"  # "karaoke model", "offline split" or "none"
    vocal_split_reason: str = ""

    def __getitem__(self, stem: str) -> Path:
        return self.stems[stem]


Stem = np.ndarray | Path  # (2, n) float32, or a float32 stereo WAV of it
Backend = Callable[[SeparationJob], Mapping[str, Stem]]


def _htdemucs(job: SeparationJob) -> dict[str, Stem]:
    """HTDemucs ONNX on the CPU: vocals, drums, bass, other; written to
    `job.stem_dir` segment by segment when there is one."""
    from .local_onnx import separate_local
    from .model_store import ensure_model

    model_path = ensure_model(job.settings.model_dir)
    if job.stem_dir is None:
        arrays = separate_local(job.audio, model_path=model_path,
                                threads=job.settings.separation_threads, progress=job.progress)
        assert arrays is not None
        return dict(arrays)
    with StemFiles(job.stem_dir, FOUR_STEMS) as sink:
        separate_local(job.audio, model_path=model_path, threads=job.settings.separation_threads,
                       progress=job.progress, sink=sink)
        return dict(sink.close())


def stem_array(stem: Stem) -> np.ndarray:
    """A backend's stem as an array (read from its file when it is one)."""
    return load_audio(stem) if isinstance(stem, Path) else stem


def _separate_local(job: SeparationJob, separate: Backend | None = None) -> dict[str, Stem]:
    """The 4 stems of `separate` (HTDemucs unless given); in the 5-stem mode
    (LOCAL_VOCAL_SPLIT) its vocals are then split into lead and backing on the
    CPU (on whole arrays), and the split's reason goes into `job.details`."""
    stems = dict((separate or _htdemucs)(job))
    if LEAD_VOCAL_STEM in stem_mode_for_settings(job.settings).stems:
        from .vocal_split import split_vocal_stem

        arrays = {name: stem_array(stem) for name, stem in stems.items()}
        split, job.details["vocal_split_reason"] = split_vocal_stem(arrays)
        return dict(split)
    return stems


def local_backend(separate: Backend) -> Backend:
    """A local backend whose 4-stem separation is `separate` (a fake in tests);
    the offline vocal split still runs after it."""
    return lambda job: _separate_local(job, separate)


def _separate_modal(job: SeparationJob, remote_fn=None) -> dict[str, np.ndarray]:
    """One call to the deployed `separate_stems_remote`, the flag forwarded
    (docs/architecture.md, "flag propagation"). `remote_fn` replaces the Modal lookup in tests."""
    if remote_fn is None:
        remote_fn = modal_client.lookup_remote_function(job.settings)
    audio_bytes, filename, gain = modal_client.payload_for(job)
    if job.progress:
        job.progress(0.05, f"uploading {len(audio_bytes) / 1e6:.1f} MB to Modal")
    stem_bytes = modal_client.call_remote(remote_fn, audio_bytes, filename,
                                          bool(job.settings.vocal_sub_separation))
    if job.progress:
        job.progress(0.9, "stems received")
    return modal_client.decode_stems(stem_bytes, job.audio.shape[1], gain)


def modal_backend(remote_fn) -> Backend:
    """A modal backend bound to a given function (a fake, or a looked-up one)."""
    return lambda job: _separate_modal(job, remote_fn=remote_fn)


BACKENDS: dict[str, Backend] = {"local": _separate_local, "modal": _separate_modal}


def release_models() -> None:
    """Free what separation keeps loaded (the local model's sessions), once a
    job has all its stems."""
    from .local_onnx import release_sessions

    release_sessions()


def model_id_for(settings: Settings) -> str:
    """The weights that make the stems: part of the cache key."""
    if settings.stem_backend == "modal":
        return f"{MODEL_CKPT}+{KARAOKE_CKPT}" if settings.vocal_sub_separation else MODEL_CKPT
    from .model_store import HTDEMUCS

    model = f"{HTDEMUCS.filename}:{HTDEMUCS.sha256[:16]}"
    if LEAD_VOCAL_STEM in stem_mode_for_settings(settings).stems:
        from .vocal_split import SPLIT_VERSION

        model += f"+offline-split-{SPLIT_VERSION}"
    return model


def validate_stem_set(received, expected) -> None:
    """Raise `StemValidationError` naming missing and unexpected stems."""
    received, expected = set(received), set(expected)
    if received != expected:
        raise StemValidationError(expected - received, received - expected, expected)


def resolve_range(time_range, n_samples: int, margin_s: float = RANGE_MARGIN_S,
                  sr: int = SAMPLE_RATE) -> tuple[int, int]:
    """Sample span [start - margin, end + margin], clamped to the song."""
    if time_range is None:
        return 0, n_samples
    start, end = (float(t) for t in time_range)
    duration = n_samples / sr
    if not (np.isfinite(start) and np.isfinite(end)) or start < 0 or end <= start:
        raise TimeRangeError(f"time range {start:g}-{end:g} s is empty or negative")
    if start >= duration:
        raise TimeRangeError(f"time range starts at {start:g} s, after the song ends ({duration:.1f} s)")
    lo = max(0, int(np.floor((start - margin_s) * sr)))
    hi = min(n_samples, int(np.ceil((end + margin_s) * sr)))
    return lo, hi


def separate_stems(audio_path, output_dir, progress_callback: Progress | None = None, *,
                   settings: Settings | None = None, time_range: tuple[float, float] | None = None,
                   cache: StemCache | bool = True,
                   backends: Mapping[str, Backend] | None = None,
                   margin_s: float = RANGE_MARGIN_S,
                   allow_vocal_fallback: bool = False) -> SeparationResult:
    """Separate `audio_path` into `output_dir/{stem}.wav` (float32, 44.1 kHz stereo).

    settings: defaults to the process settings (entry points only).
    time_range: (start, end) seconds; only that span plus `margin_s` either
        side is separated; the result's `start`/`end` say what the files cover.
    cache: True -> `settings.data_dir / "stem-cache"`; a `StemCache`; False -> none.
    allow_vocal_fallback: with the flag on, accept the mode's unsplit stems
        (`StemMode.unsplit_stems`: the 6 stems the Modal app returns when its
        karaoke pass failed) instead of raising; the result then says
        `vocal_sub_separation=False` and lists those stems, and it is not
        cached. Off by default, because a caller planning for 7 stems must
        not silently get 6.
    """
    if settings is None:
        from musicmixer.config import get_settings

        settings = get_settings()
    audio_path, output_dir = Path(audio_path), Path(output_dir)
    if not audio_path.is_file():
        raise AudioDecodeError(f"{audio_path}: no such file")
    backend_name = settings.stem_backend
    mode = stem_mode_for_settings(settings)  # logs the local + flag warning
    table = BACKENDS if backends is None else backends
    if backend_name not in table:
        raise SeparationError(f"no separation backend {backend_name!r}")
    backend = table[backend_name]
    report: Progress = progress_callback or (lambda fraction, detail: None)

    if cache is True:
        cache = StemCache(Path(settings.data_dir) / "stem-cache")
    output_dir.mkdir(parents=True, exist_ok=True)
    # the backend's stems land here first, and go into place (or the cache) whole
    scratch = Path(tempfile.mkdtemp(prefix=".separating-", dir=output_dir))
    try:
        return _separate(audio_path, output_dir, scratch, settings, backend_name, backend, mode,
                         time_range, cache, margin_s, allow_vocal_fallback, report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _separate(audio_path: Path, output_dir: Path, scratch: Path, settings: Settings,
              backend_name: str, backend: Backend, mode: StemMode, time_range,
              cache: StemCache | bool, margin_s: float, allow_vocal_fallback: bool,
              report: Progress) -> SeparationResult:
    flag = mode.vocal_sub_separation
    if not isinstance(cache, StemCache):
        report(0.0, "decoding")
        stems, meta = _compute(load_audio(audio_path), audio_path, settings, backend, mode,
                               time_range, margin_s, report, allow_vocal_fallback, scratch)
        report(0.97, "writing stems")
        paths = {}
        for name, path in stems.items():
            os.replace(path, output_dir / f"{name}.wav")
            paths[name] = output_dir / f"{name}.wav"
        report(1.0, "done")
        split, why = vocal_split_of(settings, mode, meta)
        return SeparationResult(paths, meta["start"], meta["end"], backend_name, list(stems),
                                False, flag and not meta.get("vocal_fallback"),
                                vocal_split=split, vocal_split_reason=why)

    report(0.0, "checking the stem cache")
    decoded: dict[str, np.ndarray] = {}
    file_sha = file_digest(audio_path)
    audio_sha = cache.source_audio_digest(file_sha)
    if audio_sha is None:
        report(0.01, "decoding")
        decoded["audio"] = load_audio(audio_path)
        audio_sha = audio_digest(decoded["audio"])
        cache.remember_source(file_sha, audio_sha)
    key = CacheKey(audio_sha, backend_name, model_id_for(settings), flag, SEPARATOR_VERSION,
                   None if time_range is None else (float(time_range[0]), float(time_range[1]), float(margin_s)))

    def compute():
        audio = decoded.pop("audio", None)  # not held while the stems are stored
        if audio is None:
            report(0.01, "decoding")
            audio = load_audio(audio_path)
        return _compute(audio, audio_path, settings, backend, mode, time_range, margin_s,
                        report, allow_vocal_fallback, scratch)

    manifest, hit = cache.get_or_compute(key, output_dir, compute)
    fallback = bool(manifest.get("vocal_fallback"))
    names = list(mode.unsplit_stems or ()) if fallback else list(mode.stems)
    validate_stem_set(manifest["files"], names)
    report(1.0, "cached stems" if hit else "done")
    split, why = vocal_split_of(settings, mode, manifest)
    return SeparationResult(
        {n: output_dir / manifest["files"][n]["file"] for n in names},
        float(manifest["start"]), float(manifest["end"]), backend_name, names, hit,
        flag and not fallback, vocal_split=split, vocal_split_reason=why)


def vocal_split_of(settings: Settings, mode: StemMode, meta: Mapping) -> tuple[str, str]:
    """Which vocal split ran ("karaoke model", "offline split", "none") and
    why, for the CLI and report.json."""
    if mode.vocal_split is None:
        why = (split_ignored_reason(settings.stem_backend) if settings.vocal_sub_separation
               else "VOCAL_SUB_SEPARATION is off")
        return "none", why
    if meta.get("vocal_fallback"):
        return "none", f"the {mode.vocal_split} failed; the vocals stay one stem"
    why = meta.get("vocal_split_reason") or f"VOCAL_SUB_SEPARATION on the {settings.stem_backend} backend"
    return mode.vocal_split, why


def _compute(audio: np.ndarray, audio_path: Path, settings: Settings, backend: Backend, mode: StemMode,
             time_range, margin_s: float, report: Progress,
             allow_vocal_fallback: bool, scratch: Path) -> tuple[dict[str, Path], dict]:
    """Slice, run the backend, validate: the stems' float32 WAVs in `scratch`
    in canonical order, and the span."""
    lo, hi = resolve_range(time_range, audio.shape[1], margin_s)
    whole = lo == 0 and hi == audio.shape[1]
    part = audio if whole else np.ascontiguousarray(audio[:, lo:hi])
    del audio  # the backend's slice is all that is needed from here

    def scaled(fraction: float, detail: str = "") -> None:
        report(0.02 + 0.93 * max(0.0, min(1.0, fraction)), detail)

    job = SeparationJob(part, audio_path, whole, settings, scaled, stem_dir=scratch / "backend")
    logger.info("separating %s (%.1f-%.1f s) with %s backend", audio_path.name,
                lo / SAMPLE_RATE, hi / SAMPLE_RATE, settings.stem_backend)
    raw = backend(job)
    meta = {"start": lo / SAMPLE_RATE, "end": hi / SAMPLE_RATE,
            "source": os.path.basename(str(audio_path)), **job.details}
    expected = list(mode.stems)
    try:
        validate_stem_set(raw, expected)
    except StemValidationError:
        unsplit = mode.unsplit_stems
        if not (allow_vocal_fallback and unsplit is not None and set(raw) == set(unsplit)):
            raise
        logger.warning("the vocal sub-separation fell back to %d stems (see the backend's logs); "
                       "continuing without %s", len(unsplit), " and ".join(mode.vocal_stems))
        expected = list(unsplit)
        meta.update(vocal_fallback=True, cacheable=False)
    n = part.shape[1]
    del job, part
    return {name: _stem_file(name, raw[name], n, scratch) for name in expected}, meta


def _stem_file(name: str, stem: Stem, n: int, scratch: Path) -> Path:
    """`scratch/{name}.wav`: the backend's stem checked, fitted to `n` samples,
    as float32 stereo. A file of the right shape is moved, never read."""
    dest = scratch / f"{name}.wav"
    if isinstance(stem, Path) and is_float_stereo_wav(stem, SAMPLE_RATE) and frames_of(stem) == n:
        os.replace(stem, dest)
        return dest
    array = np.asarray(stem_array(stem), dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != 2:
        raise SeparationError(f"backend returned {name!r} shaped {array.shape}, expected (2, n)")
    if array.shape[1] != n:
        logger.debug("%s: %d samples, input %d; fitting", name, array.shape[1], n)
        array = fit_length(array, n)
    return save_audio(dest, array)
