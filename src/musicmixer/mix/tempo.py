"""Step 8: how the two songs' beats meet, and who is stretched by how much.

The output timeline is the instrumental song's own beat grid (the plan's beats
count on it), so by default the instrumental is never time-stretched: drums
keep their transients and only the vocals go through Rubber Band, warped beat
by beat onto that grid (`align.py`). A stretch of the vocals beyond 12% is
made but reported (artefacts get audible); past `MAX_VOCAL_STRETCH` the
instrumental takes the rest by a constant ratio.

A tempo is only known up to its octave: a 170 BPM song can be tracked at 85,
and a 190 BPM vocal over a 95 BPM band is what a DJ plays at double time. So
the beats meet by one of three mappings (vocal beats : instrumental beats over
the same stretch of output): 1:1, 2:1 (two vocal beats per instrumental beat:
the vocals at double time) or 1:2 (one vocal beat per two instrumental beats).
The mapping that needs least stretch wins; since any tempo ratio between about
0.35 and 2.9 is then within the 45% limit, a pair is refused (`TempoMatchError`,
naming every level found and the tempos that would work) only outside that.
Bars stay aligned: in 2:1 two vocal bars fill one instrumental bar, in 1:2 one
vocal bar fills two, and the vocal downbeat the plan starts on sits on an
instrumental downbeat.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from musicmixer.errors import MusicMixerError

SAME_TEMPO_GAP = 0.04  # below this the vocal stretch is inaudible
AUDIBLE_STRETCH = 0.12
MAX_VOCAL_STRETCH = 0.30
MAX_TOTAL_STRETCH = 0.45
# vocal beats per instrumental beat, in the order preferred on a tie
MAPPINGS = {"1:1": 1.0, "2:1": 2.0, "1:2": 0.5}
TIE = 1e-3  # log-ratio margin within which 1:1 is kept over an octave mapping
MAPPING_WORDS = {
    "1:1": "beat for beat",
    "2:1": "two vocal beats to each instrumental beat",
    "1:2": "one vocal beat to every two instrumental beats",
}


class TempoMatchError(MusicMixerError):
    """No mapping puts the vocals on the instrumental's beat within the stretch limit."""


@dataclass
class TempoDecision:
    """Step 8. vocal_ratio = how much longer the vocals get (output / source time);
    `mapping` says how the beats meet and `vocal_beats_per_beat` is its number
    (2.0 for 2:1); `stretch` is the vocal-to-instrumental time ratio the mapping
    leaves to Rubber Band (vocal_ratio / instrumental_ratio)."""

    vocal_bpm: float
    instrumental_bpm: float
    vocal_ratio: float
    instrumental_ratio: float = 1.0
    target_bpm: float = 0.0
    mapping: str = "1:1"
    vocal_beats_per_beat: float = 1.0
    stretch: float = 1.0
    alternatives: dict[str, float] = field(default_factory=dict)  # mapping -> stretch % needed
    explanation: str = ""
    warnings: list[str] = field(default_factory=list)


def local_bpm(beats, start: float, end: float, fallback: float) -> float:
    """Tempo of the beats inside [start, end] (a drifting song has no one tempo):
    the slope of a line through them, the measure of the song's reported tempo
    (`analysis.beats`), so that a range and the whole song agree where the tempo
    is steady; beats are counted on the median period, so that a gap or a doubled
    beat does not tilt it."""
    b = np.asarray(beats, dtype=np.float64)
    b = b[(b >= start - 1e-6) & (b <= end + 1e-6)]
    if len(b) < 3:
        return float(fallback)
    period = float(np.median(np.diff(b)))
    if period <= 0:
        return float(fallback)
    index = np.round((b - b[0]) / period)  # a missing or doubled beat does not bend the line
    slope = float(np.polyfit(index, b, 1)[0]) if index[-1] > index[0] else 0.0
    return 60.0 / slope if slope > 0 else float(fallback)


def _stretch_needed(vocal_bpm: float, instrumental_bpm: float, beats_per_beat: float) -> float:
    """Vocal time ratio under a mapping (output / source seconds, instrumental untouched)."""
    return vocal_bpm / beats_per_beat / instrumental_bpm


def _percent(ratio: float) -> float:
    return abs(ratio - 1.0) * 100.0 if ratio >= 1.0 else abs(1.0 / ratio - 1.0) * 100.0


def _levels_text(name: str, bpm: float, levels) -> str:
    found = sorted({round(float(lv.bpm), 1) for lv in (levels or [])} | {round(bpm, 1)})
    return f"{name} at {bpm:.0f} BPM (levels found: {', '.join(f'{b:g}' for b in found)})"


