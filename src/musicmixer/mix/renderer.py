"""Sections to buses, step 12 (and the ducking of step 12.5).

A plan's sections give each stem a gain per stretch of beats; here they become
one smooth gain curve per stem on the output's beat grid, the gained stems are
summed into a vocal bus and an instrumental bus, and the instrumental is
ducked under the vocals. Every stem in `VOCAL_STEM_NAMES` (`vocals`, or
`lead_vocals` and `backing_vocals`, each with its own gain) goes to the vocal
bus, so ducking and level decisions see all the vocal content at once.

Transitions, applied where a section starts (over min(transition_beats, 8) beats):
  crossfade  raised-cosine ramp from the old gain to the new, centred on the boundary
  fade       stems going down fade out before the boundary, stems going up
             fade in after it (a breath between sections)
  cut        the change at the boundary, with a 5 ms ramp against clicks
A ramp never takes more than half of either neighbouring section.

Sections are always `PlanSection` models: a re-render loads the saved plan
as a `RemixPlan` (`mix.rerender.read_render`).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from musicmixer.dsp.chain import as_2d, match_length
from musicmixer.dsp.ducking import SpectralDucker
from musicmixer.stems import VOCAL_STEM_NAMES

if TYPE_CHECKING:
    from musicmixer.interpreter.plan import PlanSection

MAX_TRANSITION_BEATS = 8
DECLICK_S = 0.005
DEFAULT_DUCKER = SpectralDucker()  # step 12.5's reference values


@dataclass
class RenderResult:
    vocal_bus: np.ndarray
    instrumental_bus: np.ndarray  # ducked under the vocals (step 12.5)
    per_stem: dict[str, np.ndarray] = field(default_factory=dict)  # each stem, gained
    gain_curves: dict[str, np.ndarray] = field(default_factory=dict)  # per sample, 0..1

    @property
    def mix(self) -> np.ndarray:
        return (self.vocal_bus + self.instrumental_bus).astype(np.float32)


@dataclass(frozen=True)
class _Span:
    """One stretch of the timeline at constant gains; `transition` is how it is entered."""

    start: float  # beats
    end: float
    gains: dict
    transition: str
    transition_beats: float


def _spans(sections: Sequence[PlanSection]) -> list[_Span]:
    """Sections in time order, with silent spans in any gaps and after the end."""
    ordered = sorted(sections, key=lambda s: s.start_beat)
    spans: list[_Span] = []
    for s in ordered:
        start, end = float(s.start_beat), float(s.end_beat)
        if spans and start > spans[-1].end:
            spans.append(_Span(spans[-1].end, start, {}, "cut", 0.0))
        beats = min(float(s.transition_beats or 0), MAX_TRANSITION_BEATS)
        spans.append(_Span(start, end, dict(s.stem_gains), s.transition_in, beats))
    if spans:
        spans.append(_Span(spans[-1].end, np.inf, {}, "cut", 0.0))
    return spans


def beats_to_seconds(beats, beat_times) -> np.ndarray:
    """Output time of (fractional) beat numbers: `beat_times[k]` is beat k;
    beyond the grid the edge beat period continues it."""
    grid = np.asarray(beat_times, dtype=np.float64)
    if len(grid) < 2:
        raise ValueError("the beat grid needs at least two beats")
    beats = np.asarray(beats, dtype=np.float64)
    first_period = np.mean(np.diff(grid[:5]))
    last_period = np.mean(np.diff(grid[-5:]))
    inside = np.interp(beats, np.arange(len(grid)), grid)
    before = grid[0] + beats * first_period
    after = grid[-1] + (beats - (len(grid) - 1)) * last_period
    return np.where(beats < 0, before, np.where(beats > len(grid) - 1, after, inside))


def _ramp(curve: np.ndarray, t0: int, t1: int, g0: float, g1: float) -> None:
    """Raised-cosine move from g0 to g1 over samples [t0, t1)."""
    t0, t1 = max(t0, 0), min(t1, len(curve))
    if t1 <= t0:
        return
    x = (np.arange(t1 - t0) + 0.5) / (t1 - t0)
    curve[t0:t1] = g0 + (g1 - g0) * (1 - np.cos(np.pi * x)) / 2


def gain_curve(stem_name: str, spans: list[_Span], sr: int, beat_times, n: int) -> np.ndarray:
    """Step 12: one stem's gain for each of n output samples."""
    def at(beat: float) -> int:
        return int(round(float(beats_to_seconds(beat, beat_times)) * sr))

    curve = np.zeros(n, np.float32)
    levels = [float(s.gains.get(stem_name, 0.0)) for s in spans]
    for i, span in enumerate(spans):
        start = 0 if i == 0 else at(span.start)
        end = n if np.isinf(span.end) else at(span.end)
        curve[max(start, 0):max(min(end, n), 0)] = levels[i]
    for i in range(1, len(spans)):
        prev, span, g0, g1 = spans[i - 1], spans[i], levels[i - 1], levels[i]
        if g0 == g1:
            continue
        b = span.start
        left = b - (b - prev.start) / 2  # half of each neighbour at most
        right = b + (span.end - b) / 2 if np.isfinite(span.end) else np.inf
        beats = span.transition_beats
        if span.transition == "cut" or beats <= 0:
            t_b = at(b)
            half = int(DECLICK_S * sr / 2)
            _ramp(curve, t_b - half, t_b + half, g0, g1)
        elif span.transition == "fade":
            if g1 < g0:
                _ramp(curve, at(max(b - beats, left)), at(b), g0, g1)
            else:
                _ramp(curve, at(b), at(min(b + beats, right)), g0, g1)
        else:  # crossfade
            _ramp(curve, at(max(b - beats / 2, left)), at(min(b + beats / 2, right)), g0, g1)
    return curve


