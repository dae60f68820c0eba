"""Song analysis against ground truth, per set and split; prints one JSON object.

    python bench/analysis.py [--set generated,hard,lmms,real] [--split dev,test,fresh] [--songs 24]
                             [--cache build/bench-songs] [--voices gm] [--modes mix,stems4]
                             [--real-cache build/bench-real] [--drift 0.03]

--drift plays every song with live tempo drift first (bench/live_tempo.py).

Sets:
- generated: synthetic songs (tempos 70-170 BPM, all twelve keys, major and minor,
  straight / swing / half-time drums, 16-32 bars); GM voices by default.
- hard: testsongs.hardset, real-music traits (150-200 BPM double time, half time,
  anticipated kicks and snares, driven power chords, drumless intros, +-2 % wander
  and drift, swing, harsh and breathy Festival voices).
- pushed: 8-bar drumless intros whose driven riff accents the off-beats, then
  the band (testsongs.hardset.pushed_specs; 140-190 BPM; dev seeds 9400..,
  test 9500..): the beat must keep the drums' phase through the intro.
- pushed-drums: the same, but the intro's drums hit the pushes with the riff
  (kicks between the beats, no hats) and only the snare keeps 2 and 4 (dev
  seeds 9600.., test 9700..): the snare must hold the phase.
- lmms: LMMS demo projects rendered headless (bench/lmms_songs.py): the project's
  grid is the truth, no key truth; licences in the output; stems (per-track
  renders, sorted by track name) only with --lmms-stems (one more render each).
- real: game soundtracks from Debian packages (bench/real_songs.py), 60 s excerpts;
  no hand annotations: beat F against madmom's beats and, separately,
  essentia's; tempo against madmom's felt tempo (60 / median beat interval);
  downbeat F against madmom's downbeats; beats in the first 5 s not scored
  (mir_eval's trim). Reported for all songs and for the "consensus" subset
  (madmom and essentia agree, beat F >= 0.8). All songs of the split unless
  --songs; no stems4 (no stem truth).
- charted: real band recordings whose beats and bars were charted by hand,
  Frets on Fire's two Debian song packages (bench/charted_songs.py): eight
  songs, 60 s excerpts from 12 dev and 10 test starts (the splits are
  passages of the same songs), and `--split whole`: the eight songs whole;
  beats in the first 5 s not scored; no stems4.

Splits, fixed before any tuning (the test split is for reporting, never tuning):
generated dev = seed 0 (the standard set), test = seed 1000 (a fresh draw);
hard dev = song seeds 5000.., test = 6000..; lmms: the usable projects shuffled
once with seed 15, first half dev, second half test; real: test if
sha1(name)[0] < '8' (hex), else dev (60 dev, 47 test); real also has `fresh`
(42 tracks of five more packages, held out: scored once, never tuned on).

A song the analysis refuses (AnalysisError: no steady beat, as in ambient
tracks) scores 0 on everything and is listed under "errors".

Modes: `mix` (the mix alone), `stems4` (generated, hard; lmms with --lmms-stems:
the four truth stems standing in for separation) and `separated` (the product's
own path: the mix with the stems `separation.dispatcher.separate_stems` makes
with the configured backend, local HTDemucs by default, through the shared
content-hash stem cache; ~2 s of separation per audio second on 2 busy cores
the first time, so keep --songs small). Reported per mode: tempo strict = within 4 % of the felt pulse (the
truth beats' mean tempo; Gouyon's accuracy 1), tempo octave-aware = within 4 %
of x1, x2, x1/2, x3 or x1/3 of it (accuracy 2), tempo within 2 % (the older,
stricter figure), beat and downbeat F-measure (mir_eval, 70 ms), MIREX weighted
key score, section boundary hit rate (within one bar), seconds per audio minute.
Targets: generated >= 0.98 on tempo, beat F, downbeat F and key (where it is); hard and
lmms: tempo strict >= 0.90, beat F >= 0.90, downbeat F >= 0.80, key >= 0.90.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from live_tempo import PERIOD_S  # noqa: E402
from real_songs import beat_f  # noqa: E402

from musicmixer.analysis.analyze import analyze_song  # noqa: E402
from musicmixer.errors import AnalysisError  # noqa: E402
from musicmixer.stems import FOUR_STEMS  # noqa: E402
from musicmixer.testsongs import SongSpec, generate_song  # noqa: E402
from musicmixer.testsongs.hardset import hard_specs, pushed_specs  # noqa: E402

TARGETS = {
    "generated": {"tempo_strict": 0.98, "beat_f": 0.98, "downbeat_f": 0.98, "key_weighted": 0.98},
    "hard": {"tempo_strict": 0.90, "beat_f": 0.90, "downbeat_f": 0.80, "key_weighted": 0.90},
    "pushed": {"tempo_strict": 0.90, "beat_f": 0.90, "downbeat_f": 0.80, "key_weighted": 0.90},
    "pushed-drums": {"tempo_strict": 0.90, "beat_f": 0.90, "downbeat_f": 0.80, "key_weighted": 0.90},
    "lmms": {"tempo_strict": 0.90, "beat_f": 0.90, "downbeat_f": 0.80},
    "real": {"tempo_strict": 0.90, "beat_f": 0.90, "downbeat_f": 0.80},
    "charted": {"tempo_strict": 0.90, "beat_f": 0.90, "downbeat_f": 0.80},
}
DEFAULT_SONGS = 24
REFUSED = SimpleNamespace(tempo=0.0, beats=[], downbeats=[], sections=[])  # scores 0 everywhere
GENERATED_SPLIT_SEEDS = {"dev": 0, "test": 1000}
TEMPO_TOLERANCE = 0.04
OCTAVE_FACTORS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)

KEYS = ("C", "G", "D", "A", "E", "B", "F#", "Db", "Ab", "Eb", "Bb", "F")
FEELS = ("straight", "swing", "half_time")
LONG_FORM = (("intro", 4), ("verse", 8), ("chorus", 8), ("outro", 4))


def song_specs(n: int, voices: str, seed: int = 0) -> list[SongSpec]:
    """The bench set: seed 0 spreads tempos evenly over 70-170 BPM; any other
    seed draws a fresh set (tempos, keys, feels, melodies) for a held-out check."""
    rng = np.random.default_rng(7 + seed)
    tempos = np.linspace(70.0, 170.0, n) if seed == 0 else rng.uniform(70.0, 170.0, n)
    order = rng.permutation(n)
    shift = int(rng.integers(12)) if seed else 0
    specs = []
    for i in range(n):
        # every fourth song has 8-bar sections (two similar phrases in one section)
        sections = LONG_FORM if i % 4 == 3 else None
        specs.append(SongSpec(
            tempo=round(float(tempos[order[i]]), 1), key=KEYS[(i + shift) % 12],
            mode="major" if (i + seed) % 2 == 0 else "minor",
            bars=(16, 24, 32)[i % 3 if i % 4 else 0],
            seed=100 + i + 1000 * seed, feel=FEELS[(i // 2 + seed) % 3], title=f"Bench {i:02d}", voices=voices,
            tempo_drift=0.02 if i % 8 == 5 else 0.0, sections=sections))
    return specs


def boundary_scores(ref: list[dict], est, bar_s: float) -> tuple[int, int, int]:
    """(hits, n_ref, n_est) over internal boundaries, one-bar tolerance."""
    r = [s["start_time"] for s in ref[1:]]
    e = [s.start_time for s in est[1:]]
    used: set[int] = set()
    hits = 0
    for t in r:
        best = min((j for j in range(len(e)) if j not in used),
                   key=lambda j: abs(e[j] - t), default=None)
        if best is not None and abs(e[best] - t) <= bar_s * 1.01:
            used.add(best)
            hits += 1
    return hits, len(r), len(e)


def label_accuracy(ref: list[dict], est, n_bars: int) -> float:
    def per_bar(secs, key_a, key_b):
        out = [""] * n_bars
        for s in secs:
            a, b = (s[key_a], s[key_b]) if isinstance(s, dict) else (s.start_bar, s.end_bar)
            lab = s["label"] if isinstance(s, dict) else s.label
            for k in range(max(0, a), min(n_bars, b)):
                out[k] = lab
        return out
    r, e = per_bar(ref, "start_bar", "end_bar"), per_bar(est, "start_bar", "end_bar")
    return float(np.mean([x == y for x, y in zip(r, e)])) if n_bars else 0.0


def tempo_scores(tempo: float, ref: float) -> dict:
    near = lambda f: abs(tempo - f * ref) <= TEMPO_TOLERANCE * f * ref  # noqa: E731
    return {"tempo_ok": bool(abs(tempo - ref) <= 0.02 * ref), "tempo_strict": bool(near(1.0)),
            "tempo_octave": bool(any(near(f) for f in OCTAVE_FACTORS)),
            "tempo_factor": round(tempo / ref, 3)}


def load_audio(song) -> np.ndarray:
    """(2, n) float32 mix of a GeneratedSong or an LMMS render."""
    if hasattr(song, "load_mix"):
        return song.load_mix()
    import soundfile as sf

    return np.ascontiguousarray(sf.read(str(song.wav), dtype="float32", always_2d=True)[0].T)


def mix_path(song) -> Path:
    return song.mix_path if hasattr(song, "mix_path") else song.wav


def separated_stems(song) -> dict[str, np.ndarray]:
    """The stems the product would analyse: `separate_stems` on the song's file,
    as `pipeline.run_mix` calls it (process settings, shared stem cache)."""
    import tempfile

    from musicmixer.audio import load_audio as load_file
    from musicmixer.separation.dispatcher import separate_stems

    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as work:
        res = separate_stems(mix_path(song), Path(work), allow_vocal_fallback=True)
        return {n: load_file(p) for n, p in res.stems.items()}


def evaluate(song, stems_mode: str, drift: float = 0.0) -> dict:
    """One song: a GeneratedSong, an LMMS render (no key, no sections) or a real excerpt
    (reference tempo given, essentia beats as a second reference, consensus flag).
    `drift` > 0 plays it with live tempo drift first (`live_tempo`)."""
    import mir_eval

    t = song.truth
    mix = load_audio(song)
    stems = (song.truth_stems(FOUR_STEMS) if stems_mode == "stems4"
             else separated_stems(song) if stems_mode == "separated" else None)
    if drift > 0:
        t, mix, stems = drifted(t, mix, stems, drift)
    t0 = time.perf_counter()
    error = None
    try:
        a = analyze_song(mix, 44100, stems, title=t["title"])
    except AnalysisError as exc:
        a, error = REFUSED, str(exc)
    elapsed = time.perf_counter() - t0
    ref_beats = np.array(t["beats"])
    ref_tempo = t.get("tempo_ref") or 60.0 * (len(ref_beats) - 1) / (ref_beats[-1] - ref_beats[0])
    trim = t.get("trim_s", 0.0)
    row = {"title": t["title"], "tempo_ref": round(ref_tempo, 2), "tempo": a.tempo,
           "feel": t.get("feel", "lmms"), **tempo_scores(a.tempo, ref_tempo),
           "beat_f": beat_f(ref_beats, a.beats, trim),
           "downbeat_f": beat_f(t["downbeats"], a.downbeats, trim),
           "seconds": elapsed, "minutes": t["duration"] / 60.0}
    if "essentia_beats" in t:
        row |= {"beat_f_essentia": beat_f(t["essentia_beats"], a.beats, trim),
                "consensus": t["consensus"]}
    if error:
        row["error"] = error
    if "key" in t:
        est_key = f"{a.key} {a.mode}" if error is None else "none"
        row |= {"key_ref": f"{t['key']} {t['mode']}", "key": est_key,
                "key_score": 0.0 if error else float(mir_eval.key.weighted_score(
                    f"{t['key']} {t['mode']}", est_key))}
    if "sections" in t:
        hits, n_ref, n_est = boundary_scores(t["sections"], a.sections, 240.0 / ref_tempo)
        row |= {"hits": hits, "n_ref": n_ref, "n_est": n_est,
                "labels": label_accuracy(t["sections"], a.sections, t["bars"])}
    return row


def drifted(truth: dict, mix: np.ndarray, stems: dict | None, amount: float):
    """The song and its truth played with live tempo drift: beats and downbeats
    moved, the mean tempo re-read from the moved beats, key and sections left out."""
    from live_tempo import Drift, move_truth, warp

    drift = Drift.for_song(truth["title"], amount)
    mix, tau = warp(mix, 44100, drift)
    if stems is not None:
        stems = {n: warp(a, 44100, drift)[0] for n, a in stems.items()}
    moved = move_truth({k: v for k, v in truth.items() if k not in ("key", "mode", "sections")},
                       tau, 44100)
    moved["duration"] = len(tau) / 44100
    if "tempo_ref" in truth:  # the real set's felt tempo
        moved["tempo_ref"] = moved["felt_tempo"]
    return moved, mix, stems


def summarise(rows: list[dict]) -> dict:
    mean = lambda k: round(float(np.mean([r[k] for r in rows])), 4)  # noqa: E731
    out = {"tempo_strict": mean("tempo_strict"), "tempo_octave": mean("tempo_octave"),
           "tempo_accuracy": mean("tempo_ok"), "beat_f": mean("beat_f"),
           "downbeat_f": mean("downbeat_f"),
           "key_weighted": mean("key_score") if "key_score" in rows[0] else None}
    if "beat_f_essentia" in rows[0]:
        out["beat_f_essentia"] = mean("beat_f_essentia")
    if "hits" in rows[0]:
        hits = sum(r["hits"] for r in rows)
        n_ref = sum(r["n_ref"] for r in rows)
        n_est = sum(r["n_est"] for r in rows)
        out |= {"section_boundary_hit_rate": round(hits / n_ref if n_ref else 0.0, 4),
                "section_boundary_precision": round(hits / n_est if n_est else 0.0, 4),
                "section_label_bar_accuracy": mean("labels")}
    out["seconds_per_audio_minute"] = round(sum(r["seconds"] for r in rows)
                                            / sum(r["minutes"] for r in rows), 3)
    out["tempo_factors"] = [r["tempo_factor"] for r in rows]
    if any("error" in r for r in rows):
        out["errors"] = [r["title"] for r in rows if "error" in r]
    return out


def summarise_real(rows: list[dict]) -> dict:
    """All songs, and the consensus subset (the two reference trackers agree) on its own."""
    agreed = [r for r in rows if r["consensus"]]
    return {"songs": len(rows), **summarise(rows),
            "consensus": {"songs": len(agreed), **(summarise(agreed) if agreed else {})}}


def load_set(name: str, split: str, n: int | None, args) -> tuple[list, dict]:
    """The songs of one set and split, and what the output should say about them."""
    if name == "real":
        from real_songs import load_real

        return load_real(split, n, args.real_cache)
    if name == "charted":
        from charted_songs import load_charted

        return load_charted(split, n, args.charted_cache)
    n = DEFAULT_SONGS if n is None else n
    if name == "generated":
        seed = args.seed if args.seed is not None else GENERATED_SPLIT_SEEDS[split]
        songs = [generate_song(s, args.cache) for s in song_specs(n, args.voices, seed)]
        return songs, {"seed": seed, "voices": args.voices}
    if name in ("hard", "pushed", "pushed-drums"):
        voices = args.hard_voices
        specs = (hard_specs(n, split, voices) if name == "hard"
                 else pushed_specs(n, split, voices, drums=name == "pushed-drums"))
        songs = [generate_song(s, args.cache) for s in specs]
        return songs, {"voices": voices, "options": {s.truth["title"]: s.truth.get("hard_options")
                                                     for s in songs}}
    from lmms_songs import catalogue, ensure_lmms, render, stem_residual_db
    from lmms_songs import split as lmms_split

    ensure_lmms()
    every = catalogue()
    songs = [render(s, args.lmms_cache) for s in lmms_split(every, split)[:n]]
    projects = {s.name: {"bpm": s.bpm, "licence": s.licence, "bars": s.bars} for s in songs}
    if args.lmms_stems:
        for s in songs:
            projects[s.name] |= {"stem_residual_db": stem_residual_db(s), "tracks": s.track_stems}
    return songs, {"projects": projects,
                   "skipped": {s.name: s.skipped for s in every if s.skipped}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", default="generated",
                   help="comma list of generated, hard, pushed, pushed-drums, lmms, real, charted")
    p.add_argument("--split", default="dev", help="comma list of dev, test; real also fresh (held out)")
    p.add_argument("--songs", type=int, default=None,
                   help=f"songs per set and split (default {DEFAULT_SONGS}; real: all of the split)")
    p.add_argument("--seed", type=int, default=None,
                   help="generated set only: overrides the split's seed (0 standard, other held out)")
    p.add_argument("--cache", type=Path, default=ROOT / "build" / "bench-songs")
    p.add_argument("--lmms-cache", type=Path, default=ROOT / "build" / "bench-lmms")
    p.add_argument("--real-cache", type=Path, default=ROOT / "build" / "bench-real",
                   help="real set: Debian packages and excerpts (fetched where missing)")
    p.add_argument("--charted-cache", type=Path, default=ROOT / "build" / "bench-charted",
                   help="charted set: Debian packages and excerpts (fetched where missing)")
    p.add_argument("--voices", default="gm", choices=("gm", "auto", "festival"))
    p.add_argument("--hard-voices", default="auto", choices=("gm", "auto", "festival"))
    p.add_argument("--modes", default="mix,stems4",
                   help="mix, stems4 (truth stems; needs --lmms-stems for lmms), separated")
    p.add_argument("--lmms-stems", action="store_true", help="render LMMS tracks for stems4")
    p.add_argument("--drift", type=float, default=0.0,
                   help="play every song with live tempo drift of this amount (0.03: +-3 %%; "
                        "bench/live_tempo.py); key and sections are then not scored")
    p.add_argument("--verbose", action="store_true", help="one line per song on stderr")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    warmed = False
    out: dict = {"tempo_tolerance": TEMPO_TOLERANCE, "octave_factors": ["x1", "x2", "x1/2", "x3", "x1/3"]}
    for name in args.set.split(","):
        for split in args.split.split(","):
            t0 = time.perf_counter()
            songs, about = load_set(name, split, args.songs, args)
            prepared = time.perf_counter() - t0
            if not warmed:  # import and first-call costs are not billed to a song
                try:
                    analyze_song(load_audio(songs[0])[:, : 44100 * 8], 44100)
                except AnalysisError:
                    pass
                warmed = True
            res: dict = {"songs": len(songs), **about, **({"drift": {
                             "amount": args.drift, "period_s": PERIOD_S}} if args.drift else {}),
                         "tempo_range": [min(s.truth["tempo"] for s in songs),
                                         max(s.truth["tempo"] for s in songs)],
                         "prepare_seconds": round(prepared, 1)}
            for mode in args.modes.split(","):
                if mode == "stems4" and (name in ("real", "charted")
                                         or (name == "lmms" and not args.lmms_stems)):
                    continue
                rows = [evaluate(s, mode, args.drift) for s in songs]
                if args.verbose:
                    for r in rows:
                        print(json.dumps({"set": name, "split": split, "mode": mode,
                                          **{k: (round(v, 3) if isinstance(v, float) else v)
                                             for k, v in r.items()}}), file=sys.stderr)
                res[mode] = summarise_real(rows) if name == "real" else summarise(rows)
            res["targets"] = TARGETS[name]
            out[f"{name}/{split}"] = res
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
