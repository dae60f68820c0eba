"""`generate_song`: a spec in, a folder of stems, their mix and the exact truth out.

The folder is named by the `SongSpec`'s hash and written truth-last, so a folder with
a truth.json is complete and is reused as is.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..stems import SEVEN_STEMS
from .compose import Note, Score, compose, section_parts
from .mixdown import SAMPLE_RATE, build_stems, mix_of, write_wav
from .render import DRUM_CHANNEL, render_part
from .spec import BEATS_PER_BAR, FELT_PULSE, Clock, SongSpec

STEM_FILES = ("drums", "bass", "piano", "guitar", "lead_vocals", "backing_vocals")
TAIL_SECONDS = 1.5
GM_LEAD_PROGRAM = 53     # "Voice Oohs" (0-based GM program number)
GM_BACKING_PROGRAM = 52  # "Choir Aahs"
assert set(STEM_FILES) <= set(SEVEN_STEMS)


@dataclass
class GeneratedSong:
    spec: SongSpec
    song_dir: Path
    mix_path: Path
    stem_paths: dict[str, Path]
    truth_path: Path
    truth: dict

    def load_mix(self) -> np.ndarray:
        return _read_wav(self.mix_path)

    def load_stem(self, name: str) -> np.ndarray:
        return _read_wav(self.stem_paths[name])

    def truth_stems(self, stem_names) -> dict[str, np.ndarray]:
        """Ground truth in a separator's vocabulary: "vocals" is lead plus
        backing, "other" is whatever of ours no other requested name covers
        (piano + guitar for the four-stem set, silence for the six/seven)."""
        names = list(stem_names)
        return {name: self.truth_stem(name, names) for name in names}

    def truth_stem(self, name: str, stem_names) -> np.ndarray:
        """One stem of `truth_stems(stem_names)`, reading only the files it sums
        (a 15-minute song's seven stems are 2.2 GB)."""
        covered: set[str] = set()
        for other in stem_names:
            if other in self.stem_paths:
                covered.add(other)
            elif other == "vocals":
                covered |= {"lead_vocals", "backing_vocals"}
            elif other != "other":
                raise ValueError(f"unknown stem name {other!r}")
        if name in self.stem_paths:
            return self.load_stem(name)
        if name == "vocals":
            return self.load_stem("lead_vocals") + self.load_stem("backing_vocals")
        import soundfile as sf

        info = sf.info(str(self.stem_paths["drums"]))
        out = np.zeros((info.channels, info.frames), dtype=np.float32)
        for stem in (s for s in STEM_FILES if s not in covered):
            out = out + self.load_stem(stem)
        return out

def _read_wav(path: Path) -> np.ndarray:
    import soundfile as sf

    data, _ = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T)


def resolve_voices(voices: str) -> str:
    from .voice import festival_available

    if voices == "auto":
        return "festival" if festival_available() else "gm"
    if voices == "festival" and not festival_available():
        raise RuntimeError("voices='festival' needs festival and festvox-kallpc16k installed")
    return voices


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "song"


def generate_song(spec: SongSpec, out_dir: str | os.PathLike) -> GeneratedSong:
    """Render `spec` under out_dir (or reuse it if already there)."""
    voices = resolve_voices(spec.voices)
    key = spec.cache_key(voices)
    song_dir = Path(out_dir) / f"{_slug(spec.title)}-{key}"
    truth_path = song_dir / "truth.json"
    paths = {s: song_dir / f"{s}.wav" for s in STEM_FILES}
    mix_path = song_dir / "mix.wav"
    if truth_path.exists() and mix_path.exists() and all(p.exists() for p in paths.values()):
        truth = json.loads(truth_path.read_text())
        if truth.get("cache_key") == key:
            return GeneratedSong(spec, song_dir, mix_path, paths, truth_path, truth)
    song_dir.mkdir(parents=True, exist_ok=True)

    score = compose(spec)
    clock = spec.clock(score.total_beats)
    song_end = clock.time(score.total_beats)
    n = int(round((song_end + TAIL_SECONDS) * SAMPLE_RATE))
    lead_cents = None
    if spec.lead_style == "realistic":
        from .lead_contour import note_offsets_cents

        lead_cents = note_offsets_cents(score.parts["lead"], spec.seed)
    rendered = _render(score, voices, song_end + TAIL_SECONDS, n, lead_cents)
    if spec.lead_style == "realistic" and rendered.get("lead") is not None:
        from .lead_contour import warp_lead

        # before the timbre, so that breath and grit are not pitch-warped
        rendered["lead"] = warp_lead(rendered["lead"], score.parts["lead"], spec.seed)
    if spec.voice_timbre != "clean":
        from .timbre import colour_voice

        rendered["lead"] = colour_voice(rendered.get("lead"), spec.voice_timbre, spec.seed)
    if spec.backing == "harmony_vibrato":
        from .vibrato import add_vibrato

        for i, part in enumerate(("backing_hi", "backing_lo")):
            if rendered.get(part) is not None:
                rendered[part] = add_vibrato(rendered[part], seed=spec.seed * 2 + i)
    stems = build_stems(rendered, n)
    for name in STEM_FILES:
        write_wav(paths[name], stems[name])
    write_wav(mix_path, mix_of(stems))
    truth = make_truth(spec, score, clock, n, voices, key)
    tmp = truth_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(truth, indent=1))
    os.replace(tmp, truth_path)
    return GeneratedSong(spec, song_dir, mix_path, paths, truth_path, truth)


