"""The pure file logic of the Modal separation app.

audio-separator writes one WAV per stem, named `{input}_({Stem})_{model}.wav`,
and by default peak-normalises each stem on its own. Everything here turns
those files back into the stems the stem mode promises, without Modal, torch or
audio-separator installed, so the tests run it for real:

- `_tokenize_stem_filename` + `match_stem_files`: which file is which stem, by
  whole tokens of the `(Stem)` marker. A substring test would let the
  `(Instrumental)` output of a karaoke pass over `song_(Vocals)_...wav` match
  "vocals" through the input's name, or "vocals" match "No Vocals".
- `KARAOKE_STEM_MAP`: the karaoke model's names -> our sub-stem names.
- `fit_to_rate`: karaoke outputs back to the primary pass's sample rate.
- `undo_peak_normalisation`: per-stem gains that make the stems sum to the mix
  again (audio-separator's default breaks that).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from musicmixer.audio import resample, to_stereo
from musicmixer.errors import SeparationError
from musicmixer.stems import ALL_STEMS, BACKING_VOCAL_STEM, LEAD_VOCAL_STEM

# BS-RoFormer-SW (6 stems). The exact name must be one audio-separator lists
# (`audio-separator --list_models`); adjust here if its registry renames it.
MODEL_CKPT = "BS-Roformer-SW.ckpt"
# UVR MDX-Net karaoke model: "(Vocals)" = lead, "(Instrumental)" = the rest of
# the vocals stem, i.e. harmonies, ad-libs and backing vocals.
KARAOKE_CKPT = "UVR_MDXNET_KARA_2.onnx"

# Pass 1 names its stems exactly as ours (Vocals, Drums, Bass, Guitar, Piano, Other).
PRIMARY_STEM_MAP = {name: name for name in ALL_STEMS}
# Pass 2 output name -> the stem it becomes (docs/architecture.md, "map karaoke outputs").
KARAOKE_STEM_MAP = {"vocals": LEAD_VOCAL_STEM, "instrumental": BACKING_VOCAL_STEM}
# Names some karaoke checkpoints use for the same two outputs.
KARAOKE_ALIASES = {"no vocals": "instrumental", "karaoke": "instrumental",
                   "lead vocals": "vocals", "backing vocals": "instrumental"}

_MARKER_RE = re.compile(r"\(([^()]*)\)")
_TOKEN_RE = re.compile(r"[^0-9a-z]+")


def _tokenize_stem_filename(filename: str | Path) -> tuple[str, ...]:
    """Lower-case tokens of the stem marker of an audio-separator output name.

    The marker is the *last* `(...)` group: a second pass over
    `song_(Vocals)_BS-Roformer-SW.wav` writes `song_(Vocals)_BS-Roformer-SW_(Instrumental)_...`,
    whose first group is the input's, not the output's. A name with no marker
    falls back to all tokens of the file stem (e.g. `vocals.wav`).
    """
    stem = Path(filename).stem
    markers = _MARKER_RE.findall(stem)
    text = markers[-1] if markers else stem
    return tuple(t for t in _TOKEN_RE.split(text.lower()) if t)


def _name_tokens(name: str) -> tuple[str, ...]:
    return tuple(t for t in _TOKEN_RE.split(name.lower()) if t)


def match_stem_files(paths: Iterable[str | Path], expected: Iterable[str],
                     aliases: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Map each expected output name to the one file whose marker is that name.

    Whole-token match: the marker's tokens must equal the name's tokens (after
    `aliases`), so "Vocals" never matches "No Vocals" nor "backing_vocals".
    Files that match nothing (logs, the input copy) are ignored; a missing or
    doubly-matched name raises `SeparationError` naming it.
    """
    files = [Path(p) for p in paths]
    wanted = {_name_tokens(name): name for name in expected}
    alias_tokens = {_name_tokens(k): _name_tokens(v) for k, v in (aliases or {}).items()}
    found: dict[str, Path] = {}
    for path in sorted(files):
        tokens = _tokenize_stem_filename(path)
        tokens = alias_tokens.get(tokens, tokens)
        name = wanted.get(tokens)
        if name is None:
            continue
        if name in found:
            raise SeparationError(
                f"two separator outputs claim stem {name!r}: {found[name].name}, {path.name}")
        found[name] = path
    missing = [n for n in wanted.values() if n not in found]
    if missing:
        names = ", ".join(sorted(p.name for p in files)) or "none"
        raise SeparationError(f"separator outputs lack stem(s) {missing} (files: {names})")
    return found


