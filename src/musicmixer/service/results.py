"""Where a remix's files live, and what the player needs from a finished mix.

    {remixes}/{id}/uploads/song_a.mp3   the two songs as uploaded
    {remixes}/{id}/base/remix.mp3       the first render (+ stems/, plan.json, report.json)
    {remixes}/{id}/web/{stem}.flac      the base stems, 16-bit FLAC, for Web Audio
    {remixes}/{id}/renders/{n}/         version n, an "Apply" (its MP3, plan, report)

The rendered stems from step 16 are float32 WAV (about 60 MB per stem for a
three-minute song); the page gets lossless 16-bit FLAC copies instead, a
fraction of that, decoded by the browser itself.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from musicmixer.audio import SAMPLE_RATE, integrated_lufs, load_audio
from musicmixer.mix.rerender import read_render, section_times

from .cards import music_summary, song_cards
from .versions import first_result, kept_folders

MIX_NAME = "remix.mp3"


def uploads_dir(folder: Path) -> Path:
    return folder / "uploads"


def base_mix(folder: Path) -> Path:
    return folder / "base" / MIX_NAME


def render_mix(folder: Path, n: int) -> Path:
    return folder / "renders" / str(n) / MIX_NAME


def remove_partials(folder: Path, result: dict) -> None:
    """What a killed render leaves: for a finished remix, every render folder
    that is not one of its versions (a re-render cut off midway: ~22 MB) and half-written
    player copies; for a remix not finished yet, all its output (the uploads
    stay, so it can run again)."""
    if not result.get("mix"):
        for part in ("base", "web", "renders"):
            shutil.rmtree(folder / part, ignore_errors=True)
        return
    keep = kept_folders(result)
    for old in (folder / "renders").glob("*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in (folder / "web").glob(".*.tmp.*"):
        tmp.unlink(missing_ok=True)


def song_paths(folder: Path) -> dict[str, Path]:
    found = {p.stem: p for p in uploads_dir(folder).glob("song_*")}
    return {k: found[k] for k in ("song_a", "song_b") if k in found}


def describe_mix(folder: Path, mix: Path, warnings: list[str]) -> dict:
    """The job's `result`: where the master is, which stems there are, the
    sections on the output timeline, and how much louder the master is than
    the plain sum of its stems (the page plays that sum, so it applies this)."""
    plan, report, stem_files = read_render(mix.parent)
    web = folder / "web"
    web.mkdir(exist_ok=True)
    total, web_stems = None, {}
    for name, path in stem_files.items():
        audio = load_audio(path, SAMPLE_RATE)
        total = audio.copy() if total is None else _add(total, audio)
        out = web / f"{name}.flac"
        tmp = web / f".{name}.tmp.flac"
        sf.write(tmp, np.clip(audio, -1.0, 1.0).T, SAMPLE_RATE, subtype="PCM_16", format="FLAC")
        tmp.replace(out)
        web_stems[name] = out.relative_to(folder).as_posix()
    master = load_audio(mix, SAMPLE_RATE)
    gain_db = 0.0
    if total is not None and np.any(total):
        gain_db = float(np.clip(integrated_lufs(master, SAMPLE_RATE)
                                - integrated_lufs(total, SAMPLE_RATE), -24.0, 24.0))
    return first_result({"mix": mix.relative_to(folder).as_posix(), "stems": list(stem_files),
            "web_stems": web_stems, "preview_gain_db": round(gain_db, 2),
            "duration_s": round(master.shape[-1] / SAMPLE_RATE, 3),
            "sections": section_times(plan, report), "planner": plan.planner,
            "explanation": plan.explanation, "warnings": list(warnings),
            "tempo": tempo_summary(report), "renders": 0,
            "vocal_source": plan.vocal_source,
            "songs": song_cards(report, song_paths(folder)), "music": music_summary(report)})


def tempo_summary(report: dict) -> dict:
    """How the two songs' beats met (1:1, 2:1 or 1:2) and the stretch it took;
    the page's explanation says the same in words (`mix.tempo`)."""
    t = report.get("tempo") or {}
    return {k: t[k] for k in ("mapping", "vocal_bpm", "instrumental_bpm", "stretch", "target_bpm")
            if k in t}


def current_folder(folder: Path, result: dict) -> Path:
    """The folder of the master now served (plan.json, report.json beside it)."""
    return (folder / result["mix"]).parent


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = max(a.shape[-1], b.shape[-1])
    out = np.zeros((2, n), dtype=np.float32)
    out[:, :a.shape[-1]] += a
    out[:, :b.shape[-1]] += b
    return out
