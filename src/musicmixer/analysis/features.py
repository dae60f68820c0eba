"""The time-frequency front end every analysis step reads (steps 2 and 3.5).

One STFT per signal at 22.05 kHz, from which come an onset envelope (mel
spectral flux), a low-band onset envelope (kick and bass), chroma, and frame
energy. Everything is plain numpy/scipy plus librosa's filter banks: librosa's
numba-compiled paths cost seconds of JIT on every start, which would dominate
the analysis of a short song.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ANALYSIS_SR = 22050
HOP = 256  # 11.6 ms frames: fine enough for a 70 ms beat window
N_FFT = 1024  # short window: onsets stay sharp
FPS = ANALYSIS_SR / HOP
CHROMA_HOP = 1024
CHROMA_N_FFT = 8192  # long window: 2.7 Hz bins resolve bass semitones
CHROMA_FPS = ANALYSIS_SR / CHROMA_HOP
LOW_BAND_HZ = 180.0  # kick and bass live below this
HIGH_BAND_HZ = 4000.0  # hi-hats and shakers live above this


@dataclass
class Features:
    """Frame-level features of one signal (frames at FPS, frame t is centred at t / FPS)."""

    onset: np.ndarray  # (T,) broadband spectral flux, >= 0
    low_onset: np.ndarray  # (T,) spectral flux below LOW_BAND_HZ
    high_onset: np.ndarray  # (T,) spectral flux above HIGH_BAND_HZ (hi-hats, the tatum)
    mid_onset: np.ndarray  # (T,) spectral flux between the two (a drum stem's snare)
    chroma: np.ndarray  # (12, Tc) pitch-class energy at CHROMA_FPS, C first
    bass_chroma: np.ndarray  # (12, Tc) the same below 220 Hz (roots)
    rms: np.ndarray  # (T,) frame RMS of the mono signal
    bands: np.ndarray  # (8, T) mel power summed in 8 bands (spectral balance)
    n_frames: int


def to_mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        return audio
    return audio.mean(axis=0).astype(np.float32)


def resample_mono(y: np.ndarray, sr: int) -> np.ndarray:
    if sr == ANALYSIS_SR:
        return y.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(y, sr, ANALYSIS_SR, quality="HQ").astype(np.float32)


@lru_cache(maxsize=4)
def _mel_bank(n_mels: int = 64) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=ANALYSIS_SR, n_fft=N_FFT, n_mels=n_mels, fmin=30.0, fmax=8000.0)


@lru_cache(maxsize=4)
def _chroma_bank(fmin: float = 50.0, fmax: float = 2000.0) -> np.ndarray:
    """Map STFT bins to pitch classes with a triangular weight per semitone."""
    freqs = np.fft.rfftfreq(CHROMA_N_FFT, 1.0 / ANALYSIS_SR)
    bank = np.zeros((12, freqs.size), dtype=np.float32)
    valid = (freqs >= fmin) & (freqs <= fmax)
    midi = 69.0 + 12.0 * np.log2(np.maximum(freqs, 1e-6) / 440.0)
    nearest = np.round(midi)
    weight = np.clip(1.0 - 2.0 * np.abs(midi - nearest), 0.0, 1.0)
    pc = (nearest.astype(int)) % 12
    idx = np.nonzero(valid)[0]
    bank[pc[idx], idx] = weight[idx]
    return bank


def _stft_mag(y: np.ndarray, n_fft: int = N_FFT, hop: int = HOP,
              max_bin: int | None = None) -> np.ndarray:
    """Magnitude STFT, centred frames, Hann window: (bins, frames), bins below max_bin."""
    pad = n_fft // 2
    y = np.pad(y, (pad, pad))
    n_frames = 1 + (len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(
        y, shape=(n_frames, n_fft), strides=(y.strides[0] * hop, y.strides[0])
    )
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    n_bins = n_fft // 2 + 1 if max_bin is None else min(max_bin, n_fft // 2 + 1)
    spec = np.empty((n_bins, n_frames), dtype=np.float32)
    step = max(1, (1 << 21) // n_fft)
    for s in range(0, n_frames, step):
        spec[:, s : s + step] = np.abs(np.fft.rfft(frames[s : s + step] * window, axis=1)).T[:n_bins]
    return spec


def _flux(log_mel: np.ndarray) -> np.ndarray:
    diff = np.maximum(log_mel[:, 1:] - log_mel[:, :-1], 0.0)
    flux = np.concatenate([[0.0], diff.mean(axis=0)])
    return flux.astype(np.float32)


def compute_chroma(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(chroma, bass_chroma) of one signal, at CHROMA_FPS."""
    return _chroma_of(resample_mono(to_mono(audio), sr))


def _chroma_of(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cpow = _stft_mag(y, CHROMA_N_FFT, CHROMA_HOP, max_bin=_CHROMA_BINS) ** 2
    return (_chroma_bank()[:, :_CHROMA_BINS] @ cpow,
            _chroma_bank(30.0, 220.0)[:, :_CHROMA_BINS] @ cpow)


_CHROMA_BINS = int(2000.0 * CHROMA_N_FFT / ANALYSIS_SR) + 2  # nothing above 2 kHz is used


def compute_features(audio: np.ndarray, sr: int, with_chroma: bool = True) -> Features:
    """Features of one signal, (channels, n) or (n,), at any sample rate."""
    y = resample_mono(to_mono(audio), sr)
    mag = _stft_mag(y)
    power = mag**2
    mel = _mel_bank() @ power
    log_mel = np.log1p(1000.0 * mel / max(float(mel.max()), 1e-12))
    mel_freqs = _mel_centres()
    low = mel_freqs < LOW_BAND_HZ
    onset = _flux(log_mel)
    low_onset = _flux(log_mel[low])
    high_onset = _flux(log_mel[mel_freqs > HIGH_BAND_HZ])
    mid_onset = _flux(log_mel[(mel_freqs >= LOW_BAND_HZ) & (mel_freqs <= HIGH_BAND_HZ)])
    n = mag.shape[1]
    rms = np.sqrt(np.maximum(power.sum(axis=0) / (N_FFT * N_FFT / 2.0 * 0.375), 0.0))
    if with_chroma:
        chroma, bass_chroma = _chroma_of(y)
    else:
        chroma = bass_chroma = np.zeros((12, 0), dtype=np.float32)
    bands = mel.reshape(8, -1, mel.shape[1]).sum(axis=1)
    return Features(onset=onset, low_onset=low_onset, high_onset=high_onset,
                    mid_onset=mid_onset, chroma=chroma, bass_chroma=bass_chroma,
                    rms=rms.astype(np.float32), bands=bands, n_frames=n)


@lru_cache(maxsize=1)
def _mel_centres() -> np.ndarray:
    import librosa

    return librosa.mel_frequencies(n_mels=64 + 2, fmin=30.0, fmax=8000.0)[1:-1]
