"""Real recordings as a benchmark set: game soundtracks that Debian packages ship.

nexuiz-music, warzone2100-music and asc-music hold produced, mastered music
(real drums, guitars, orchestral and electronic tracks, some ambient). Nothing of
it is annotated, so the reference beats come from two independent trackers that
are not ours, madmom (RNN + DBN) and essentia (RhythmExtractor2013,
multifeature), made once by bench/real_reference.py and committed as
bench/data/real_reference.json (beat times only, no audio). Where the two agree
(beat F >= 0.8 between them) the song is in the "consensus" subset, whose
figures are the ones to trust; the others are reported too.

`fetch(cache)` downloads the packages with `apt-get download` (needs the
archive in the apt sources and `apt-get update`), extracts them with
`dpkg-deb -x` (and nexuiz's music.pk3 with unzip) and cuts one excerpt per track
with ffmpeg (30 s in, 60 s long, 44.1 kHz stereo WAV); everything lands under the
cache (default build/bench-real), is reused when present and never committed.
The licence of each track is read from its package's copyright file
(/usr/share/doc/<pkg>/copyright); the Aftermath album of warzone2100-music also
offers CC-BY-SA-3.0 in its own license.txt.

Split, fixed before any figure was seen: test if the first hex digit of
sha1(name) is below 8, else dev (26 dev, 24 test).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "bench" / "data" / "real_reference.json"
EXCERPT_START_S = 30
EXCERPT_SECONDS = 60
SR = 44100
CONSENSUS_F = 0.8      # madmom vs essentia beat F at or above which a song is "consensus"
TEMPO_AGREE = 0.04     # their tempos agree within 4 %
TRIM_S = 5.0           # mir_eval's convention: beats in the first 5 s are not scored

NEXUIZ_PK3 = "usr/share/games/nexuiz/data/music.pk3"
WARZONE = "usr/share/games/warzone2100/music/albums"
# (package, pk3 inside the package or "", path of each track (inside the pk3 where
#  there is one), name prefix, tracks)
GROUPS = (
    ("nexuiz-music", NEXUIZ_PK3, "sound/cdtracks/{}.ogg", "nexuiz",
     "beast-of-insanity brainsukker breakdown-easy brokenlight calling-bogus chaos-fog desert3 "
     "digital-pursuit infight neuronal-diving ninesix northern-lights sixtyfour_ "
     "sixtyfour_revisited stairs subcities thru-the-mirror thunder"),
    ("warzone2100-music", "", WARZONE + "/aftermath_soundtrack/{}.opus", "warzone2100-aftermath",
     "menu_enhanced track17 track18 track19 track20 track21 track22 track23 track24 track25 "
     "track26 track27 track3_enhanced"),
    ("warzone2100-music", "", WARZONE + "/legacy_soundtrack/{}.opus", "warzone2100-legacy",
     "track10 track11 track12 track13 track14 track15 track16 track4 track5 track6 track7 "
     "track8 track9"),
    ("warzone2100-music", "", WARZONE + "/original_soundtrack/{}.opus", "warzone2100-original",
     "track1 track2 track3"),
    ("asc-music", "", "usr/share/games/asc/music/{}.mp3", "asc", "frontiers machine_wars time_to_strike"),
)
PACKAGES = tuple(dict.fromkeys(g[0] for g in GROUPS))


@dataclass
class RealSong:
    name: str
    package: str
    member: str            # path inside the package, or inside `pk3` where there is one
    pk3: str = ""          # the zip inside the package that holds the track
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
    return [RealSong(f"{prefix}-{t}", pkg, path.format(t), pk3)
            for pkg, pk3, path, prefix, tracks in GROUPS for t in tracks.split()]


def split_of(name: str) -> str:
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
                         "ffmpeg cuts the excerpts (apt-get install -y ffmpeg unzip)")


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


def fetch(cache: Path, songs: list[RealSong] | None = None) -> list[RealSong]:
    """Excerpts for `songs` (default: all) under cache/ex, cut where missing; fills `wav`."""
    songs = catalogue() if songs is None else songs
    ex = cache / "ex"
    for song in songs:
        wav = ex / f"{song.name}.wav"
        if not wav.exists():
            src = source_file(song, cache)
            _need("ffmpeg")
            ex.mkdir(parents=True, exist_ok=True)
            tmp = ex / f".{song.name}.wav.part"
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", str(EXCERPT_START_S),
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


def felt_tempo(beats) -> float:
    """60 / the median beat interval: the pulse a listener taps, robust to a few odd beats."""
    import numpy as np

    return float(60.0 / np.median(np.diff(np.asarray(beats, dtype=float))))


def load_real(which: str, n: int | None, cache: Path, reference: Path = REFERENCE) -> tuple[list, dict]:
    """The songs of one split with their reference as `truth`, and what the output says of them."""
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
    packages = {s.package: {"version": ref[s.name]["version"], "licence": s.licence} for s in songs}
    return songs, {"packages": packages,
                   "consensus": sorted(s.name for s in songs if s.truth["consensus"]),
                   "reference": "madmom 0.16.1 beats (DBN), downbeats (DBN, 3 or 4 beats a bar); "
                                "essentia RhythmExtractor2013 multifeature; beat F trims the first "
                                f"{TRIM_S:.0f} s; consensus = their beat F >= {CONSENSUS_F}"}


def _seconds(wav: Path | None) -> float:
    import soundfile as sf

    return float(sf.info(str(wav)).duration)
