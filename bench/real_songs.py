"""Real recordings as a benchmark set: game soundtracks that Debian packages ship.

107 tracks from seven packages: nexuiz-music (18), warzone2100-music (29),
asc-music (3), supertuxkart-data (28), freedroidrpg-data (16), megaglest-data
(7) and extremetuxracer-data (6) hold produced, mastered music (real drums,
guitars, orchestral, folk and electronic tracks, some ambient). Nothing of
it is annotated, so the reference beats come from two independent trackers that
are not ours, madmom (RNN + DBN) and essentia (RhythmExtractor2013,
multifeature), made once by bench/real_reference.py and committed as
bench/data/real_reference.json (beat times only, no audio). Where the two agree
(beat F >= 0.8 between them) the song is in the "consensus" subset, whose
figures are the ones to trust; the others are reported too.

`fetch(cache)` downloads the packages with `apt-get download` (needs the
archive in the apt sources and `apt-get update`), extracts them with
`dpkg-deb -x` (and nexuiz's music.pk3 with unzip) and cuts one excerpt per track
with ffmpeg (30 s in, 60 s long, 44.1 kHz stereo WAV; a track of the four later
packages shorter than 95 s from 0 s, see `excerpt_start`); everything lands under
the cache (default build/bench-real), is reused when present and never committed.
The licence of each track is read from its package's copyright file
(/usr/share/doc/<pkg>/copyright): supertuxkart-data gives most tracks a stanza of
their own (CC-BY-SA-3.0 or 4.0, one "GPL", one "GPL-2+ OR CC-BY-SA"; the four it
names nowhere take its package-wide GPL-3+), the others one licence for all
their music; the Aftermath album of warzone2100-music also offers CC-BY-SA-3.0
in its own license.txt.

Split, fixed before any figure was seen: test if the first hex digit of
sha1(name) is below 8, else dev (60 dev, 47 test; the first 50: 26 dev, 24 test).

Fresh (held out, scored once): the test split was looked at while tuning, so 42
tracks of five packages not used before form a third split that nothing is
tuned against, and that our analysis is run on once, at the end of a session:
hedgewars-data (25, GPL-2), xmoto-data (7, GPL-2+), btanks-data (5,
"Battle-Tanks-License": GPL-2 plus an exception for the copyright holder),
powermanga-data (3, GPL-3+) and caveexpress-data (2, CC-BY-SA-4.0); cut like
the later packages (0 s for a track shorter than 95 s). Which tracks, by a
rule fixed before any reference was made: see bench/real_catalogue.py, whose
groups marked `split="fresh"` put every track in it whatever the sha1 says.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_catalogue import GROUPS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "bench" / "data" / "real_reference.json"
EXCERPT_START_S = 30
EXCERPT_SECONDS = 60
SHORT_TRACK_S = 95     # later packages: a track shorter than this is cut from 0 s
SR = 44100
CONSENSUS_F = 0.8      # madmom vs essentia beat F at or above which a song is "consensus"
TEMPO_AGREE = 0.04     # their tempos agree within 4 %
TRIM_S = 5.0           # mir_eval's convention: beats in the first 5 s are not scored

PACKAGES = tuple(dict.fromkeys(g.package for g in GROUPS))
FRESH_PACKAGES = tuple(dict.fromkeys(g.package for g in GROUPS if g.split == "fresh"))


@dataclass
class RealSong:
    name: str
    package: str
    member: str            # path inside the package, or inside `pk3` where there is one
    pk3: str = ""          # the zip inside the package that holds the track
    short_from_start: bool = False
    licence: str = "unknown"
    version: str = ""      # of the package the excerpt was cut from
    wav: Path | None = None
    truth: dict = field(default_factory=dict)

    @property
    def mix_path(self) -> Path | None:
        return self.wav

    @property
    def source(self) -> str:
        """Where the track is, as the reference file records it."""
        return f"{self.pk3}:{self.member}" if self.pk3 else self.member


def catalogue() -> list[RealSong]:
    return [RealSong(f"{g.prefix}-{PurePosixPath(t).name.lower()}", g.package, g.path.format(t), g.pk3,
                     g.short_from_start)
            for g in GROUPS for t in g.tracks.split()]


@cache
def _fixed_splits() -> dict[str, str]:
    """Names of the tracks whose Group fixes their split (the fresh, held-out packages)."""
    return {f"{g.prefix}-{PurePosixPath(t).name.lower()}": g.split
            for g in GROUPS if g.split for t in g.tracks.split()}


def split_of(name: str) -> str:
    """The Group's split where it fixes one ("fresh"), else test if the first hex digit
    of sha1(name) is below 8, else dev."""
    fixed = _fixed_splits().get(name)
    if fixed:
        return fixed
    return "test" if hashlib.sha1(name.encode()).hexdigest()[0] < "8" else "dev"


def split(songs: list[RealSong], which: str) -> list[RealSong]:
    return [s for s in songs if split_of(s.name) == which]


# --- licences ------------------------------------------------------------------------

def licence_from_copyright(text: str, path: str) -> str:
    """The licence a Debian copyright file gives `path` (a path inside the package).

    Machine-readable files: the last stanza one of whose Files patterns matches the
    path or any tail of it (the patterns name source paths, the package installs
    them elsewhere; `*` covers what no other stanza names). Free-form files: the
    GNU licence and version they state ("or any later version" adds "+")."""
    if text.startswith("Format:"):
        from lmms_songs import licence_stanzas

        parts = path.split("/")
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        found = "unknown"
        for patterns, lic in licence_stanzas(text):
            if any(fnmatch.fnmatch(t, p) for p in patterns for t in tails):
                found = lic
        return found
    flat = " ".join(text.split())
    m = re.search(r"GNU (Lesser |Library )?General Public License.{0,120}?version (\d)", flat)
    if not m:
        return "unknown"
    later = "any later version" in flat[m.end():m.end() + 200]
    return f"{'L' if m.group(1) else ''}GPL-{m.group(2)}{'+' if later else ''}"


# --- fetching ------------------------------------------------------------------------

def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"the real set needs {', '.join(missing)} on the PATH: apt-get and dpkg-deb "
                         "(a Debian/Ubuntu system) fetch the packages, unzip opens nexuiz's music.pk3, "
                         "ffmpeg (and its ffprobe) cuts the excerpts (apt-get install -y ffmpeg unzip)")


def package_dir(cache: Path, package: str) -> Path:
    """The package extracted under cache/x (downloaded and extracted if missing)."""
    debs, x = cache / "debs", cache / "x"
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        _need("apt-get")
        debs.mkdir(parents=True, exist_ok=True)
        res = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True)
        found = sorted(debs.glob(f"{package}_*.deb"))
        if res.returncode or not found:
            raise SystemExit(f"apt-get download {package} failed (is its archive in the apt sources, "
                             f"and has apt-get update run?): {res.stderr.strip()[-500:]}")
    deb = found[-1]
    out = x / deb.stem
    if not out.is_dir():
        _need("dpkg-deb")
        tmp = x / (deb.stem + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
        tmp.rename(out)
    return out


def version_of(folder: Path) -> str:
    """`nexuiz-music_2.5.2-12_all` -> `2.5.2-12`."""
    return folder.name.split("_")[1]


def source_file(song: RealSong, cache: Path) -> Path:
    """The track's file on disk (nexuiz's tracks unzipped from music.pk3 into cache/pk3)."""
    pkg = package_dir(cache, song.package)
    song.version = version_of(pkg)
    if not song.pk3:
        return pkg / song.member
    unzipped = cache / "pk3" / song.name.split("-", 1)[0]
    target = unzipped / song.member
    if not target.exists():
        _need("unzip")
        unzipped.mkdir(parents=True, exist_ok=True)
        subprocess.run(["unzip", "-o", "-q", str(pkg / song.pk3), song.member, "-d", str(unzipped)],
                       check=True)
    return target


def excerpt_start(song: RealSong, src: Path) -> int:
    """Where the excerpt starts: 30 s in, or 0 s for a track of the later packages
    shorter than SHORT_TRACK_S (13 of their 57 run 54-94 s: 30 s in would leave less
    than 60 s). The first three packages keep 30 s throughout, as their reference was
    made (nexuiz's 48 s thunder gives an 18 s excerpt)."""
    if not song.short_from_start:
        return EXCERPT_START_S
    _need("ffprobe")
    res = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(src)], capture_output=True, text=True, check=True)
    return 0 if float(res.stdout.strip()) < SHORT_TRACK_S else EXCERPT_START_S


