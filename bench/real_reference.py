"""Reference beats for the real set (bench/real_songs.py) from two trackers that are not ours.

    # 1. in a madmom side venv:   beats + downbeats per excerpt -> CACHE/ref/<name>.json
    python bench/real_reference.py --tracker madmom [--real-cache build/bench-real]
    # 2. in an essentia side venv: beats + bpm per excerpt -> CACHE/ref_ess/<name>.json
    python bench/real_reference.py --tracker essentia [--real-cache build/bench-real]
    # 3. in the project venv (mir_eval): assemble bench/data/real_reference.json
    python bench/real_reference.py --from-cache build/bench-real

With no hand annotations, the reference is madmom (RNN beat activations decoded
by a DBN: `DBNBeatTrackingProcessor(fps=100)`; downbeats by
`DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)`) and, as an
independent check, essentia's `RhythmExtractor2013(method="multifeature")`.
The JSON keeps, per excerpt (one line each): split, package, version, source,
excerpt start (s), licence, madmom beats and downbeats (ms), beats per bar, felt
tempo (60 / median beat interval), essentia beats/bpm/confidence, and their
agreement: beat F (mir_eval, 70 ms, first 5 s trimmed), tempo within 4 %, and
`consensus` (beat F >= 0.8): the songs whose reference is trustworthy.

Neither tracker is a project dependency, and nothing of them ships: madmom's
model files are CC BY-NC-SA (non-commercial), so they only make these
annotations, which are our measurements of public recordings; essentia is AGPL.
Both need their own venv (madmom 0.16.1 needs NumPy < 1.24, essentia's wheels
NumPy 2). How they were built here (Python 3.11):

    python3.11 -m venv mmvenv
    mmvenv/bin/pip install numpy==1.23.5 "cython<3" scipy mido
    mmvenv/bin/pip download --no-deps --no-binary :all: madmom==0.16.1 && tar xzf madmom-0.16.1.tar.gz
    find madmom-0.16.1 -name '*.c' -delete     # made by an old Cython that fails on 3.11;
                                               # Cython 0.29 regenerates them
    mmvenv/bin/pip install --no-build-isolation ./madmom-0.16.1
    sed -i 's/from collections import MutableSequence/from collections.abc import MutableSequence/' \\
        mmvenv/lib/python3.11/site-packages/madmom/processors.py
    python3.11 -m venv essvenv && essvenv/bin/pip install essentia   # 2.1b6.dev1389 here

madmom takes ~20 s per 60 s excerpt on one busy core, essentia ~3 s.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_songs import (
    BEAT_TOLERANCE_S,
    CONSENSUS_F,
    EXCERPT_SECONDS,
    EXCERPT_START_S,
    FRESH_PACKAGES,
    REFERENCE,
    ROOT,
    SHORT_TRACK_S,
    TEMPO_AGREE,
    TRIM_S,
    beat_f,
    catalogue,
    excerpt_start,
    felt_tempo,
    fetch,
    licences_of,
    source_file,
    split_of,
)


def run_madmom(cache: Path) -> None:
    import numpy as np
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor
    from madmom.features.tempo import TempoEstimationProcessor

    out = cache / "ref"
    out.mkdir(parents=True, exist_ok=True)
    bt = DBNBeatTrackingProcessor(fps=100)
    db = DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)
    for song in fetch(cache):
        o = out / f"{song.name}.json"
        if o.exists():
            continue
        act = RNNBeatProcessor()(str(song.wav))
        beats = bt(act)
        downbeats = db(RNNDownBeatProcessor()(str(song.wav)))
        tempi = TempoEstimationProcessor(fps=100)(act)
        o.write_text(json.dumps({"beats": beats.tolist(), "downbeat_tracker": downbeats.tolist(),
                                 "tempi": tempi[:4].tolist()}))
        print(song.name, len(beats), round(60 / np.median(np.diff(beats)), 1) if len(beats) > 2 else 0,
              flush=True)


def run_essentia(cache: Path) -> None:
    import essentia.standard as es

    out = cache / "ref_ess"
    out.mkdir(parents=True, exist_ok=True)
    rx = es.RhythmExtractor2013(method="multifeature")
    for song in fetch(cache):
        o = out / f"{song.name}.json"
        if o.exists():
            continue
        audio = es.MonoLoader(filename=str(song.wav), sampleRate=44100)()
        bpm, beats, conf, _, _ = rx(audio)
        o.write_text(json.dumps({"bpm": float(bpm), "beats": [float(b) for b in beats],
                                 "confidence": float(conf)}))
        print(song.name, round(bpm, 1), round(conf, 2), flush=True)


def entry(song, mm: dict, ess: dict, start_s: int = EXCERPT_START_S) -> dict:
    beats = [round(t, 3) for t in mm["beats"]]
    bars = mm["downbeat_tracker"]
    mm_tempo = felt_tempo(beats)
    f = beat_f(beats, ess["beats"], TRIM_S)
    return {"split": split_of(song.name), "package": song.package, "version": song.version,
            "source": song.source, "start_s": start_s, "licence": song.licence,
            "madmom_tempo": round(mm_tempo, 2), "madmom_beats": beats,
            "madmom_downbeats": [round(t, 3) for t, b in bars if int(b) == 1],
            "madmom_beats_per_bar": int(max(b for _, b in bars)) if bars else 0,
            "essentia_bpm": round(ess["bpm"], 2), "essentia_confidence": round(ess["confidence"], 3),
            "essentia_beats": [round(t, 3) for t in ess["beats"]],
            "mm_ess_beat_f": round(f, 3),
            "tempo_agree": bool(abs(ess["bpm"] - mm_tempo) <= TEMPO_AGREE * mm_tempo),
            "consensus": bool(f >= CONSENSUS_F)}


def assemble(cache: Path, out: Path = REFERENCE) -> dict:
    """Write the reference JSON from the per-excerpt tracker outputs under `cache`."""
    songs = catalogue()
    licences_of(cache, songs)
    missing = [s.name for s in songs
               if not (cache / "ref" / f"{s.name}.json").exists()
               or not (cache / "ref_ess" / f"{s.name}.json").exists()]
    if missing:
        raise SystemExit(f"no tracker output yet for {len(missing)} excerpts: {', '.join(missing)}")
    starts = {s.name: excerpt_start(s, source_file(s, cache)) for s in songs if s.short_from_start}
    rows = {s.name: entry(s, json.loads((cache / "ref" / f"{s.name}.json").read_text()),
                          json.loads((cache / "ref_ess" / f"{s.name}.json").read_text()),
                          starts.get(s.name, EXCERPT_START_S))
            for s in songs}
    about = {"made_by": "bench/real_reference.py",
             "excerpts": f"ffmpeg -ss {EXCERPT_START_S} -t {EXCERPT_SECONDS} -ar 44100 -ac 2; -ss 0 for "
                         f"a track of supertuxkart-data, freedroidrpg-data, megaglest-data or "
                         f"extremetuxracer-data shorter than {SHORT_TRACK_S} s (bench/real_songs.py)",
             "madmom": "0.16.1: RNNBeatProcessor + DBNBeatTrackingProcessor(fps=100); "
                       "RNNDownBeatProcessor + DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)",
             "essentia": "2.1b6.dev1389: RhythmExtractor2013(method='multifeature')",
             "agreement": f"mm_ess_beat_f: mir_eval f_measure, {BEAT_TOLERANCE_S * 1000:.0f} ms, first "
                          f"{TRIM_S:.0f} s trimmed; tempo_agree: essentia bpm within "
                          f"{TEMPO_AGREE:.0%} of madmom's felt tempo; consensus: mm_ess_beat_f >= {CONSENSUS_F}",
             "split": "test if sha1(name)[0] < '8' else dev",
             "fresh": f"split fresh: every track of {', '.join(FRESH_PACKAGES)} (held out, scored once); "
                      f"-ss 0 for their tracks shorter than {SHORT_TRACK_S} s too",
             "times": "seconds from the excerpt's start, rounded to ms"}
    lines = [f" {json.dumps(n)}: {json.dumps(r, separators=(',', ':'))}" for n, r in rows.items()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text('{"about": ' + json.dumps(about, indent=1) + ',\n"excerpts": {\n'
                   + ",\n".join(lines) + "\n}}\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracker", choices=("madmom", "essentia"), help="run one tracker (in its venv)")
    p.add_argument("--real-cache", type=Path, default=ROOT / "build" / "bench-real")
    p.add_argument("--from-cache", type=Path, metavar="DIR",
                   help="only assemble the reference JSON from DIR's tracker outputs")
    p.add_argument("--out", type=Path, default=REFERENCE)
    args = p.parse_args(argv)
    if args.tracker == "madmom":
        run_madmom(args.real_cache)
    elif args.tracker == "essentia":
        run_essentia(args.real_cache)
    else:
        rows = assemble(args.from_cache or args.real_cache, args.out)
        agree = [r for r in rows.values() if r["consensus"]]
        print(json.dumps({"excerpts": len(rows), "consensus": len(agree),
                          "tempo_agree": sum(r["tempo_agree"] for r in rows.values()),
                          "consensus_by_split": {s: sum(r["split"] == s for r in agree)
                                                 for s in ("dev", "test", "fresh")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
