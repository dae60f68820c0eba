"""A sung pitch contour for the lead (`SongSpec(lead_style="realistic")`): a
realism fix of our test material, not of the product.

Festival sings every note at one perfectly flat pitch, and HTDemucs takes a flat
voice for a synth: the hard set's breathy and harsh leads came out of its vocal
stem at about -43 dB RMS with 5-7 onsets in bench/mix.py, so their pairs got no
vocal-alignment verdict. Singers do not hold a flat pitch: each note starts
with a scoop from below and a small overshoot, vibrato sets in after the
onset, and the pitch drifts over a phrase and misses each note by a few cents.
bench/lead_style.py (16 bars of the hard pairs' vocal songs, least-squares gain
of the lead in HTDemucs' vocal stem, flat -> realistic): breathy leads 0.02 ->
0.20, 0.13 -> 0.25, 0.01 -> 0.04 (about 0.3 is all a breathy lead's voiced part:
its breath noise stays in "other"); harsh 0.87 -> 0.89; the same songs with a
clean lead 0.82 -> 0.86 and 0.88 -> 0.91. So a flat *lead* is mostly heard as a
voice (unlike the flat backing "ooh", `vibrato.py`); the contour matters where
the breath masks the voice.

Two parts, so that the onsets stay exactly where the score puts them:
- `note_offsets_cents`: a constant offset per note (jitter plus a slow drift),
  which Festival sings directly (its FREQ); it moves no sample in time.
- `shape_cents` + `warp_lead`: the shape inside each note (scoop, overshoot,
  vibrato) made by reading the audio at a varying rate (`vibrato.read_at`).
  The scoop and overshoot have zero net area and the read position is pinned
  back to the score at every note onset, so onsets move by nothing and the
  read position strays by about a millisecond inside a note; silence stays
  silent.
"""

from __future__ import annotations

import numpy as np

from .compose import Note
from .vibrato import read_at

SAMPLE_RATE = 44100
JITTER_CENTS = 8.0            # sd of each note's miss (clipped at +-20)
DRIFT_CENTS = 15.0            # slow phrase drift, two sinusoids of 0.05-0.25 Hz
SCOOP_CENTS = (40.0, 80.0)    # a note starts this far below and rises...
SCOOP_SECONDS = 0.08          # ...over this long (at most 30 % of the note)
OVERSHOOT_SECONDS = 0.12      # then overshoots, as far as makes the net area zero
VIBRATO_CENTS = (25.0, 40.0)  # per-note vibrato depth
VIBRATO_HZ = (5.0, 6.5)
VIBRATO_DELAY = 0.18          # vibrato sets in after this (at most 40 % of the note)...
VIBRATO_RAMP = 0.2            # ...and reaches full depth over this


def note_offsets_cents(notes: list[Note], seed: int) -> list[float]:
    """Per note (in `notes` order) a constant offset in cents: jitter + drift."""
    rng = np.random.default_rng([seed, 1])
    rates = rng.uniform(0.05, 0.25, size=2)
    phases = rng.uniform(0, 2 * np.pi, size=2)
    out = []
    for nt in notes:
        mid = 0.5 * (nt.start + nt.end)
        drift = DRIFT_CENTS * float(np.mean(np.sin(2 * np.pi * rates * mid + phases)))
        jitter = float(np.clip(JITTER_CENTS * rng.standard_normal(), -20.0, 20.0))
        out.append(drift + jitter)
    return out


def shape_cents(notes: list[Note], n: int, seed: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(n,) cents: each note's scoop, overshoot and delayed vibrato, 0 outside notes."""
    rng = np.random.default_rng([seed, 2])
    cents = np.zeros(n, dtype=np.float64)
    for nt in sorted(notes, key=lambda x: x.start):
        a = int(round(nt.start * sr))
        b = min(n, int(round(nt.end * sr)))
        if b - a < 2:
            continue
        length = (b - a) / sr
        t = np.arange(b - a) / sr
        c = np.zeros(b - a)
        # scoop: -A (1 - t/T)^2 over T (area -A T / 3), then a half-sine
        # overshoot of the same area over T2, so the net read offset is zero
        depth = rng.uniform(*SCOOP_CENTS)
        T = min(SCOOP_SECONDS, 0.3 * length)
        T2 = min(OVERSHOOT_SECONDS, 0.4 * length)
        scoop = t < T
        c[scoop] = -depth * (1.0 - t[scoop] / T) ** 2
        over = (t >= T) & (t < T + T2)
        height = depth * T / 3.0 * np.pi / (2.0 * T2)
        c[over] = height * np.sin(np.pi * (t[over] - T) / T2)
        # vibrato after the onset, faded in
        delay = min(VIBRATO_DELAY, 0.4 * length)
        env = np.clip((t - delay) / VIBRATO_RAMP, 0.0, 1.0)
        rate, vib = rng.uniform(*VIBRATO_HZ), rng.uniform(*VIBRATO_CENTS)
        c += vib * env * np.sin(2 * np.pi * rate * np.maximum(t - delay, 0.0))
        cents[a:b] = c
    return cents


def warp_lead(audio: np.ndarray, notes: list[Note], seed: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(channels, n) lead -> the same shape, sung with `shape_cents`; the read
    position is exact at every note onset (a straight-line correction between
    onsets takes out what the vibrato's phase leaves over)."""
    x = np.asarray(audio, dtype=np.float32)
    n = x.shape[-1]
    ratio = 2.0 ** (shape_cents(notes, n, seed, sr) / 1200.0)
    pos = np.concatenate([[0.0], np.cumsum(ratio[:-1])])
    idx = np.arange(n, dtype=np.float64)
    onsets = sorted({min(n - 1, int(round(nt.start * sr))) for nt in notes})
    if onsets:
        anchors = np.array(onsets)
        pos -= np.interp(idx, anchors, pos[anchors] - anchors)
    return read_at(x, pos)