def fetch(cache: Path, songs: list[RealSong] | None = None) -> list[RealSong]:
    """Excerpts for `songs` (default: all) under cache/ex, cut where missing; fills `wav`."""
    songs = catalogue() if songs is None else songs
    ex = cache / "ex"
    for song in songs:
        wav = ex / f"{song.name}.wav"
        if not wav.exists():
            src = source_file(song, cache)
            start = excerpt_start(song, src)
            _need("ffmpeg")
            ex.mkdir(parents=True, exist_ok=True)
            tmp = ex / f".{song.name}.wav.part"
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", str(start),
                            "-t", str(EXCERPT_SECONDS), "-i", str(src), "-ar", str(SR), "-ac", "2",
                            "-f", "wav", str(tmp)], check=True)
            os.replace(tmp, wav)
        song.wav = wav
    return songs


def licences_of(cache: Path, songs: list[RealSong]) -> None:
    """Fill `licence` and `version` from each package's copyright file (fetches the packages)."""
    for song in songs:
        pkg = package_dir(cache, song.package)
        song.version = version_of(pkg)
        text = (pkg / "usr/share/doc" / song.package / "copyright").read_text(errors="replace")
        song.licence = licence_from_copyright(text, song.member)


# --- reference -----------------------------------------------------------------------

