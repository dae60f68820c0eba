"""Tempo and key decisions, steps 8 and 8.5.

Tempo (8) lives in `mix.tempo` (the beat mapping 1:1 / 2:1 / 1:2 and the
stretch ratios); its names are re-exported here for the callers of both.

Key (8.5): the smallest shift that puts the vocals in the instrumental's key
(or its relative), spread between the two: the vocals take up to
`MAX_VOCAL_SHIFT` semitones (they are in the Rubber Band pass anyway, with
formant preservation), the instrumental's pitched stems the rest in the
opposite direction; drums never move. When key detection is unsure on
either song (distorted guitars, sparse harmony) a shift by key names could be
the worst one, so the shift (within +-3 semitones) is the one that minimises
the measured harmonic clash between the vocals' and the instrumental's pitches
over the bars that play together (`clash.py`), with a warning; a confident
key-name shift that clashes far more than the best one (a misread mode) is
overruled the same way. The clash before and after is reported either way.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from musicmixer.analysis.key import key_shift_semitones
from musicmixer.mix.clash import CLASH_SHIFTS, best_shift, clash_by_shift, paired_bars

MIN_KEY_CONFIDENCE = 0.15
MAX_VOCAL_SHIFT = 3
# A confident key-name shift is overruled when it clashes this much more than
# the least-clashing shift within +-3: on 2 x 132 pairs of generated songs with
# correct keys the excess is at most 0.026, so none is overruled; with the
# vocal song's mode misread (the distorted power-chord trap) 85 of 264 are.
CLASH_OVERRULE = 0.04


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
    method: str = "key"  # "key": from the two keys; "clash": least measured clash; "none"
    clash_before: float | None = None  # harmonic clash of the paired bars unshifted (0..1)
    clash_after: float | None = None  # ... and with the chosen vocal shift


def split_shift(total: int, max_vocal: int = MAX_VOCAL_SHIFT) -> tuple[int, int]:
    """(vocal, instrumental) semitones with vocal - instrumental == total."""
    vocal = int(np.sign(total)) * min(abs(total), max_vocal)
    return vocal, vocal - total


def bar_pairs(plan, vocal_beats_per_beat: float = 1.0) -> list[tuple[int, int, float]]:
    """(vocal bar, instrumental bar, vocal gain) for each plan bar where the
    vocals play. The songs advance from `vocal_start_bar` by the tempo mapping
    (`mix.tempo`): bar for bar at 1:1, two vocal bars over each instrumental
    bar at 2:1, one vocal bar over two at 1:2."""
    first = plan.sections[0].start_beat // 4
    k = vocal_beats_per_beat
    out = []
    for sec in plan.sections:
        gain = max((g for n, g in sec.stem_gains.items() if "vocal" in n), default=0.0)
        if gain <= 0:
            continue
        for bar in range(sec.start_beat // 4, sec.end_beat // 4):
            r = bar - first
            lo, hi = int(np.floor(r * k + 1e-9)), max(int(np.ceil((r + 1) * k - 1e-9)), 1)
            for v in range(lo, max(hi, lo + 1)):
                out.append((plan.vocal_start_bar + v, bar, float(gain)))
    return out


def _clash_scores(vocal, instrumental, pairs) -> dict[int, float]:
    vc = getattr(vocal, "vocal_bar_chroma", None) or []
    ic = getattr(instrumental, "harmony_bar_chroma", None) or []
    if pairs is None:  # no plan: bar k over bar k
        pairs = [(k, k, 1.0) for k in range(min(len(vc), len(ic)))]
    v, h, w = paired_bars(vc, ic, pairs)
    return clash_by_shift(v, h, w, range(-6, 7)) if len(w) else {}


def plan_key(vocal, instrumental, intent: str = "match_instrumental",
             min_confidence: float = MIN_KEY_CONFIDENCE,
             pairs: list[tuple[int, int, float]] | None = None) -> KeyDecision:
    """Step 8.5 from two `SongAnalysis` objects; `pairs` (see `bar_pairs`) say
    which vocal bars sound over which instrumental bars."""
    vkey, ikey = f"{vocal.key} {vocal.mode}", f"{instrumental.key} {instrumental.mode}"
    total = key_shift_semitones(vocal.key, vocal.mode, instrumental.key, instrumental.mode)
    clash = _clash_scores(vocal, instrumental, pairs)
    unsure = min(vocal.key_confidence, instrumental.key_confidence) < min_confidence
    method = "key"
    skip, overruled = None, ""
    if intent == "keep_original":
        skip, method = "the plan keeps both songs in their own keys", "none"
    elif unsure and clash:
        total = best_shift({k: clash[k] for k in CLASH_SHIFTS})
        method = "clash"
    elif unsure:
        skip, method = (f"key detection is unsure (confidence {vocal.key_confidence:.2f} / "
                        f"{instrumental.key_confidence:.2f}); the keys were left as they are"), "none"
    elif clash and clash[total] - min(clash[k] for k in CLASH_SHIFTS) > CLASH_OVERRULE:
        by_keys = total
        total = best_shift({k: clash[k] for k in CLASH_SHIFTS})
        method = "clash"
        overruled = (f"The keys ({vkey} / {ikey}) asked for {by_keys:+d} semitones, but that "
                     f"clashes audibly (clash {clash[by_keys]:.3f}); ")
    if skip or total == 0:
        d = KeyDecision(vkey, ikey, total, 0, 0, skip, method=method)
        if skip and intent != "keep_original" and total:
            d.warnings.append(f"Key not matched: {skip}.")
    else:
        if intent == "match_vocal":
            vocal_shift, inst_shift = 0, -total
            if abs(inst_shift) > MAX_VOCAL_SHIFT:
                vocal_shift, inst_shift = split_shift(total)
        else:
            vocal_shift, inst_shift = split_shift(total)
        d = KeyDecision(vkey, ikey, total, vocal_shift, inst_shift, method=method)
    if clash:
        d.clash_before = round(clash[0], 4)
        d.clash_after = round(clash[d.total_shift], 4)
    if method == "clash":
        moved = (f"moved {d.total_shift:+d} semitones against the instrumental" if d.total_shift
                 else "left in their key")
        why = overruled or (f"Key detection is unsure (confidence {vocal.key_confidence:.2f} / "
                            f"{instrumental.key_confidence:.2f}); ")
        d.warnings.append(f"{why}the vocals were {moved}, the least harmonic clash measured "
                          f"(clash {d.clash_before:.3f} -> {d.clash_after:.3f}).")
    return d
