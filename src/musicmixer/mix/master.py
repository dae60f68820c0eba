"""Steps 12-15: render the plan's sections to buses, then master the mix.

12/12.5 are `mix.renderer`'s (gain curves, vocal and instrumental buses, the
instrumental ducked under the vocals). Then, in order: 13.3 multiband
compression (`ab_multiband_comp_v1`), 13.7 the auto-leveler (its tuning from
the flags), and either 14.5 reference mastering against the instrumental
song's original mix (`ab_reference_mastering_v1`) or 14 mastering to the
configured LUFS under the true-peak ceiling. Step 15's fades are part of both.

`ab_static_mastering_v1` picks step 14's chain: on, the static gain is capped
so peaks meet the limiter at most a few dB over the ceiling (more drive only
when the target needs it, at most 8 dB); off, the plain "normalise, then
limit" chain whose limiter works as hard as the target asks.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from musicmixer.config import Settings
from musicmixer.dsp import auto_level, master, multiband_compress, reference_master

from .renderer import RenderResult, render_sections


def render(prepared, plan, sr: int) -> RenderResult:
    """Steps 12 and 12.5 on the prepared stems, which are handed over: `prepared`
    is left without them and each is let go once gained, so the render holds one
    input stem beside the gained ones, not all of them (bench/memory.py)."""
    stems = {**prepared.instrumental, **prepared.vocal}
    prepared.instrumental, prepared.vocal = {}, {}
    return render_sections(stems, plan.sections, sr, prepared.beat_times, consume=True)


def master_mix(mix: np.ndarray, sr: int, settings: Settings, reference: np.ndarray | None = None
               ) -> tuple[np.ndarray, dict]:
    """Steps 13.3 -> 13.7 -> 14 or 14.5 -> 15."""
    steps = []
    if settings.ab_multiband_comp_v1:
        mix = multiband_compress(mix, sr)
        steps.append("13.3 multiband")
    mix = auto_level(mix, sr, settings)
    steps.append("13.7 auto-leveler")
    if settings.ab_reference_mastering_v1 and reference is not None and np.any(reference):
        out, report = reference_master(mix, reference, sr, ceiling_db=settings.true_peak_ceiling_db,
                                       target_lufs=settings.target_lufs)
        report.pop("eq_curve", None)
        steps.append("14.5 reference mastering")
    else:
        drive: dict[str, Any] = {} if settings.ab_static_mastering_v1 else {"max_drive_db": None}
        out, report = master(mix, sr, settings.target_lufs, settings.true_peak_ceiling_db, **drive)
        steps.append("14 mastering" + (" (static)" if settings.ab_static_mastering_v1 else ""))
    steps.append("15 fades")
    report = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in report.items()}
    return out, report | {"steps": steps}