def load_reference(path: Path = REFERENCE) -> dict[str, dict]:
    """Excerpt name -> its reference entry (see bench/real_reference.py)."""
    return json.loads(path.read_text())["excerpts"]


BEAT_TOLERANCE_S = 0.07  # mir_eval's F-measure window


def beat_f(ref, est, trim_s: float = 0.0) -> float:
    """mir_eval F-measure (70 ms); beats before `trim_s` dropped on both sides
    (mir_eval's 5 s trim, for excerpts cut from the middle of a song)."""
    import mir_eval
    import numpy as np

    r, e = np.asarray(ref, dtype=float), np.asarray(est, dtype=float)
    if trim_s:
        r, e = mir_eval.beat.trim_beats(r, trim_s), mir_eval.beat.trim_beats(e, trim_s)
    return float(mir_eval.beat.f_measure(r, e, BEAT_TOLERANCE_S)) if len(r) and len(e) else 0.0


def felt_tempo(beats) -> float:
    """60 / the median beat interval: the pulse a listener taps, robust to a few odd beats."""
    import numpy as np

    return float(60.0 / np.median(np.diff(np.asarray(beats, dtype=float))))


def load_real(which: str, n: int | None, cache: Path, reference: Path = REFERENCE) -> tuple[list, dict]:
    """The songs of one split with their reference as `truth`, and what the output says of
    them: package versions, and the licence per song (supertuxkart-data's differ by track)."""
    ref = load_reference(reference)
    songs = fetch(cache, split(catalogue(), which)[:n])
    for s in songs:
        r = ref[s.name]
        s.licence = r["licence"]
        tempo = felt_tempo(r["madmom_beats"])
        s.truth = {"title": s.name, "tempo": round(tempo, 2), "tempo_ref": tempo,
                   "beats": r["madmom_beats"], "downbeats": r["madmom_downbeats"],
                   "essentia_beats": r["essentia_beats"], "consensus": r["consensus"],
                   "trim_s": TRIM_S, "duration": _seconds(s.wav), "feel": "real"}
        if s.version and s.version != r["version"]:
            print(f"warning: {s.name}: excerpt cut from {s.package} {s.version}, the reference from "
                  f"{r['version']}", file=sys.stderr)
    packages = {s.package: ref[s.name]["version"] for s in songs}
    return songs, {"packages": packages, "licences": {s.name: s.licence for s in songs},
                   "consensus": sorted(s.name for s in songs if s.truth["consensus"]),
                   "reference": "madmom 0.16.1 beats (DBN), downbeats (DBN, 3 or 4 beats a bar); "
                                "essentia RhythmExtractor2013 multifeature; beat F trims the first "
                                f"{TRIM_S:.0f} s; consensus = their beat F >= {CONSENSUS_F}"}


def _seconds(wav: Path | None) -> float:
    import soundfile as sf

    return float(sf.info(str(wav)).duration)
