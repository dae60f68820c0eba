"""The main job: two songs and a sentence in, a mastered mashup out.

This module is only the stage order: one `with timer.stage(...)` block per
row of `musicmixer.stages.STAGES`, which does the timing and the progress;
each stage's work lives in its own module:

  ingest     decode and check both songs (too short / silent -> typed error)
  separate   steps 1: `separation.dispatcher.separate_stems`, per settings
  analyze    steps 2, 3.5: `analysis.analyze.analyze_song` (lead vocals in 7-stem mode)
  interpret  step 4: `interpreter.interpret`
  prepare    steps 5-11.5: `mix.sources`, `mix.keymatch`, `mix.align`, `mix.prepare`
  render     steps 12, 12.5: `mix.master.render`
  master     steps 13.3-15: `mix.master.master_mix`
  export     step 16: `mix.export.export` (atomic: nothing half-written)

`progress_callback(stage, fraction, detail)` is called as each stage starts
(0), moves and ends (1).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicmixer.allocator import retained_memory
from musicmixer.analysis.analyze import MIN_DURATION_S, SILENT_DBFS, analyze_song, vocal_stem_file
from musicmixer.audio import SAMPLE_RATE, load_audio
from musicmixer.config import Settings
from musicmixer.errors import AnalysisError, AudioTooLongError
from musicmixer.interpreter import RemixPlan, interpret
from musicmixer.mix.export import StemWriter, check_output_path, export
from musicmixer.mix.keymatch import bar_pairs, plan_key
from musicmixer.mix.master import master_mix, render
from musicmixer.mix.plan_mapping import follow_mapping
from musicmixer.mix.prepare import prepare
from musicmixer.mix.report import build_report, stage_timing
from musicmixer.mix.sources import gather_sources
from musicmixer.mix.tempo import local_bpm, plan_tempo
from musicmixer.separation.dispatcher import release_models, separate_stems
from musicmixer.stages import Progress, StageTimer
from musicmixer.stems import mode_with_stems, stems_for_settings, vocal_stems

logger = logging.getLogger(__name__)



@dataclass
class MixRequest:
    song_a: Path
    song_b: Path
    prompt: str | None
    output: Path
    backends: Mapping | None = None  # separation backends by name (tests pass fakes)
    plan: RemixPlan | None = None  # a ready plan skips step 4


@dataclass
class MixResult:
    output: Path
    files: dict[str, Path]
    plan: RemixPlan
    report: dict
    warnings: list[str] = field(default_factory=list)


def check_song(audio: np.ndarray, path: Path, settings: Settings) -> None:
    seconds = audio.shape[-1] / SAMPLE_RATE
    if seconds > settings.max_song_minutes * 60:
        raise AudioTooLongError(f"{path.name} is {seconds / 60:.1f} min long; the limit is "
                                f"{settings.max_song_minutes:g} min (MAX_SONG_MINUTES)")
    if seconds < MIN_DURATION_S:
        raise AnalysisError(f"{path.name} is too short to mix ({seconds:.1f} s): a song needs at "
                            f"least {MIN_DURATION_S:.0f} s, a few bars")
    # in pieces: a float64 square of a whole 15-minute song is 636 MB
    step = 1 << 20
    energy = sum(float(np.sum(np.square(audio[:, i:i + step], dtype=np.float64)))
                 for i in range(0, audio.shape[-1], step))
    rms = float(np.sqrt(energy / max(audio.size, 1)))
    if 20 * np.log10(max(rms, 1e-12)) < SILENT_DBFS:
        raise AnalysisError(f"{path.name} is silent: there is nothing to mix")


def run_mix(request: MixRequest, settings: Settings, progress_callback: Progress | None = None) -> MixResult:
    """Run every stage in order; raises a `MusicMixerError` subclass on bad input,
    before anything is written to the output folder."""
    timer, warnings = StageTimer(progress_callback), []
    out = check_output_path(request.output)
    paths = {"song_a": Path(request.song_a), "song_b": Path(request.song_b)}
    sr = SAMPLE_RATE

    with tempfile.TemporaryDirectory(prefix="musicmixer-work-") as work, ExitStack() as stack:
        with timer.stage("ingest", "decoding"):
            # Checked and let go: separation decodes the file itself, and holding
            # both songs through it cost 2 x 21 MB per minute (bench/memory.py).
            for path in paths.values():
                check_song(load_audio(path), path, settings)
        with timer.stage("separate") as step:
            def song_step(i: int, name: str):  # the two songs share the "separate" bar
                return lambda f, d="": step((i + f) / 2, f"{name}: {d}")

            seps = {}
            for i, (sid, path) in enumerate(paths.items()):
                name = paths_name(path)
                seps[sid] = separate_stems(
                    path, Path(work) / sid,
                    song_step(i, name),
                    settings=settings, backends=request.backends, allow_vocal_fallback=True)
                if settings.vocal_sub_separation and settings.stem_backend == "modal" \
                        and not seps[sid].vocal_sub_separation:
                    warnings.append(f"{path.name}: the lead/backing split failed; its vocals stay "
                                    "one stem.")
        release_models()  # ~1 GB of model sessions no later stage needs
        # From here on, freed arrays' memory serves the next ones (not during
        # separation: ONNX Runtime's kernels ran ~5% slower on that memory).
        stack.enter_context(retained_memory())
        with timer.stage("analyze") as step:
            analyses = {}
            for i, (sid, path) in enumerate(paths.items()):
                step(i / 2, path.name)
                mix = load_audio(path)
                vfile = vocal_stem_file(Path(work) / sid, seps[sid].vocal_sub_separation)  # 3.5
                # the stems' files: the analysis reads one at a time and keeps only
                # frame-rate features (two 15-minute songs: 2.61 -> 1.70 GB peak)
                analyses[sid] = analyze_song(mix, sr, seps[sid].stems, title=path.stem,
                                             vocal_stem=vfile.stem if vfile else None)
                warnings += [f"{path.name}: {w}" for w in analyses[sid].warnings]
                del mix  # one song at a time; the later stages read their own ranges
        with timer.stage("interpret", "planning") as step:
            plan = request.plan or interpret(analyses["song_a"], analyses["song_b"],
                                             request.prompt, settings=settings)
            warnings += plan.warnings
            step(1.0, plan.planner)
        plan = _fold_failed_split(plan, seps[plan.vocal_source].stem_names)
        vocal_id, inst_id = plan.vocal_source, plan.instrumental_source
        va, ia = analyses[vocal_id], analyses[inst_id]
        # Step 14.5's reference span of the instrumental song's mix, only where it is used.
        reference = (_reference_mix(load_audio(paths[inst_id]), plan, sr).copy()
                     if settings.ab_reference_mastering_v1 else None)
        with timer.stage("prepare") as step:
            tempo = _plan_tempo(plan, va, ia, settings)
            plan, mapped = follow_mapping(plan, va, tempo.vocal_beats_per_beat)
            plan = plan.model_copy(update={
                "explanation": plan.explanation if tempo.explanation in plan.explanation
                else f"{plan.explanation} {tempo.explanation}".strip()})
            warnings += mapped
            key = plan_key(va, ia, plan.key_intent, pairs=bar_pairs(plan, tempo.vocal_beats_per_beat))
            warnings += tempo.warnings + key.warnings
            sources = gather_sources(plan, seps[vocal_id], seps[inst_id], va.duration)
            prepared = prepare(sources, plan, va, ia, tempo, key, settings, sr, step)
            dropped = sources.dropped
            del sources  # the trimmed stems; `prepared` holds what the render needs
        with timer.stage("render", "sections to buses"):
            rendered = render(prepared, plan, sr)
            notes, beat_times = prepared.notes, prepared.beat_times
            per_stem, mix = rendered.per_stem, rendered.mix
            del prepared, rendered  # the mix and the gained stems are all that is left to use
            stem_files = StemWriter(out, per_stem, sr)  # on a thread, while 13-15 run
        try:  # the stems are being written meanwhile: on a failure, take them back
            with timer.stage("master", "mastering"):
                audio, mastering = master_mix(mix, sr, settings, reference)
                del mix
                if not mastering.get("target_reached", True):
                    warnings.append(f"The mix reached {mastering.get('lufs')} LUFS, not the "
                                    f"{settings.target_lufs} LUFS target, without over-limiting.")
            with timer.stage("export", "writing") as step:
                report = build_report(
                    settings=settings, stem_mode=stems_for_settings(settings), timer=timer,
                    tempo=tempo, key=key, prepared_notes=notes, mastering=mastering,
                    audio=audio, sr=sr, warnings=warnings, dropped=dropped,
                    separation=_separation_summary(seps))
                report |= _plan_summary(plan, beat_times)
                report["analysis"] = _analysis_summary(analyses)
                files = export(out, audio, sr, per_stem, plan.model_dump(mode="json"),
                               report, stems=stem_files)
                step(1.0, str(out))
        except BaseException:
            stem_files.discard()
            raise
        report.update(stage_timing(timer, audio.shape[-1] / sr))
    return MixResult(out, files, plan, report, report["warnings"])


def _fold_failed_split(plan: RemixPlan, vocal_song_stems: list[str]) -> RemixPlan:
    """The vocal song's lead/backing split failed (its vocals stayed one stem):
    the plan's lead and backing gains fold back onto `vocals` by the mode's fold
    rule, instead of leaving a stem the renderer has no gain for (silent vocals)."""
    if all(s in vocal_song_stems for s in vocal_stems(plan.stem_names)):
        return plan
    mode = mode_with_stems(vocal_song_stems)
    sections = [s.model_copy(update={"stem_gains": mode.project(s.stem_gains)})
                for s in plan.sections]
    return plan.model_copy(update={"stem_names": list(mode.stems), "sections": sections})


def _plan_tempo(plan, va, ia, settings: Settings):
    """Step 8 over the plan's ranges. The range tempos are measured like the
    songs' own (`local_bpm`), so a steady song's range agrees with `analyze`."""
    r, v = plan.instrumental_range, plan.vocal_range
    return plan_tempo(local_bpm(va.beats, v.start, v.end, va.tempo),
                      local_bpm(ia.beats, r.start, r.end, ia.tempo), plan.tempo_intent,
                      max_stretch=settings.max_tempo_stretch, vocal_levels=va.tempo_levels,
                      instrumental_levels=ia.tempo_levels)


def _analysis_summary(analyses: dict) -> dict:
    """What the analysis found and how sure it was, per song (the grids the render used)."""
    return {sid: {"title": a.title, "artist": a.artist, "duration_s": round(a.duration, 3),
                  "tempo": a.tempo, "tempo_confidence": a.tempo_confidence,
                  "tempo_levels": [lv.model_dump() for lv in a.tempo_levels],
                  "tempo_level_confidence": a.tempo_level_confidence,
                  "beats": len(a.beats), "downbeats": len(a.downbeats),
                  "key": f"{a.key} {a.mode}", "key_confidence": a.key_confidence,
                  "phase_confidence": a.phase_confidence,
                  "downbeat_confidence": a.downbeat_confidence}
            for sid, a in analyses.items()}


def _separation_summary(seps: dict) -> dict:
    return {sid: {"backend": s.backend, "stems": s.stem_names, "cache_hit": s.cache_hit,
                  "vocal_sub_separation": s.vocal_sub_separation, "vocal_split": s.vocal_split,
                  "vocal_split_reason": s.vocal_split_reason} for sid, s in seps.items()}


def _plan_summary(plan, beat_times) -> dict:
    """The plan's sections in output seconds, and plan beat -> output seconds,
    so that a re-render can place new section gains."""
    return {"plan": {"planner": plan.planner, "vocal_source": plan.vocal_source,
                     "sections": _section_times(plan, beat_times)},
            "beat_times": [round(float(t), 4) for t in beat_times[:plan.sections[-1].end_beat + 9]]}


def _section_times(plan, beat_times) -> list[dict]:
    """Each section's label and span in the output, for the report."""
    last = len(beat_times) - 1

    def at(beat: int) -> float:
        return round(max(0.0, float(beat_times[min(beat, last)])), 3)

    return [{"label": s.label, "start_s": at(s.start_beat), "end_s": at(s.end_beat),
             "stem_gains": s.stem_gains} for s in plan.sections]


def paths_name(path: Path) -> str:
    """A song's name for progress lines (generated songs are all called mix.wav)."""
    path = Path(path)
    return path.parent.name if path.stem == "mix" else path.name


def _reference_mix(inst_mix: np.ndarray, plan, sr: int) -> np.ndarray:
    """Step 14.5's reference: the instrumental song's original mix over the planned span."""
    r = plan.instrumental_range
    return inst_mix[:, int(r.start * sr):int(r.end * sr)]