def section_gain_curve(stem_name: str, sections: Sequence[PlanSection], sr: int, beat_times,
                       n: int) -> np.ndarray:
    """What `render_sections` multiplies one stem by under these sections (n samples)."""
    return gain_curve(stem_name, _spans(sections), sr, beat_times, n)


def render_sections(stems: dict[str, np.ndarray], sections: Sequence[PlanSection], sr: int,
                    beat_times, *,
                    ducker: SpectralDucker | None = DEFAULT_DUCKER,
                    consume: bool = False) -> RenderResult:
    """Steps 12 and 12.5: sections -> per-stem gain curves -> vocal and
    instrumental buses, the instrumental ducked under the vocals (pass
    `ducker=None` to skip that). `stems` are already on the output timeline;
    `consume=True` takes each out of `stems` as it is gained, so the caller's
    memory need not hold every input beside its gained copy.
    """
    spans = _spans(sections)
    named = {name for s in spans for name in s.gains}
    if stems:
        n = max(np.shape(a)[-1] for a in stems.values())
        channels = max(as_2d(a).shape[0] for a in stems.values())
    else:
        n = int(round(float(beats_to_seconds(spans[-2].end, beat_times)) * sr)) if spans else 0
        channels = 2
    vocal_bus = np.zeros((channels, n), dtype=np.float32)
    instrumental_bus = np.zeros((channels, n), dtype=np.float32)
    per_stem, gain_curves = {}, {}
    for stem_name in dict.fromkeys([*stems, *sorted(named)]):
        # Location 1: vocal stems looked up by their own name
        stem_audio = stems.pop(stem_name, None) if consume else stems.get(stem_name)
        if stem_audio is None:
            continue  # named in the plan, absent here: silent
        gain = gain_curve(stem_name, spans, sr, beat_times, n)
        audio = np.broadcast_to(match_length(as_2d(stem_audio), n), (channels, n))
        gained = np.multiply(audio, gain, dtype=np.float32)
        del stem_audio, audio
        gain_curves[stem_name], per_stem[stem_name] = gain, gained
        if stem_name in VOCAL_STEM_NAMES:  # Location 2: bus assignment
            vocal_bus += gained
        else:
            instrumental_bus += gained
    if ducker is not None and np.any(vocal_bus):
        instrumental_bus = ducker(instrumental_bus, vocal_bus, sr)
    return RenderResult(vocal_bus, instrumental_bus, per_stem, gain_curves)
