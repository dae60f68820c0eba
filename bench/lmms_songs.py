"""Real productions as a benchmark set: LMMS's demo projects rendered headless.

A project file holds the exact tempo and time signature, so its beat and bar
grid (from tick 0) is the truth; only projects in 4/4 without tempo automation
are used (the others are listed as skipped, with why). Each project is cut to
its first ~60 s of bars (track-level clips starting later are dropped, the
render is trimmed on the bar line) and rendered with `lmms render`; renders are
cached under build/ and never committed. The licence of every project is read
from the package's copyright file (Debian's last-matching-stanza rule) and
reported beside its figures. The projects carry no key: key is not scored.

Stem truth comes from `lmms rendertracks` (one file per instrument track, named
after the track): drum, bass and vocal tracks are told apart by name (STEM_WORDS),
then a synth whose notes sit low is bass; everything else is "other". The project's master effects are not in the track
files, so the stems add up to the mix only roughly (the residual is reported).

LMMS (`lmms`, `lmms-common`) is a bench-only dependency: `ensure_lmms()` says how
to install it when it is missing; the tests do not need it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEMOS = Path("/usr/share/lmms/projects/demos")
COPYRIGHT = Path("/usr/share/doc/lmms-common/copyright")
TICKS_PER_BEAT = 48          # LMMS: 192 ticks per 4/4 bar
EXCERPT_SECONDS = 60.0
SPLIT_SEED = 15              # shuffles the project list once; first half dev, second test
CLIP_TAGS = ("pattern", "bbtco", "sampletco", "automationpattern")
# First match wins, in this order (a "bassdrum" is a drum).
STEM_WORDS = (
    ("drums", ("kick", "bassdrum", "bd", "snare", "sd", "hihat", "hat", "hh", "crash", "ride",
               "cymbal", "clap", "tom", "perc", "drum", "sidestick", "rim", "shaker", "tamb",
               "808", "909", "cowbell")),
    ("vocals", ("vocal", "voice", "vox", "choir", "singer")),
    ("bass", ("bass", "sub", "303", "302")),
)
BASS_BELOW = 40  # LMMS key 40 = MIDI 52 (E3): a synth whose notes sit below plays the bass


@dataclass
class LmmsSong:
    name: str
    path: Path
    bpm: float
    timesig: tuple[int, int]
    licence: str
    bars: int = 0
    wav: Path | None = None
    skipped: str | None = None
    truth: dict = field(default_factory=dict)
    track_stems: dict = field(default_factory=dict)  # track file -> stem, once rendered

    @property
    def mix_path(self) -> Path | None:
        """The rendered excerpt (the name the generated songs use)."""
        return self.wav

    def truth_stems(self, names) -> dict[str, np.ndarray]:
        """Per-track renders summed into `names` (vocals/drums/bass/other), each (2, n)."""
        import soundfile as sf

        stems = render_stems(self)
        n = sf.info(str(self.wav)).frames
        out = {}
        for name in names:
            path = self.wav.parent / f"{name}.wav"
            out[name] = (np.ascontiguousarray(sf.read(str(path), dtype="float32", always_2d=True)[0][:n].T)
                         if name in stems else np.zeros((2, n), np.float32))
        return out


def ensure_lmms() -> None:
    if shutil.which("lmms") is None or not DEMOS.is_dir():
        raise SystemExit("the LMMS set needs LMMS and its demo projects: "
                         "apt-get install -y lmms lmms-common")


def load_project(path: Path) -> ET.Element:
    """mmpz: zlib-compressed XML after a 4-byte length; mmp: plain XML."""
    data = path.read_bytes()
    if path.suffix == ".mmpz":
        data = zlib.decompress(data[4:])
    return ET.fromstring(data)


def licences(copyright_file: Path = COPYRIGHT) -> list[tuple[list[str], str]]:
    """(file patterns, licence) per stanza of a machine-readable copyright file."""
    return licence_stanzas(copyright_file.read_text(errors="replace"))


def licence_stanzas(text: str) -> list[tuple[list[str], str]]:
    """(file patterns, licence) per Files stanza of machine-readable copyright text;
    indented lines continue the field above them (Files or Copyright)."""
    stanzas: list[tuple[list[str], str]] = []
    files: list[str] | None = None
    lic, field_name = None, ""
    for line in text.splitlines() + [""]:
        if line.startswith("Files:"):
            files, field_name = line[6:].split(), "Files"
        elif line.startswith(" ") and line.strip():
            if files is not None and field_name == "Files":
                files += line.split()
        elif line.startswith("License:") and files is not None:
            lic, field_name = line[8:].strip(), "License"
        elif not line.strip():
            if files is not None and lic:
                stanzas.append((files, lic))
            files, lic, field_name = None, None, ""
        else:
            field_name = line.split(":", 1)[0]
    return stanzas


def licence_of(path: Path, stanzas) -> str:
    rel = "data/projects/" + str(path.relative_to(DEMOS.parent))
    found = "unknown"
    for patterns, lic in stanzas:
        if any(fnmatch.fnmatch(rel, p) for p in patterns):
            found = lic
    return found


def describe(path: Path, stanzas) -> LmmsSong:
    root = load_project(path)
    head = root.find("head")
    bpm_el = head.find("bpm")
    bpm = float(head.get("bpm") or (bpm_el.get("value") if bpm_el is not None else 0))
    ts = (int(head.get("timesig_numerator", 4)), int(head.get("timesig_denominator", 4)))
    song = LmmsSong(path.stem, path, bpm, ts, licence_of(path, stanzas))
    automated = bpm_el is not None and bpm_el.get("id") is not None and any(
        o.get("id") == bpm_el.get("id") for o in root.iter("object"))
    if automated:
        song.skipped = "tempo is automated"
    elif ts != (4, 4):
        song.skipped = f"time signature {ts[0]}/{ts[1]} in the project (its bar is not the music's)"
    elif not 40 <= bpm <= 250:
        song.skipped = f"tempo {bpm} outside 40-250"
    return song


def catalogue() -> list[LmmsSong]:
    stanzas = licences()
    return [describe(p, stanzas) for p in sorted(DEMOS.rglob("*.mmp*"))]


def split(songs: list[LmmsSong], which: str) -> list[LmmsSong]:
    usable = sorted((s for s in songs if not s.skipped), key=lambda s: s.name)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(usable))
    half = (len(usable) + 1) // 2
    picked = order[:half] if which == "dev" else order[half:]
    return [usable[i] for i in sorted(picked)]


def excerpt_project(song: LmmsSong, out: Path) -> int:
    """Write the project cut to its first bars (about EXCERPT_SECONDS); returns the bars."""
    bars = max(8, int(round(EXCERPT_SECONDS * song.bpm / 240.0)))
    limit = bars * 4 * TICKS_PER_BEAT
    root = load_project(song.path)
    tracks = root.find("song").find("trackcontainer")
    for track in tracks.findall("track"):
        for clip in [c for c in track if c.tag in CLIP_TAGS]:
            if int(float(clip.get("pos", 0))) >= limit:
                track.remove(clip)
    out.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return bars


def render(song: LmmsSong, cache: Path, sr: int = 44100) -> LmmsSong:
    """Render (or reuse) the excerpt; fills bars, wav and the grid truth."""
    import soundfile as sf

    key = hashlib.sha256(song.path.read_bytes() + f"{EXCERPT_SECONDS}:{sr}".encode()).hexdigest()[:12]
    folder = cache / f"{song.name}-{key}"
    wav = folder / "mix.wav"
    folder.mkdir(parents=True, exist_ok=True)
    project = folder / "excerpt.mmp"
    song.bars = excerpt_project(song, project)
    if not wav.exists():
        raw = folder / "render.wav"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        subprocess.run(["lmms", "--allowroot", "render", str(project), "-o", str(raw), "-f", "wav",
                        "-s", str(sr)], env=env, check=True, capture_output=True, timeout=900)
        audio, got = sf.read(str(raw), dtype="float32", always_2d=True)
        assert got == sr
        bar_n = 240.0 / song.bpm * sr  # a song shorter than the excerpt ends on its last whole bar
        n = int(round(min(song.bars, int(len(audio) / bar_n + 1e-6)) * bar_n))
        audio = audio[:n]
        fade = min(n, int(0.01 * sr))
        audio[n - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
        tmp = folder / ".mix.wav"
        sf.write(str(tmp), audio, sr, subtype="FLOAT")
        os.replace(tmp, wav)
        raw.unlink()
    song.wav = wav
    song.bars = min(song.bars, int(sf.info(str(wav)).frames / sr * song.bpm / 240.0 + 0.01))
    seconds = song.bars * 240.0 / song.bpm
    beat_s = 60.0 / song.bpm
    beats = [round(k * beat_s, 6) for k in range(song.bars * 4)]
    song.truth = {"title": song.name, "tempo": song.bpm, "beats": beats, "downbeats": beats[::4],
                  "duration": seconds, "licence": song.licence, "bars": song.bars}
    return song


def instrument_tracks(root: ET.Element) -> list[tuple[str, str, float | None]]:
    """(name, plugin, mean note) of each instrument track, in `rendertracks`'s
    order: the song's own instrument tracks, then those of the beat/bassline
    editor (which every beat/bassline track shares). Notes in LMMS keys (MIDI - 12)."""
    def info(track):
        inst = track.find("instrumenttrack")
        plugin = inst.find("instrument").get("name", "") if inst is not None else ""
        keys = [int(n.get("key")) for n in track.iter("note")]
        return track.get("name", ""), plugin, (float(np.mean(keys)) if keys else None)

    top = root.find("song").find("trackcontainer").findall("track")
    out = [info(t) for t in top if t.get("type") == "0"]
    for t in top:
        inner = t.find("bbtrack/trackcontainer")
        if t.get("type") == "1" and inner is not None and inner.findall("track"):
            out += [info(u) for u in inner.findall("track") if u.get("type") == "0"]
            break
    return out


def stem_of(track_file: str, plugin: str = "", mean_key: float | None = None) -> str:
    """Which stem a rendered track belongs to: by its name ("3_kick02.ogg.wav"),
    else a synth playing low (mean note under E3) is bass (LMMS's kick synth is
    not taken for drums: demos play leads on it)."""
    import re

    name = track_file.split("_", 1)[-1]
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", name)]
    text = " ".join(words)
    for stem, keys in STEM_WORDS:  # whole words; longer keys also inside words
        if any(k in words or (len(k) >= 5 and k in text) for k in keys):
            return stem
    if plugin and plugin != "audiofileprocessor" and mean_key is not None and mean_key < BASS_BELOW:
        return "bass"
    return "other"


def _number(path: Path) -> int:
    head = path.name.split("_", 1)[0]
    return int(head) if head.isdigit() else 10**6


def render_stems(song: LmmsSong, sr: int = 44100) -> set[str]:
    """Render each track of the excerpt once (kept as FLAC in tracks/ beside the
    mix) and sum them into stems; returns the stems that have any track."""
    import soundfile as sf

    folder = song.wav.parent
    tracks = folder / "tracks"
    index = folder / "stems.txt"
    if not (tracks / "done").exists():
        tmp = folder / "tracks.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        subprocess.run(["lmms", "--allowroot", "rendertracks", str(folder / "excerpt.mmp"),
                        "-o", str(tmp) + "/", "-f", "wav", "-s", str(sr)],
                       env=env, check=True, capture_output=True, timeout=1800)
        for f in tmp.glob("*.wav"):
            data, _ = sf.read(str(f), dtype="int16", always_2d=True)
            sf.write(str(f.with_suffix(".flac")), data, sr)
            f.unlink()
        (tmp / "done").touch()
        shutil.rmtree(tracks, ignore_errors=True)
        tmp.rename(tracks)
    if not index.exists():
        n = sf.info(str(song.wav)).frames
        files = sorted(tracks.glob("*.flac"), key=_number)
        known = instrument_tracks(load_project(folder / "excerpt.mmp"))
        by_index = len(known) == len(files)
        sums: dict[str, np.ndarray] = {}
        lines = []
        for k, f in enumerate(files):
            _, plugin, mean_key = known[k] if by_index else ("", "", None)
            stem = stem_of(f.name, plugin, mean_key)
            lines.append(f"{f.name}\t{stem}")
            audio = sf.read(str(f), dtype="float32", always_2d=True)[0][:n]
            acc = sums.setdefault(stem, np.zeros((n, 2), np.float32))
            acc[: len(audio)] += audio
        for stem, audio in sums.items():
            sf.write(str(folder / f"{stem}.wav"), audio, sr, subtype="FLOAT")
        index.write_text("\n".join(lines) + "\n")
    pairs = [line.split("\t") for line in index.read_text().splitlines() if line]
    song.track_stems = dict(pairs)
    return {stem for _, stem in pairs}


def stem_residual_db(song: LmmsSong) -> float:
    """Level of (mix - sum of stems) relative to the mix, in dB."""
    import soundfile as sf

    mix = sf.read(str(song.wav), dtype="float64", always_2d=True)[0]
    total = np.zeros_like(mix)
    for stem in render_stems(song):
        total += sf.read(str(song.wav.parent / f"{stem}.wav"), dtype="float64", always_2d=True)[0]
    err = np.sqrt(np.mean((mix - total) ** 2))
    return round(float(20 * np.log10(err / max(np.sqrt(np.mean(mix ** 2)), 1e-12) + 1e-12)), 1)
