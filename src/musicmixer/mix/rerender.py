"""Re-render a finished mix with new stem gains: steps 12-16 again, no separation.

Input is what step 16 (`mix.export`) saved: `stems/{stem}.wav` (or the web
app's 24-bit FLAC copies of them, `compact_audio`; each stem as rendered,
i.e. already carrying the plan's section gains), `plan.json` (loaded back as
a `RemixPlan`, so the renderer sees the same models as a first render) and
`report.json`. A stem rendered at gain g_old and wanted at g_new is the saved
stem times g_new / g_old, exact wherever the stem was audible; a stem that was
silent in a section (g_old = 0) cannot be raised there, and the result says so.
Then the buses are summed and ducked again (12.5), mastered (13.3-15) and
exported like a first render.

Only per-section changes need the output beat grid: `report.json`'s
`beat_times` when the pipeline saved it, otherwise a steady grid at the
output tempo (sample 0 = the first section's downbeat, see `mix.align`).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicmixer.audio import SAMPLE_RATE, integrated_lufs, true_peak_db
from musicmixer.compact_audio import load_stem, stem_paths
from musicmixer.config import Settings
from musicmixer.interpreter.plan import PlanSection, RemixPlan
from musicmixer.mix.export import export
from musicmixer.mix.master import master_mix
from musicmixer.mix.renderer import DEFAULT_DUCKER, section_gain_curve
from musicmixer.stems import is_vocal

MAX_GAIN = 2.0  # +6 dB over the plan's full level
_AUDIBLE = 1e-4  # a rendered gain below this counts as silent

Progress = Callable[[float, str], None]


@dataclass
class Rerendered:
    files: dict[str, Path]
    plan: RemixPlan
    report: dict
    warnings: list[str] = field(default_factory=list)


def read_render(folder: Path) -> tuple[RemixPlan, dict, dict[str, Path]]:
    """plan.json, report.json and the rendered stem files of an exported mix
    (float32 WAV, or 24-bit FLAC once the web app compacted them: load them
    with `compact_audio.load_stem`)."""
    folder = Path(folder)
    plan = RemixPlan.model_validate_json((folder / "plan.json").read_text())
    report = json.loads((folder / "report.json").read_text())
    return plan, report, stem_paths(folder / "stems", plan.stem_names or None)


def output_beat_times(plan: RemixPlan, report: dict) -> np.ndarray:
    """Plan beat -> output seconds: the saved grid, else a steady one."""
    saved = report.get("beat_times")
    if saved is not None and len(saved) >= 2:
        return np.asarray(saved, dtype=np.float64)
    tempo = report.get("tempo") or {}
    bpm = float(tempo.get("target_bpm") or 0.0)
    if bpm <= 0:
        ratio = float(tempo.get("instrumental_ratio") or 1.0)
        bpm = float(tempo.get("instrumental_bpm") or 120.0) / max(ratio, 1e-6)
    first = min(s.start_beat for s in plan.sections)
    last = max(s.end_beat for s in plan.sections)
    return (np.arange(last + 9, dtype=np.float64) - first) * 60.0 / bpm


def section_times(plan: RemixPlan, report: dict) -> list[dict]:
    """Each section's label, start and end in output seconds, and its gains."""
    grid = output_beat_times(plan, report)

    def at(beat: int) -> float:
        return float(np.interp(beat, np.arange(len(grid)), grid))

    return [{"index": i, "label": s.label, "start_s": round(max(at(s.start_beat), 0), 3),
             "end_s": round(at(s.end_beat), 3), "stem_gains": s.stem_gains}
            for i, s in enumerate(plan.sections)]


def new_sections(plan: RemixPlan, stem_gains: Mapping[str, float],
                 section_gains: Mapping[int, Mapping[str, float]]) -> list[PlanSection]:
    """The plan's sections with `section_gains` (absolute, by section index)
    put in, then every stem scaled by its `stem_gains` factor."""
    out = []
    for i, section in enumerate(plan.sections):
        gains = dict(section.stem_gains)
        gains.update({k: float(v) for k, v in section_gains.get(i, {}).items()})
        gains = {k: float(np.clip(v * float(stem_gains.get(k, 1.0)), 0.0, MAX_GAIN))
                 for k, v in gains.items()}
        out.append(section.model_copy(update={"stem_gains": gains}))
    return out


