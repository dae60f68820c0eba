"""Live-playing tempo drift laid over any bench song, with its truth moved to match.

Generated songs, LMMS renders and the Debian game soundtracks are all
sequenced: their tempo never moves. Bands that play without a click drift,
and a tracker tuned on sequenced music can fail there without any figure
showing it. `warp` plays a song back at a smoothly varying speed (varispeed:
the rate follows 1 + amount * sin(2 pi t / period + phase), period and phase
drawn per song from its title, so a run is repeatable) and `move` maps the
truth's beat times through the same curve, so beat and downbeat F stay exact.

Varispeed moves pitch with speed (at most `amount`: 3 % is half a semitone), so
key and section figures are not scored on warped songs; tempo is scored
against the warped truth's mean tempo.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

PERIOD_S = (15.0, 40.0)  # a drift cycle: a phrase or two of a live band, sped up and held back


@dataclass(frozen=True)
class Drift:
    """One song's speed curve: rate(t) = 1 + amount * sin(2 pi t / period_s + phase)."""

    amount: float
    period_s: float
    phase: float

    @classmethod
    def for_song(cls, title: str, amount: float) -> Drift:
        rng = np.random.default_rng(int(hashlib.sha1(title.encode()).hexdigest()[:8], 16))
        return cls(amount, float(rng.uniform(*PERIOD_S)), float(rng.uniform(0.0, 2.0 * np.pi)))

    def source_times(self, n_in: int, sr: int) -> np.ndarray:
        """For each output sample, the time (s) in an `n_in`-sample original it
        plays; the output ends where the original runs out."""
        t = np.arange(int(n_in * (1.0 + abs(self.amount))) + 1) / sr
        rate = 1.0 + self.amount * np.sin(2.0 * np.pi * t / self.period_s + self.phase)
        tau = np.concatenate([[0.0], np.cumsum(rate[:-1])]) / sr
        return tau[tau <= (n_in - 1) / sr]


def warp(audio: np.ndarray, sr: int, drift: Drift) -> tuple[np.ndarray, np.ndarray]:
    """(warped audio, source time of each output sample: `Drift.source_times`).
    `audio` is (channels, n) or (n,)."""
    x = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    n = x.shape[-1]
    tau = drift.source_times(n, sr)
    pos = tau * sr
    out = np.stack([np.interp(pos, np.arange(n), ch) for ch in x]).astype(np.float32)
    return (out if np.ndim(audio) == 2 else out[0]), tau


def move(times: np.ndarray | list[float], tau: np.ndarray, sr: int) -> np.ndarray:
    """Truth times (s, in the original) where the warped song plays them; those past
    the warped song's end are dropped."""
    t = np.asarray(times, dtype=float)
    t = t[t <= tau[-1]]
    return np.interp(t, tau, np.arange(len(tau)) / sr)


TIMED_KEYS = ("beats", "downbeats", "essentia_beats")  # truth entries that are lists of times


def move_truth(truth: dict, tau: np.ndarray, sr: int) -> dict:
    """`truth` with its beat-time lists moved (`move`) and its felt tempo
    (`real_songs.felt_tempo`) re-read from the moved beats."""
    from real_songs import felt_tempo

    moved = {k: move(truth[k], tau, sr).tolist() for k in TIMED_KEYS if k in truth}
    return truth | moved | {"felt_tempo": felt_tempo(moved["beats"])}
