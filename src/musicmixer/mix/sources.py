"""Source assignment and trimming, steps 5, 7 and 7.5.

Step 5 takes the vocal stems (`vocals`, or `lead_vocals` + `backing_vocals` in
7-stem mode: whatever the separation of the vocal song actually returned)
from the vocal song and every other stem from the instrumental song. Step 7
cuts each to the span of its song the plan uses; step 7.5 drops stems that
are near-silent there (their plan gains then simply have nothing to move).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from musicmixer.audio import SAMPLE_RATE, integrated_lufs, load_audio_range
from musicmixer.stems import instrumental_stems, vocal_stems

SILENT_STEM_LUFS = -50.0
VOCAL_TAIL_S = 1.0  # a sung note may ring past the last planned bar


@dataclass
class Sources:
    """Trimmed stems of both songs; vocal times start at `vocal_start` in the vocal song."""

    vocal: dict[str, np.ndarray]
    instrumental: dict[str, np.ndarray]
    vocal_start: float
    instrumental_start: float
    dropped: list[str] = field(default_factory=list)


def assign_sources(vocal_separation, instrumental_separation) -> tuple[list[str], list[str]]:
    """Step 5: (vocal stem names from the vocal song, other stems from the instrumental song)."""
    return (vocal_stems(vocal_separation.stem_names),
            instrumental_stems(instrumental_separation.stem_names))


def _span(covered_start: float, start: float, end: float, sr: int = SAMPLE_RATE) -> tuple[int, int]:
    lo = max(0, int(round((start - covered_start) * sr)))
    return lo, max(lo, int(round((end - covered_start) * sr)))


def load_trimmed(separation, names: list[str], start: float, end: float) -> dict[str, np.ndarray]:
    """Step 7: the named stems of one separation, cut to [start, end] of the song
    (read by range: the whole stems are not held)."""
    lo, hi = _span(separation.start, start, end)
    return {name: load_audio_range(separation.stems[name], lo, hi) for name in names}


def drop_silent(stems: dict[str, np.ndarray], sr: int = SAMPLE_RATE,
                floor_lufs: float = SILENT_STEM_LUFS) -> tuple[dict[str, np.ndarray], list[str]]:
    """Step 7.5: stems under `floor_lufs` are left out (returns kept, dropped names)."""
    kept, dropped = {}, []
    for name, audio in stems.items():
        lufs = integrated_lufs(audio, sr)
        if np.isfinite(lufs) and lufs >= floor_lufs:
            kept[name] = audio
        else:
            dropped.append(name)
    return kept, dropped


def gather_sources(plan, vocal_separation, instrumental_separation,
                   vocal_duration: float) -> Sources:
    """Steps 5, 7, 7.5 for a plan."""
    vocal_names, inst_names = assign_sources(vocal_separation, instrumental_separation)
    v0 = plan.vocal_range.start
    v1 = min(plan.vocal_range.end + VOCAL_TAIL_S, vocal_duration)
    vocal = load_trimmed(vocal_separation, vocal_names, v0, v1)
    inst = load_trimmed(instrumental_separation, inst_names, plan.instrumental_range.start,
                        plan.instrumental_range.end)
    vocal, dropped_v = drop_silent(vocal)
    inst, dropped_i = drop_silent(inst)
    return Sources(vocal, inst, v0, plan.instrumental_range.start, dropped_v + dropped_i)
