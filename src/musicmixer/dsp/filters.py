"""Biquad filters (RBJ Audio EQ Cookbook) and Butterworth high/low-pass, as
small effect objects, plus the vocal bandpass of step 7.7.

Filters run as second-order sections (`sosfilt`); `zero_phase=True` runs them
forwards and backwards (`sosfiltfilt`), which squares the magnitude: peaks and
shelves then use half their gain so the dB response stays as written, while
high/low-pass slopes double (a Butterworth pair run twice is Linkwitz-Riley).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Literal

import numpy as np
from scipy import signal

from musicmixer.channels import CACHE_CHUNK, per_channel

try:  # the loop inside scipy's sosfilt (see `sosfilt_in_place`)
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_core
except ImportError:  # pragma: no cover - other scipy layouts
    _sosfilt_core = None  # type: ignore[assignment]

_SQRT1_2 = 1.0 / np.sqrt(2.0)


def _clamp_freq(freq: float, sr: int) -> float:
    return float(min(max(freq, 1.0), 0.49 * sr))


def _biquad_sos(b, a) -> np.ndarray:
    b = np.asarray(b, dtype=np.float64) / a[0]
    a = np.asarray(a, dtype=np.float64) / a[0]
    return np.concatenate([b, a])[None, :]


def peaking_sos(freq: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """RBJ peaking EQ: `gain_db` at `freq`, bandwidth set by `q`."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2 * np.pi * _clamp_freq(freq, sr) / sr
    alpha, cos = np.sin(w0) / (2 * q), np.cos(w0)
    b = [1 + alpha * amp, -2 * cos, 1 - alpha * amp]
    a = [1 + alpha / amp, -2 * cos, 1 - alpha / amp]
    return _biquad_sos(b, a)


def low_shelf_sos(freq: float, gain_db: float, sr: int, q: float = _SQRT1_2) -> np.ndarray:
    """RBJ low shelf: `gain_db` below `freq` (half of it at `freq`)."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2 * np.pi * _clamp_freq(freq, sr) / sr
    alpha, cos, sq = np.sin(w0) / (2 * q), np.cos(w0), 2 * np.sqrt(amp)
    b = [amp * ((amp + 1) - (amp - 1) * cos + sq * alpha),
         2 * amp * ((amp - 1) - (amp + 1) * cos),
         amp * ((amp + 1) - (amp - 1) * cos - sq * alpha)]
    a = [(amp + 1) + (amp - 1) * cos + sq * alpha,
         -2 * ((amp - 1) + (amp + 1) * cos),
         (amp + 1) + (amp - 1) * cos - sq * alpha]
    return _biquad_sos(b, a)


def high_shelf_sos(freq: float, gain_db: float, sr: int, q: float = _SQRT1_2) -> np.ndarray:
    """RBJ high shelf: `gain_db` above `freq` (half of it at `freq`)."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2 * np.pi * _clamp_freq(freq, sr) / sr
    alpha, cos, sq = np.sin(w0) / (2 * q), np.cos(w0), 2 * np.sqrt(amp)
    b = [amp * ((amp + 1) + (amp - 1) * cos + sq * alpha),
         -2 * amp * ((amp - 1) + (amp + 1) * cos),
         amp * ((amp + 1) + (amp - 1) * cos - sq * alpha)]
    a = [(amp + 1) - (amp - 1) * cos + sq * alpha,
         2 * ((amp - 1) - (amp + 1) * cos),
         (amp + 1) - (amp - 1) * cos - sq * alpha]
    return _biquad_sos(b, a)


def allpass_sos(freq: float, sr: int, q: float = _SQRT1_2) -> np.ndarray:
    """RBJ second-order allpass; with q=1/sqrt(2) it equals LR4 low + high at `freq`."""
    w0 = 2 * np.pi * _clamp_freq(freq, sr) / sr
    alpha, cos = np.sin(w0) / (2 * q), np.cos(w0)
    return _biquad_sos([1 - alpha, -2 * cos, 1 + alpha], [1 + alpha, -2 * cos, 1 - alpha])


def butter_sos(kind: Literal["highpass", "lowpass"], freq: float, sr: int,
               order: int = 2) -> np.ndarray:
    """Butterworth 'highpass' or 'lowpass' as second-order sections."""
    return signal.butter(order, _clamp_freq(freq, sr), btype=kind, fs=sr, output="sos")


def apply_sos(audio: np.ndarray, sos: np.ndarray, zero_phase: bool = False) -> np.ndarray:
    """Filter along the last axis, in float64, a thread per channel; float32 out.

    Same numbers as scipy's `sosfilt`/`sosfiltfilt` (odd padding of
    3 * (2 * sections + 1)), computed in cache-sized pieces with the filter
    state carried across: on whole songs, scipy's full-length float64 copies
    cost as much as the filtering itself.
    """
    if np.shape(audio)[-1] == 0:
        return np.asarray(audio, dtype=np.float32)
    sos = np.asarray(sos, dtype=np.float64)

    def run(x: np.ndarray) -> np.ndarray:
        if zero_phase:
            return _filtfilt(sos, x)
        out = np.empty(x.shape, np.float32)
        _filter_into(sos, x, np.zeros((len(sos), *x.shape[:-1], 2)), out)
        return out

    return per_channel(run, audio)


