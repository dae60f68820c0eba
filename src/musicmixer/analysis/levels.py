"""The metrical levels of a song: its tracked beat and the pulses at half and
double that tempo, each with a score (step 2). A tempo is only known up to its
octave; pairing (`mix.tempo`) chooses among these readings.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from .features import FPS
from .octave import (
    DrumBands,
    DrumRepetition,
    drum_autocorr,
    fast_member_margin,
    level_windows,
    window_bands,
)
from .periodicity import MAX_BPM, MIN_BPM, autocorr

LEVELS = (("half", 0.5), ("beat", 1.0), ("double", 2.0))
MARGIN_SCALE = 0.05  # autocorrelation margin past the tracker's rule that reads as 73%


def _p_faster(ac: np.ndarray, fast: float, drum_ac: DrumRepetition | None = None) -> float:
    """Chance that `fast` rather than half of it is the beat. The tracker never
    reports a tempo outside its range, so neither do the scores."""
    if not MIN_BPM * 0.97 <= fast <= MAX_BPM:
        return 0.0
    if fast / 2 < MIN_BPM * 0.97:
        return 1.0
    return float(1.0 / (1.0 + np.exp(-fast_member_margin(ac, fast, drum_ac) / MARGIN_SCALE)))


def metrical_levels(env: np.ndarray, bpm: float, drums: DrumBands | None = None
                    ) -> list[tuple[str, float, float]]:
    """(name, bpm, score) for the tracked beat and the levels at half and double
    its tempo; the scores sum to 1.

    The scores are the tracker's own level decision made soft: it walks down
    an octave family from the fastest member and stops at the first whose
    autocorrelation says "beat, not eighths"; here each step's margin past that
    rule becomes a probability (logistic, `MARGIN_SCALE`), so double =
    P(double is the beat), beat = (1 - that) * P(beat rather than half), half =
    the rest. The tracked level always leads its half; a close call (a 170 BPM
    song tracked at 85 whose eighths nearly passed) shows as a strong double
    level and a low `tempo_level_confidence`. The scores do not move the grid:
    pairing may map the beats at any level (`mix.tempo`). `drums` are the
    drum bands the tracker reads (`octave.level_drum_bands`). In a song longer
    than an excerpt each probability is the median over its passages
    (`octave.level_windows`): above 0.5 where most passages read that way, as
    the level itself is voted.
    """
    spans = level_windows(env)
    doubles, beats = [], []
    for span in spans:  # a long song: the median over its passages, as its level is voted
        part = env[span]
        ac = autocorr(part, min(len(part) - 1, int(60.0 * FPS / bpm * 4) + 8))
        drum_ac = drum_autocorr(window_bands(drums, span))
        doubles.append(_p_faster(ac, 2.0 * bpm, drum_ac))
        beats.append(_p_faster(ac, bpm, drum_ac))
    p_double, p_beat = float(np.median(doubles)), float(np.median(beats))
    scores = {"double": p_double, "beat": (1 - p_double) * p_beat,
              "half": (1 - p_double) * (1 - p_beat)}
    return [(name, bpm * mult, scores[name]) for name, mult in LEVELS]
