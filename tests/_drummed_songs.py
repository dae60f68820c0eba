"""Short drummed songs with a known beat grid, rendered sample by sample: an
intro played by a pattern function, then a rock beat; the mix and the drum
stem apart, so a test can hand the analysis its own separated drums."""

from __future__ import annotations

import numpy as np

SR = 44100
BPM = 150.0


def hit(out: np.ndarray, t: float, amp: float, kind: str, rng: np.random.Generator) -> None:
    n = int(0.08 * SR)
    tone = np.arange(n) / SR
    if kind == "kick":
        burst = np.exp(-tone * 40) * np.sin(2 * np.pi * (60 + 60 * np.exp(-tone * 30)) * tone)
    elif kind == "snare":
        burst = np.exp(-tone * 30) * (0.8 * rng.standard_normal(n) + 0.4 * np.sin(2 * np.pi * 200 * tone))
    elif kind == "hat":
        burst = np.exp(-tone * 120) * rng.standard_normal(n)
    elif kind == "bass":  # a picked low A
        burst = np.exp(-tone * 15) * np.sin(2 * np.pi * 55.0 * tone)
    else:  # a power chord on A2
        burst = np.exp(-tone * 10) * sum(np.sin(2 * np.pi * f * tone) for f in (110.0, 165.0, 220.0))
    i = int(round(t * SR))
    out[i:i + n] += amp * burst[: len(out) - i]


def pushed_intro(t: float, beat: float, k: int) -> list[tuple[float, float, str]]:
    """Kicks, cymbals and loud chords on every off-beat, a softer snare on 2 and 4."""
    return [(t + beat / 2, 1.0, "kick"), (t + beat / 2, 0.5, "hat"), (t + beat / 2, 0.8, "chord"),
            (t, 0.35, "chord")] + ([(t, 0.5, "snare")] if k % 2 else [])


def skank_intro(t: float, beat: float, k: int) -> list[tuple[float, float, str]]:
    """A skank beat over double kicks: kicks on every eighth, the snare on every off-beat."""
    return [(t, 1.0, "kick"), (t + beat / 2, 1.0, "kick"), (t + beat / 2, 0.8, "snare"),
            (t, 0.5, "chord"), (t + beat / 2, 0.5, "chord")]


def drummed_song(intro_hits=pushed_intro, seconds: float = 48.0,
                  intro: float = 16.0) -> tuple[np.ndarray, np.ndarray]:
    """(mix, drums): an intro played by `intro_hits`, then kick on 1 and 3,
    snare on 2 and 4, hats and chords on the eighths."""
    rng = np.random.default_rng(5)
    mix, drums = np.zeros(int(seconds * SR)), np.zeros(int(seconds * SR))
    beat = 60.0 / BPM
    for k in range(int(seconds / beat)):
        t = k * beat
        if t < intro:
            hits = intro_hits(t, beat, k)
        else:
            hits = [(t, 1.0, "kick") if k % 2 == 0 else (t, 0.7, "snare"), (t, 0.3, "hat"),
                    (t + beat / 2, 0.2, "hat"), (t, 0.6, "chord"), (t + beat / 2, 0.5, "chord")]
        for when, amp, kind in hits:
            hit(mix, when, amp, kind, rng)
            if kind not in ("chord", "bass"):
                hit(drums, when, amp, kind, rng)
    return tuple(np.stack([x, x]).astype(np.float32) * 0.2 for x in (mix, drums))


def phases(beats: np.ndarray) -> np.ndarray:
    """Each beat's position on the true grid, in beats, wrapped to [-0.5, 0.5)."""
    return (beats * BPM / 60.0 + 0.5) % 1.0 - 0.5


def riff_intro(t: float, beat: float, k: int) -> list[tuple[float, float, str]]:
    """No drums: a driven riff whose chords and bass push every off-beat, softer on the beats."""
    return [(t + beat / 2, 1.0, "chord"), (t + beat / 2, 1.0, "bass"), (t, 0.3, "chord")]