def remap(matched: Mapping[str, Path], stem_map: Mapping[str, str]) -> dict[str, Path]:
    """Rename matched outputs through a stem map (`KARAOKE_STEM_MAP`)."""
    return {stem_map[name]: path for name, path in matched.items()}


# --- WAV bytes -----------------------------------------------------------------

def read_wav(source: str | Path | bytes | BinaryIO) -> tuple[np.ndarray, int]:
    """(channels, n) float32 stereo and its rate, from a path or WAV bytes."""
    if isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise SeparationError("stem data is empty (0 bytes)")
        source = io.BytesIO(source)
    data, sr = sf.read(source, dtype="float32", always_2d=True)
    return to_stereo(data.T.copy()), int(sr)


def wav_bytes(audio: np.ndarray, sr: int) -> bytes:
    """Float32 WAV bytes: lossless for what the models produce, and the format
    the dispatcher writes (docs/architecture.md, "float32 WAV bytes")."""
    buf = io.BytesIO()
    sf.write(buf, np.asarray(audio, dtype=np.float32).T, sr, subtype="FLOAT", format="WAV")
    return buf.getvalue()


def wav_rate(data: bytes) -> int:
    """Sample rate of WAV bytes, without decoding them."""
    return int(sf.info(io.BytesIO(data)).samplerate)


def fit_to_rate(audio: np.ndarray, sr: int, target_sr: int, length: int | None = None) -> np.ndarray:
    """Resample to `target_sr` and, given `length`, trim or zero-pad to it, so
    sub-stems line up sample for sample with the stem they came from."""
    out = resample(audio, sr, target_sr)
    if length is not None:
        out = fit_length(out, length)
    return out


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad (channels, n) audio to exactly `length` samples."""
    n = audio.shape[-1]
    if n == length:
        return audio
    if n > length:
        return np.ascontiguousarray(audio[..., :length])
    pad = np.zeros(audio.shape[:-1] + (length - n,), dtype=audio.dtype)
    return np.concatenate([audio, pad], axis=-1)


# --- undoing per-stem peak normalisation -----------------------------------------

def undo_peak_normalisation(stems: Mapping[str, np.ndarray], mix: np.ndarray,
                            tolerance: float = 0.01,
                            max_gain: float = 100.0) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Rescale each stem so that the stems sum to `mix` again.

    audio-separator's peak normalisation multiplies each stem by its own
    factor <= 1, so the least-squares gains g minimising |mix - sum g_i s_i|
    recover them. Normalisation only ever attenuates, so a gain is kept only
    when it is above 1 + `tolerance`; below that the stem is left untouched,
    which keeps separation error (bleed, which also perturbs g slightly) from
    being "corrected". The Modal app also turns normalisation off at the source
    (`normalization_threshold=1.0`); this is the safety net for stems that
    peaked above 1.0 and were still scaled.

    Returns the stems and the gain applied to each.
    """
    names = list(stems)
    if not names:
        return {}, {}
    length = mix.shape[-1]
    cols = [np.asarray(fit_length(np.asarray(stems[n]), length), dtype=np.float64).ravel()
            for n in names]
    y = np.asarray(mix, dtype=np.float64).ravel()
    k = len(cols)
    gram = np.empty((k, k))
    rhs = np.empty(k)
    for i in range(k):
        rhs[i] = cols[i] @ y
        for j in range(i, k):
            gram[i, j] = gram[j, i] = cols[i] @ cols[j]
    gains = np.ones(k)
    usable = np.diag(gram) > 0
    if usable.any():
        idx = np.flatnonzero(usable)
        sol, *_ = np.linalg.lstsq(gram[np.ix_(idx, idx)], rhs[idx], rcond=None)
        gains[idx] = sol
    out: dict[str, np.ndarray] = {}
    applied: dict[str, float] = {}
    for name, solved in zip(names, gains):
        g = float(solved) if np.isfinite(solved) else 1.0
        g = min(g, max_gain) if g > 1.0 + tolerance else 1.0
        applied[name] = g
        stem = np.asarray(stems[name], dtype=np.float32)
        out[name] = stem if g == 1.0 else (stem * np.float32(g)).astype(np.float32)
    return out, applied
