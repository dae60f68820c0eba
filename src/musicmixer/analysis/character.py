"""Stem character (step 3.5): one short line per stem that the interpreter
hands to the LLM (`interpreter.prompts.stem_character`), for whichever stems
exist in the mode.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .model import StemCharacter


def _level_word(energy: float) -> str:
    return "loud" if energy >= 0.8 else "moderate" if energy >= 0.5 else "quiet"


def _rhythm_word(onsets_per_beat: float) -> str:
    if onsets_per_beat >= 1.5:
        return "busy"
    if onsets_per_beat >= 0.6:
        return "steady"
    return "sustained"


def stem_character(name: str, rms: np.ndarray, active: np.ndarray, loudest_level: float,
                   onsets_per_beat: float) -> StemCharacter:
    """energy: RMS over the bars it plays, relative to the loudest stem on a
    24 dB scale (0 = 24 dB or more below it); density: share of bars it plays in."""
    n = max(len(rms), 1)
    density = float(active.sum()) / n
    if density == 0 or loudest_level <= 0:
        return StemCharacter(energy=0.0, density=0.0, presence="absent",
                             description=f"{name}: absent (silent throughout)")
    level = float(np.sqrt(np.mean(np.square(rms[active]))))
    db = 20.0 * np.log10(max(level, 1e-9) / loudest_level)
    energy = float(np.clip(1.0 + db / 24.0, 0.0, 1.0))
    if density < 0.35:
        presence = "sparse"
    elif energy >= 0.85 and density >= 0.6:
        presence = "dominant"
    else:
        presence = "present"
    desc = (f"{name}: {presence}, {_level_word(energy)}, {_rhythm_word(onsets_per_beat)}, "
            f"plays in {round(100 * density)}% of bars")
    return StemCharacter(energy=round(energy, 4), density=round(density, 4), presence=presence,
                         description=desc)


def all_characters(stem_rms: Mapping[str, np.ndarray], stem_active: Mapping[str, np.ndarray],
                   onset_rate: Mapping[str, float]) -> dict[str, StemCharacter]:
    levels = {k: float(np.sqrt(np.mean(np.square(v[stem_active[k]])))) if stem_active[k].any()
              else 0.0 for k, v in stem_rms.items()}
    loudest = max(levels.values(), default=0.0)
    return {k: stem_character(k, stem_rms[k], stem_active[k], loudest, onset_rate.get(k, 0.0))
            for k in stem_rms}
