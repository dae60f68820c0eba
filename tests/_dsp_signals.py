"""Short synthetic signals for the DSP tests (no files, no network)."""

import numpy as np
from scipy.signal import lfilter

SR = 44100


def noise(seconds=3.0, level=0.1, seed=0, channels=2):
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal((channels, int(seconds * SR)))).astype(np.float32)


def pink(seconds=3.0, level=0.1, seed=0, channels=2):
    white = noise(seconds, 1.0, seed, channels).astype(np.float64)
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    x = lfilter(b, a, white, axis=-1)
    return (level * x / np.std(x)).astype(np.float32)


def sine(freq, seconds=2.0, peak_db=0.0, channels=2):
    t = np.arange(int(seconds * SR)) / SR
    x = 10 ** (peak_db / 20) * np.sin(2 * np.pi * freq * t)
    return np.tile(x, (channels, 1)).astype(np.float32)


def music_like(seconds=8.0, seed=0, drums=0.2):
    """Pink noise plus decaying noise bursts twice a second: a mix with punch
    (crest factor about 14 dB, like an unmastered mix)."""
    rng = np.random.default_rng(seed + 100)
    n = int(seconds * SR)
    env = np.zeros(n)
    for i in range(0, n, SR // 2):
        m = min(4000, n - i)
        env[i:i + m] = np.exp(-np.arange(m) / 800)
    bed = pink(seconds, 0.1, seed)
    return (bed + drums * env * rng.standard_normal(n)).astype(np.float32)


def rms_db(x):
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def band_rms_db(x, low, high, sr=SR):
    """RMS level (dB) of the part of x between low and high Hz (FFT mask)."""
    spec = np.fft.rfft(np.asarray(x, dtype=np.float64), axis=-1)
    freqs = np.fft.rfftfreq(np.shape(x)[-1], 1 / sr)
    spec[..., (freqs < low) | (freqs >= high)] = 0
    return rms_db(np.fft.irfft(spec, n=np.shape(x)[-1], axis=-1))
