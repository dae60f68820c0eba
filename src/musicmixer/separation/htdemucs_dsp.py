"""The spectrogram maths HTDemucs does outside its ONNX graph, in numpy.

The exported graph takes the waveform and its complex-as-channels spectrogram,
and returns a complex spectrogram per source (frequency branch) plus a waveform
per source (time branch); the caller turns the first back into audio and adds
the second. These functions reproduce `torch.stft`/`torch.istft` exactly as
demucs calls them (n_fft 4096, hop 1024, `normalized=True`, centred, reflect
padding, periodic Hann) and demucs' `_spec`/`_magnitude`/`_mask`/`_ispec`,
so that the weights see the input they were trained on. Everything is
vectorised over frames: a 7.8 s segment has 340 of them.
"""

from __future__ import annotations

import math

import numpy as np

N_FFT = 4096
HOP = 1024


def hann(n: int = N_FFT) -> np.ndarray:
    """Periodic Hann window, as `torch.hann_window(n)` (periodic by default)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


def pad_reflect(x: np.ndarray, left: int, right: int) -> np.ndarray:
    """`F.pad(x, (left, right), mode="reflect")` on the last axis, including
    demucs' `pad1d` trick for inputs shorter than the padding: zero-pad first
    so that reflection has enough samples to mirror."""
    length = x.shape[-1]
    widths = [(0, 0)] * (x.ndim - 1)
    max_pad = max(left, right)
    if length <= max_pad:
        extra = max_pad - length + 1
        extra_right = min(right, extra)
        extra_left = extra - extra_right
        x = np.pad(x, widths + [(extra_left, extra_right)])
        left, right = left - extra_left, right - extra_right
    return np.pad(x, widths + [(left, right)], mode="reflect")


def stft(x: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """`torch.stft(x, n_fft, hop, window=hann, normalized=True, center=True,
    pad_mode="reflect", return_complex=True)`: (..., L) -> (..., n_fft//2+1, frames)."""
    xp = pad_reflect(np.asarray(x, dtype=np.float32), n_fft // 2, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(xp, n_fft, axis=-1)[..., ::hop, :]
    z = np.fft.rfft(frames * hann(n_fft), axis=-1) / math.sqrt(n_fft)
    return np.swapaxes(z, -1, -2).astype(np.complex64, copy=False)


def istft(z: np.ndarray, length: int, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """`torch.istft(z, n_fft, hop, window=hann, normalized=True, center=True,
    length=length)`: (..., n_fft//2+1, frames) -> (..., length)."""
    return _istft_frames(np.ascontiguousarray(np.swapaxes(z, -1, -2)), length, n_fft, hop)


def _istft_frames(zt: np.ndarray, length: int, n_fft: int, hop: int) -> np.ndarray:
    """`istft` on a frames-major (..., frames, n_fft//2+1) spectrogram, which
    lets the inverse FFT run on contiguous rows.

    Overlap-add runs over the n_fft/hop frame offsets (4 here), each a
    vectorised add over all frames, then multiplies by the inverse of the
    summed squared window (torch divides; the same to float precision).
    """
    if n_fft % hop:
        raise ValueError("n_fft must be a multiple of hop")
    ratio = n_fft // hop
    n_frames = zt.shape[-2]
    window = hann(n_fft)
    frames = np.fft.irfft(zt, n=n_fft, axis=-1)
    frames *= window * np.float32(math.sqrt(n_fft))
    n_blocks = n_frames + ratio - 1
    blocks = frames.reshape(*frames.shape[:-1], ratio, hop)
    out = np.zeros((*zt.shape[:-2], n_blocks, hop), dtype=np.float32)
    env = np.zeros((n_blocks, hop), dtype=np.float32)
    win_sq = (window**2).reshape(ratio, hop)
    for k in range(ratio):
        out[..., k : k + n_frames, :] += blocks[..., :, k, :]
        env[k : k + n_frames] += win_sq[k]
    out = out.reshape(*out.shape[:-2], n_blocks * hop)
    start = n_fft // 2
    env = env.reshape(-1)[start : start + length]
    wanted = out[..., start : start + length]
    if wanted.shape[-1] < length:  # torch pads the tail with zeros when asked for more
        pad = length - wanted.shape[-1]
        wanted = np.pad(wanted, [(0, 0)] * (wanted.ndim - 1) + [(0, pad)])
        env = np.pad(env, (0, pad))
    inverse = np.where(env > 1e-11, 1.0 / np.maximum(env, 1e-11), 0.0).astype(np.float32)
    return wanted * inverse


def spec(x: np.ndarray, hop: int = HOP) -> np.ndarray:
    """demucs `HTDemucs._spec`: padded so that frame t covers samples
    [t*hop, (t+1)*hop), Nyquist bin and the two edge frames on each side dropped.
    (..., L) -> (..., 2048, ceil(L/hop))."""
    length = x.shape[-1]
    le = math.ceil(length / hop)
    pad = hop // 2 * 3
    xp = pad_reflect(x, pad, pad + le * hop - length)
    z = stft(xp, 4 * hop, hop)[..., :-1, :]
    return z[..., 2 : 2 + le]


def magnitude(z: np.ndarray) -> np.ndarray:
    """demucs `_magnitude` with complex-as-channels: (B, C, Fr, T) complex ->
    (B, 2C, Fr, T) float, channels ordered re0, im0, re1, im1."""
    b, c, fr, t = z.shape
    out = np.stack([z.real, z.imag], axis=2)  # (B, C, 2, Fr, T)
    return np.ascontiguousarray(out.reshape(b, 2 * c, fr, t), dtype=np.float32)


def mask(m: np.ndarray) -> np.ndarray:
    """demucs `_mask` with complex-as-channels: (B, S, 2C, Fr, T) float ->
    (B, S, C, Fr, T) complex; the inverse of `magnitude` per source."""
    z = np.empty(m[:, :, 0::2].shape, dtype=np.complex64)
    z.real = m[:, :, 0::2]
    z.imag = m[:, :, 1::2]
    return z


def ispec(z: np.ndarray, length: int, hop: int = HOP) -> np.ndarray:
    """demucs `HTDemucs._ispec`: restore the dropped Nyquist bin and edge
    frames as zeros, invert, and cut the padding `spec` added. (..., Fr, T) -> (..., length).

    The zero padding and the frames-major transpose are one copy."""
    fr, t = z.shape[-2:]
    zt = np.zeros((*z.shape[:-2], t + 4, fr + 1), dtype=np.complex64)
    zt[..., 2 : 2 + t, :fr] = np.swapaxes(z, -1, -2)
    pad = hop // 2 * 3
    le = hop * math.ceil(length / hop) + 2 * pad
    x = _istft_frames(zt, le, 4 * hop, hop)
    return x[..., pad : pad + length]
