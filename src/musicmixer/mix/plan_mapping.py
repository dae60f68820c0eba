"""The plan, laid bar for bar, made to follow step 8's beat mapping.

Planners lay the vocal song's bars one per output bar (`vocal_start_bar + k`
under plan bar k). At 2:1 the vocals advance two of their bars per output bar
and at 1:2 half of one, so after the tempo decision three things are measured
again in vocal bars of the mapping: the vocal range (`align.vocal_range_for`),
the sections that start after the vocal song has ended (their vocals are
silenced: at 2:1 the song runs out after half the planned bars), and, at 2:1,
which vocal bar starts the mix. A vocal song at 2:1 is often one tracked at
twice its felt pulse, whose real bar is 8 tracked beats (two tracked bars); its
bar 1 must then be an even or odd tracked bar, the one where its harmony
changes (`real_bar_parity`), or the vocal downbeats would meet the
instrumental's beat 3.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from musicmixer.interpreter.plan import BEATS_PER_BAR, TimeRange, bar_grid, bar_time
from musicmixer.mix.align import vocal_range_for
from musicmixer.stems import vocal_stems

# Harmony-change contrast between even and odd tracked-bar boundaries that is
# taken as a real two-bar phase (chords that change every other tracked bar).
PARITY_CONFIDENT = 0.2


def real_bar_parity(analysis) -> tuple[int, float]:
    """(0 or 1, confidence): which tracked bars start a two-bar unit, from the
    band's pitch content: chords change on real bar lines more than in the
    middle of a bar. Confidence 0 when the harmony says nothing."""
    h = np.asarray(getattr(analysis, "harmony_bar_chroma", None) or [], dtype=np.float64)
    if h.ndim != 2 or len(h) < 4:
        return 0, 0.0
    norm = np.linalg.norm(h, axis=1)
    ok = (norm[1:] > 0) & (norm[:-1] > 0)
    cos = np.einsum("ij,ij->i", h[1:], h[:-1]) / np.maximum(norm[1:] * norm[:-1], 1e-12)
    change = np.where(ok, 1.0 - cos, np.nan)  # change[k - 1]: at the line before bar k
    bars = np.arange(1, len(h))
    even = np.nanmean(change[bars % 2 == 0]) if np.any(ok[bars % 2 == 0]) else np.nan
    odd = np.nanmean(change[bars % 2 == 1]) if np.any(ok[bars % 2 == 1]) else np.nan
    if not np.isfinite(even) or not np.isfinite(odd) or even + odd <= 1e-9:
        return 0, 0.0
    return (0 if even >= odd else 1), float(abs(even - odd) / (even + odd))


def _silence_past(sections, vocal_bars_left: float, vocal_bars_per_bar: float) -> bool:
    """Silence the vocals of sections that start after the vocal song has ended."""
    start0 = sections[0].start_beat
    silenced = False
    for s in sections:
        if (s.start_beat - start0) // BEATS_PER_BAR * vocal_bars_per_bar >= vocal_bars_left:
            for name in vocal_stems(list(s.stem_gains)):
                if s.stem_gains[name] > 0:
                    s.stem_gains[name] = 0.0
                    silenced = True
    return silenced


def follow_mapping(plan, vocal_analysis, vocal_beats_per_beat: float):
    """(plan, warnings): the plan with its vocal range, vocal start bar and
    vocal sections measured in vocal bars of the mapping (unchanged at 1:1)."""
    warnings: list[str] = []
    if vocal_beats_per_beat == 1.0:
        return plan, warnings
    grid = bar_grid(vocal_analysis)
    start_bar = plan.vocal_start_bar
    if vocal_beats_per_beat > 1.0:
        parity, conf = real_bar_parity(vocal_analysis)
        if conf >= PARITY_CONFIDENT and start_bar % 2 != parity:
            start_bar = start_bar - 1 if start_bar >= 1 else start_bar + 1
            warnings.append(
                "At two vocal beats per instrumental beat the vocal song's bar is two of its "
                "tracked bars; the vocals start one tracked bar "
                f"{'earlier' if start_bar < plan.vocal_start_bar else 'later'} so that its "
                "bar 1 meets the instrumental's.")
        elif conf < PARITY_CONFIDENT:
            warnings.append(
                "At two vocal beats per instrumental beat each instrumental bar takes two of the "
                "vocal song's tracked bars; which of them starts its real bar is unsure "
                f"(confidence {conf:.2f}), so its downbeats may meet the instrumental's beat 3.")
    start_bar = min(start_bar, max(len(grid) - 1, 0))
    sections = [s.model_copy(deep=True) for s in plan.sections]
    if _silence_past(sections, len(grid) - start_bar, vocal_beats_per_beat):
        warnings.append("The vocal song ends before the plan does at this tempo mapping; "
                        "later sections have no vocals.")
    start = bar_time(grid, start_bar, vocal_analysis.duration)
    moved = plan.model_copy(update={
        "vocal_start_bar": start_bar, "sections": sections,
        "vocal_range": TimeRange(start=start, end=max(start, plan.vocal_range.end))})
    moved = moved.model_copy(update={
        "vocal_range": vocal_range_for(moved, vocal_analysis, vocal_beats_per_beat)})
    return moved, warnings
