"""Tempo and key decisions, steps 8 and 8.5 of the spec's pipeline.

Tempo (8) lives in `mix.tempo` (the beat mapping 1:1 / 2:1 / 1:2 and the
stretch ratios); its names are re-exported here for the callers of both.

Key (8.5): the smallest shift that puts the vocals in the instrumental's key
(or its relative), spread between the two: the vocals take up to
`MAX_VOCAL_SHIFT` semitones (they are in the Rubber Band pass anyway, with
formant preservation), the instrumental's pitched stems the rest in the
opposite direction; drums never move. Low key confidence on either song
skips the shift with a warning, because a wrong shift is worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from musicmixer.analysis.key import key_shift_semitones
from musicmixer.mix.tempo import (  # noqa: F401  (step 8 lives in mix.tempo; re-exported)
    TempoDecision,
    TempoMatchError,
    local_bpm,
    plan_tempo,
)

MIN_KEY_CONFIDENCE = 0.15
MAX_VOCAL_SHIFT = 3


@dataclass
class KeyDecision:
    """Step 8.5: semitones for the vocals and for the pitched instrumental stems."""

    vocal_key: str
    instrumental_key: str
    total_shift: int
    vocal_shift: int
    instrumental_shift: int
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)


def split_shift(total: int, max_vocal: int = MAX_VOCAL_SHIFT) -> tuple[int, int]:
    """(vocal, instrumental) semitones with vocal - instrumental == total."""
    vocal = int(np.sign(total)) * min(abs(total), max_vocal)
    return vocal, vocal - total


def plan_key(vocal, instrumental, intent: str = "match_instrumental",
             min_confidence: float = MIN_KEY_CONFIDENCE) -> KeyDecision:
    """Step 8.5 from two `SongAnalysis` objects."""
    vkey, ikey = f"{vocal.key} {vocal.mode}", f"{instrumental.key} {instrumental.mode}"
    total = key_shift_semitones(vocal.key, vocal.mode, instrumental.key, instrumental.mode)
    skip = None
    if intent == "keep_original":
        skip = "the plan keeps both songs in their own keys"
    elif min(vocal.key_confidence, instrumental.key_confidence) < min_confidence:
        skip = (f"key detection is unsure (confidence {vocal.key_confidence:.2f} / "
                f"{instrumental.key_confidence:.2f}); the keys were left as they are")
    if skip or total == 0:
        d = KeyDecision(vkey, ikey, total, 0, 0, skip)
        if skip and intent != "keep_original" and total:
            d.warnings.append(f"Key not matched: {skip}.")
        return d
    if intent == "match_vocal":
        vocal_shift, inst_shift = 0, -total
        if abs(inst_shift) > MAX_VOCAL_SHIFT:
            vocal_shift, inst_shift = split_shift(total)
    else:
        vocal_shift, inst_shift = split_shift(total)
    return KeyDecision(vkey, ikey, total, vocal_shift, inst_shift)