def regain(name: str, audio: np.ndarray, old: list[PlanSection], new: list[PlanSection],
           beat_times, sr: int) -> tuple[np.ndarray, list[str]]:
    """One rendered stem moved from the old section gains to the new ones."""
    olds = [float(s.stem_gains.get(name, 0.0)) for s in old]
    news = [float(s.stem_gains.get(name, 0.0)) for s in new]
    warnings = [f"{name} was silent in section {i + 1} ({old[i].label}) of this "
                "render, so it cannot be raised there." for i, (a, b) in enumerate(zip(olds, news))
                if a <= _AUDIBLE < b]
    ratios = {round(b / a, 6) for a, b in zip(olds, news) if a > _AUDIBLE}
    if len(ratios) <= 1:  # one factor for the whole stem: exact, no beat grid needed
        return (audio * (ratios.pop() if ratios else 0.0)).astype(np.float32), warnings
    old_curve = section_gain_curve(name, old, sr, beat_times, audio.shape[-1])
    new_curve = section_gain_curve(name, new, sr, beat_times, audio.shape[-1])
    ratio = np.where(old_curve > _AUDIBLE, new_curve / np.maximum(old_curve, _AUDIBLE), 0.0)
    return (audio * ratio.astype(np.float32)).astype(np.float32), warnings


def rerender(source: Path, output: Path, settings: Settings, *, stem_gains: Mapping[str, float] | None = None,
             section_gains: Mapping[int, Mapping[str, float]] | None = None,
             progress: Progress | None = None) -> Rerendered:
    """Steps 12-16 again from `source` (an exported mix folder) into `output`
    (the new mix file; its folder gets the companions, as `export` writes them)."""
    report_progress: Progress = progress or (lambda fraction, detail: None)
    plan, report, stem_files = read_render(source)
    unknown = set(stem_gains or {}) - set(stem_files)
    if unknown:
        from musicmixer.errors import MusicMixerError

        raise MusicMixerError(f"this mix has no stem named {', '.join(sorted(unknown))} "
                              f"(its stems: {', '.join(stem_files)})")
    sr = SAMPLE_RATE
    old = plan.sections
    new = new_sections(plan, stem_gains or {}, section_gains or {})
    beat_times = output_beat_times(plan, report)
    per_stem, warnings = {}, []
    for i, (name, path) in enumerate(stem_files.items()):
        report_progress(0.6 * i / max(len(stem_files), 1), f"re-gaining {name}")
        per_stem[name], notes = regain(name, load_stem(path, sr), old, new, beat_times, sr)
        warnings += notes
    report_progress(0.6, "sections to buses")
    n = max(a.shape[-1] for a in per_stem.values())
    vocal_bus = np.zeros((2, n), dtype=np.float32)
    inst_bus = np.zeros((2, n), dtype=np.float32)
    for name, audio in per_stem.items():
        bus = vocal_bus if is_vocal(name) else inst_bus
        bus[:, :audio.shape[-1]] += audio
    if np.any(vocal_bus):
        inst_bus = DEFAULT_DUCKER(inst_bus, vocal_bus, sr)  # step 12.5
    report_progress(0.7, "mastering")
    audio, mastering = master_mix((vocal_bus + inst_bus).astype(np.float32), sr, settings, None)
    report_progress(0.9, "writing")
    new_plan = plan.model_copy(update={"sections": new})
    new_report = {**report, "mastering": mastering,
                  "output": {**report.get("output", {}), "seconds": round(audio.shape[-1] / sr, 3),
                             "lufs": round(integrated_lufs(audio, sr), 3),
                             "true_peak_dbtp": round(true_peak_db(audio), 3)},
                  "rerender": {"stem_gains": dict(stem_gains or {}),
                               "section_gains": {str(k): dict(v)
                                                 for k, v in (section_gains or {}).items()}},
                  "warnings": list(dict.fromkeys(report.get("warnings", []) + warnings))}
    files = export(output, audio, sr, per_stem, new_plan.model_dump(mode="json"), new_report)
    report_progress(1.0, "done")
    return Rerendered(files, new_plan, new_report, warnings)