def _filter_into(sos: np.ndarray, x: np.ndarray, zi: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`sosfilt` of `x` into `out` (C-contiguous, same shape), CACHE_CHUNK samples at
    a time through one reused float64 buffer; returns the final state (sosfilt's layout)."""
    if not out.flags.c_contiguous:
        raise ValueError("_filter_into writes into a C-contiguous array only")
    n, lead = x.shape[-1], x.shape[:-1]
    rows = int(np.prod(lead))
    x2, out2 = x.reshape(rows, n), out.reshape(rows, n)
    state = np.ascontiguousarray(np.moveaxis(zi, 0, -2).reshape(rows, len(sos), 2),
                                 dtype=np.float64)
    buf = np.empty((rows, min(CACHE_CHUNK, n)))
    for a in range(0, n, CACHE_CHUNK):
        m = min(CACHE_CHUNK, n - a)
        piece = buf if m == buf.shape[1] else np.empty((rows, m))
        piece[...] = x2[:, a:a + m]
        sosfilt_in_place(sos, piece, state)
        out2[:, a:a + m] = piece
    return np.moveaxis(state.reshape(*lead, len(sos), 2), -2, 0)


def sosfilt_in_place(sos: np.ndarray, x: np.ndarray, state: np.ndarray) -> None:
    """scipy's compiled second-order-section loop on a C-contiguous (rows, n) array,
    state (rows, sections, 2) carried in place, all of one float dtype.

    The public `sosfilt` checks, moves axes and copies on every call (~0.2 ms):
    a song filtered in cache-sized pieces paid 20-40% over the filtering itself.
    """
    if _sosfilt_core is None:  # a scipy without the private loop: the public call
        y, z = signal.sosfilt(sos, x, axis=-1, zi=np.moveaxis(state, 1, 0))
        x[...], state[...] = y, np.moveaxis(z, 0, 1)
        return
    _sosfilt_core(np.ascontiguousarray(sos, dtype=x.dtype), x, state)


def _filtfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """scipy's `sosfiltfilt` (odd extension, steady-state initial conditions), chunked."""
    n = x.shape[-1]
    edge = min(3 * (2 * len(sos) + 1), n - 1)
    ext = np.empty((*x.shape[:-1], n + 2 * edge))
    ext[..., edge:edge + n] = x
    if edge:
        ext[..., :edge] = 2 * ext[..., edge:edge + 1] - ext[..., 2 * edge:edge:-1]
        ext[..., edge + n:] = 2 * ext[..., edge + n - 1:edge + n] \
            - ext[..., edge + n - 2:n - 2:-1]
    zi = signal.sosfilt_zi(sos).reshape(len(sos), *([1] * (x.ndim - 1)), 2)
    forward = np.empty_like(ext)
    _filter_into(sos, ext, zi * ext[None, ..., :1], forward)
    backward = np.empty(ext.shape, np.float32)
    _filter_into(sos, forward[..., ::-1], zi * forward[None, ..., -1:], backward)
    return np.ascontiguousarray(backward[..., ::-1][..., edge:edge + n])


def response_db(sos: np.ndarray, freqs, sr: int) -> np.ndarray:
    """Magnitude response in dB at `freqs` (Hz)."""
    _, h = signal.sosfreqz(sos, worN=np.asarray(freqs, dtype=np.float64), fs=sr)
    return 20 * np.log10(np.maximum(np.abs(h), 1e-12))


# --- effect objects -------------------------------------------------------------


@dataclass(frozen=True)
class _Filter:
    _: KW_ONLY
    zero_phase: bool = False

    def sos(self, sr: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        return apply_sos(audio, self.sos(sr), self.zero_phase)

    def _gain(self, gain_db: float) -> float:
        return gain_db / 2.0 if self.zero_phase else gain_db


@dataclass(frozen=True)
class PeakFilter(_Filter):
    freq: float = 1000.0
    gain_db: float = 0.0
    q: float = 1.0

    def sos(self, sr):
        return peaking_sos(self.freq, self._gain(self.gain_db), self.q, sr)


@dataclass(frozen=True)
class LowShelf(_Filter):
    freq: float = 100.0
    gain_db: float = 0.0
    q: float = _SQRT1_2

    def sos(self, sr):
        return low_shelf_sos(self.freq, self._gain(self.gain_db), sr, self.q)


@dataclass(frozen=True)
class HighShelf(_Filter):
    freq: float = 10000.0
    gain_db: float = 0.0
    q: float = _SQRT1_2

    def sos(self, sr):
        return high_shelf_sos(self.freq, self._gain(self.gain_db), sr, self.q)


@dataclass(frozen=True)
class HighPass(_Filter):
    freq: float = 80.0
    order: int = 2

    def sos(self, sr):
        return butter_sos("highpass", self.freq, sr, self.order)


@dataclass(frozen=True)
class LowPass(_Filter):
    freq: float = 16000.0
    order: int = 2

    def sos(self, sr):
        return butter_sos("lowpass", self.freq, sr, self.order)


def bandpass_filter(audio: np.ndarray, sr: int, low: float = 150.0, high: float = 16000.0,
                    order: int = 2, zero_phase: bool = True) -> np.ndarray:
    """Step 7.7: band-limit a vocal stem before it meets the other song.

    150 Hz - 16 kHz when per-stem EQ (step 7.75) is on, 150 Hz - 8 kHz when it
    is off (the caller passes `high`); Butterworth, zero-phase so the vocal's
    transients stay where the beat grid says they are.
    """
    sos = np.concatenate([butter_sos("highpass", low, sr, order),
                          butter_sos("lowpass", high, sr, order)])
    return apply_sos(audio, sos, zero_phase)


def vocal_bandpass(audio: np.ndarray, sr: int, per_stem_eq: bool) -> np.ndarray:
    """Step 7.7 as the pipeline calls it: the top edge depends on `ab_per_stem_eq_v1`."""
    return bandpass_filter(audio, sr, low=150.0, high=16000.0 if per_stem_eq else 8000.0)