def _render(score: Score, voices: str, end_time: float, n: int,
            lead_cents: list[float] | None = None) -> dict:
    """Every part at once, two processes at a time (fluidsynth and Festival are
    both single-threaded). `lead_cents`: per-note offsets Festival sings the lead
    with (a GM lead cannot take them and keeps its notes' pitches)."""
    from .voice import sing

    programs = dict(score.programs, lead=GM_LEAD_PROGRAM, backing_hi=GM_BACKING_PROGRAM,
                    backing_lo=GM_BACKING_PROGRAM, double=GM_LEAD_PROGRAM)
    sung = {"lead", "backing_hi", "backing_lo", "double"} if voices == "festival" else set()
    with tempfile.TemporaryDirectory(prefix="mm-song-") as tmp, \
            ThreadPoolExecutor(max_workers=2) as pool:
        work = Path(tmp)
        futures = {}
        # the longest jobs first, so the two workers finish together
        for name in sorted(score.parts, key=lambda k: (k not in sung, k)):
            notes = score.parts[name]
            if name in sung:
                cents = lead_cents if name == "lead" else None
                futures[name] = pool.submit(sing, notes, n, work, name, cents)
            else:
                channel = DRUM_CHANNEL if name == "drums" else 0
                futures[name] = pool.submit(render_part, name, notes, programs[name], channel,
                                            end_time, work)
        return {name: f.result() for name, f in futures.items()}


def activity(notes: list[Note], merge_gap: float) -> list[list[float]]:
    """Spans where a part plays: note-on to note-off, rests shorter than
    `merge_gap` seconds bridged."""
    spans: list[list[float]] = []
    for nt in sorted(notes, key=lambda x: x.start):
        if spans and nt.start - spans[-1][1] <= merge_gap:
            spans[-1][1] = max(spans[-1][1], nt.end)
        else:
            spans.append([nt.start, nt.end])
    return [[round(a, 6), round(b, 6)] for a, b in spans]


def make_truth(spec: SongSpec, score: Score, clock: Clock, n: int, voices: str, key: str) -> dict:
    beats = [clock.time(b) for b in range(score.total_beats)]
    sections, bar = [], 0
    for label, length in spec.form():
        sections.append({
            "label": label, "start_bar": bar, "end_bar": bar + length,
            "start_time": round(clock.time(bar * BEATS_PER_BAR), 6),
            "end_time": round(clock.time((bar + length) * BEATS_PER_BAR), 6),
            "stems": sorted(section_parts(spec, label) & set(STEM_FILES)),
        })
        bar += length
    by_stem: dict[str, list[Note]] = {s: [] for s in STEM_FILES}
    stem_of = {"lead": "lead_vocals", "backing_hi": "backing_vocals", "backing_lo": "backing_vocals",
               "double": "backing_vocals"}
    for part, notes in score.parts.items():
        by_stem[stem_of.get(part, part)] += notes
    gap = 60.0 / spec.tempo
    extra = {}
    if spec.hard_options() or spec.feel == "double_time":
        # truth of the hard set: which level the beats are (see spec.py's FELT_PULSE)
        extra = {"felt_pulse": FELT_PULSE[spec.feel], "hard_options": spec.hard_options()}
    return {
        "title": spec.title, "artist": spec.artist,
        "tempo": spec.tempo, "tempo_end": round(clock.bpm(score.total_beats), 6),
        "tempo_drift": spec.tempo_drift, "feel": spec.feel, "drums": spec.drums,
        "key": spec.key, "mode": spec.mode, "beats_per_bar": BEATS_PER_BAR,
        "bars": spec.bars, "seed": spec.seed,
        "beats": [round(t, 6) for t in beats],
        "downbeats": [round(t, 6) for t in beats[::BEATS_PER_BAR]],
        "sections": sections,
        "stem_activity": {s: activity(by_stem[s], gap) for s in STEM_FILES},
        "song_end": round(clock.time(score.total_beats), 6),
        "duration": n / SAMPLE_RATE, "sample_rate": SAMPLE_RATE,
        "voices": voices, "cache_key": key,
        "spec": {**spec.as_dict(), "sections": [list(s) for s in spec.form()]},
        **extra,
    }