def refusal(vocal_bpm: float, instrumental_bpm: float, max_stretch: float,
            vocal_levels=None, instrumental_levels=None) -> str:
    """The message of a refused pair: the tempos found and what would have worked."""
    options = {m: _stretch_needed(vocal_bpm, instrumental_bpm, k) for m, k in MAPPINGS.items()}
    best = min(options, key=lambda m: abs(np.log(options[m])))
    lim = 1.0 + max_stretch
    ranges = ", ".join(f"{instrumental_bpm * k / lim:.0f}-{instrumental_bpm * k * lim:.0f} BPM "
                       f"({m})" for m, k in MAPPINGS.items())
    return (f"the tempos cannot be matched: {_levels_text('the vocal song', vocal_bpm, vocal_levels)}"
            f", {_levels_text('the instrumental', instrumental_bpm, instrumental_levels)}; "
            f"even the closest mapping, {best}, would need {_percent(options[best]):.0f}% of "
            f"stretching, more than the {max_stretch * 100:.0f}% limit. A vocal song at {ranges} "
            "would work over this instrumental.")


def choose_mapping(vocal_bpm: float, instrumental_bpm: float) -> tuple[str, dict[str, float]]:
    """(the mapping needing least stretch, each mapping's stretch ratio)."""
    options = {m: _stretch_needed(vocal_bpm, instrumental_bpm, k) for m, k in MAPPINGS.items()}
    best = "1:1"
    for m, r in options.items():
        if abs(np.log(r)) < abs(np.log(options[best])) - TIE:
            best = m
    return best, options


def plan_tempo(vocal_bpm: float, instrumental_bpm: float, intent: str = "match_instrumental",
               *, max_stretch: float = MAX_TOTAL_STRETCH, vocal_levels=None,
               instrumental_levels=None) -> TempoDecision:
    """Step 8: the beat mapping, who is stretched, and by how much.

    `vocal_bpm` and `instrumental_bpm` are the tempos of the beat grids the
    render warps (`SongAnalysis.beats`); the levels (`SongAnalysis.tempo_levels`)
    only go into the messages."""
    if vocal_bpm <= 0 or instrumental_bpm <= 0:
        raise TempoMatchError("a song has no detectable tempo; cannot put the vocals on the beat")
    mapping, options = choose_mapping(vocal_bpm, instrumental_bpm)
    total = options[mapping]  # the vocals' time ratio if they take it all
    if abs(np.log(total)) > np.log1p(max_stretch):
        raise TempoMatchError(refusal(vocal_bpm, instrumental_bpm, max_stretch, vocal_levels,
                                      instrumental_levels))
    inst_ratio = 1.0
    if intent == "meet_in_middle" and abs(total - 1) > SAME_TEMPO_GAP:
        inst_ratio = 1.0 / np.sqrt(total)  # each side takes half (geometrically)
    elif intent == "match_vocal":
        inst_ratio = 1.0 / total
    vocal_ratio = total * inst_ratio
    if abs(np.log(vocal_ratio)) > np.log1p(MAX_VOCAL_STRETCH):
        limit = (1 + MAX_VOCAL_STRETCH) if vocal_ratio > 1 else 1 / (1 + MAX_VOCAL_STRETCH)
        inst_ratio *= limit / vocal_ratio
        vocal_ratio = limit
    d = TempoDecision(vocal_bpm, instrumental_bpm, float(vocal_ratio), float(inst_ratio),
                      float(instrumental_bpm / inst_ratio), mapping, MAPPINGS[mapping],
                      float(total), {m: round(_percent(r), 1) for m, r in options.items()})
    d.explanation = (f"Tempo: the vocals ({vocal_bpm:.0f} BPM) meet the instrumental "
                     f"({instrumental_bpm:.0f} BPM) {mapping}, {MAPPING_WORDS[mapping]}, with "
                     f"{_percent(total):.0f}% of stretching.")
    if abs(vocal_ratio - 1) > AUDIBLE_STRETCH:
        d.warnings.append(f"The vocals are stretched by {abs(vocal_ratio - 1) * 100:.0f}% to sit "
                          "on the beat; some stretching artefacts may be audible.")
    if abs(inst_ratio - 1) > 1e-6:
        change = abs(1 / inst_ratio - 1) * 100
        d.warnings.append(f"The instrumental's tempo was changed by {change:.0f}%.")
    return d
