"""Step 16: write the mix and its companions, all or nothing.

Beside the mix (WAV, MP3 or FLAC by its extension) go `stems/{stem}.wav` (each
stem as rendered, before mastering), `plan.json` and `report.json`. Everything
is first written into a hidden temporary folder next to the output, then moved
into place, the mix last; a failure removes the temporary folder, so an
error never leaves half a mashup behind.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from musicmixer.audio import save_audio
from musicmixer.errors import MusicMixerError

MIX_FORMATS = (".wav", ".mp3", ".flac")


class OutputFormatError(MusicMixerError):
    """The output name has no extension we can write."""


def check_output_path(out: Path) -> Path:
    """The mix path, validated before any work starts."""
    out = Path(out)
    if out.suffix.lower() not in MIX_FORMATS:
        raise OutputFormatError(f"{out.name}: the mix must end in .wav, .mp3 or .flac")
    return out


def companion_paths(out: Path, stem_names) -> dict[str, Path]:
    folder = Path(out).parent
    paths = {"plan": folder / "plan.json", "report": folder / "report.json"}
    paths |= {f"stem:{n}": folder / "stems" / f"{n}.wav" for n in stem_names}
    return paths


class StemWriter:
    """Writes the rendered stems into a staging folder next to the output on a
    thread, from the moment they exist: the disk works while steps 13-15 compute,
    and `export` later moves them into place with the rest. `discard` removes
    everything it wrote (and the output folder, if it made it and it is empty).
    """

    def __init__(self, out: Path, per_stem: dict[str, np.ndarray], sr: int):
        from concurrent.futures import ThreadPoolExecutor

        self.out = check_output_path(out)
        self.names = list(per_stem)
        self._made = [p for p in [self.out.parent, *self.out.parent.parents] if not p.exists()]
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=".musicmixer-", dir=self.out.parent))
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="stem-writer")
        self._future = self._pool.submit(self._write, per_stem, sr)

    def _write(self, per_stem: dict[str, np.ndarray], sr: int) -> dict[str, Path]:
        return {f"stem:{name}": save_audio(self.folder / "stems" / f"{name}.wav", stem, sr)
                for name, stem in per_stem.items()}

    def staged(self) -> dict[str, Path]:
        """Wait for the stems; re-raises a write error."""
        try:
            return self._future.result()
        finally:
            self._pool.shutdown()

    def discard(self) -> None:
        self._future.cancel()
        self._pool.shutdown(wait=True)
        shutil.rmtree(self.folder, ignore_errors=True)
        for folder in self._made:  # deepest first; only the empty ones this made
            try:
                folder.rmdir()
            except OSError:
                break


def export(out: Path, audio: np.ndarray, sr: int, per_stem: dict[str, np.ndarray],
           plan_json: dict, report: dict, *, stems: StemWriter | None = None) -> dict[str, Path]:
    """Write everything atomically; returns the final paths (mix under "mix").
    `stems`, when given, already holds `per_stem` being written (see StemWriter)."""
    writer = stems or StemWriter(out, per_stem, sr)
    out, tmp = writer.out, writer.folder
    try:
        final = companion_paths(out, writer.names)
        staged = writer.staged()
        staged["plan"] = _write_json(tmp / "plan.json", plan_json)
        staged["report"] = _write_json(tmp / "report.json", report)
        staged["mix"] = save_audio(tmp / f"mix{out.suffix.lower()}", audio, sr)
        final["mix"] = out
        for key in [k for k in staged if k != "mix"] + ["mix"]:
            final[key].parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged[key], final[key])
        return final
    except BaseException:
        writer.discard()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, indent=2, default=_jsonable))
    return path


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)
