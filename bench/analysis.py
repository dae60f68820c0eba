"""Song analysis against generated ground truth; prints one JSON object.

    python bench/analysis.py [--songs 24] [--cache build/bench-songs] [--voices gm]

Over a set of synthetic songs (tempos 70-170 BPM, all twelve keys, major and
minor, straight / swing / half-time drums, 16-32 bars) it reports, for the mix
alone and for the mix with the four local stems (truth stems standing in for
separation): tempo accuracy (within 2 %), beat and downbeat F-measure (70 ms
window, mir_eval), the MIREX weighted key score, section boundary hit rate
(within one bar), and seconds of analysis per minute of audio.
Targets: tempo >= 0.95, beat F >= 0.95, downbeat F >= 0.85, key >= 0.85, <= 3 s/min.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from musicmixer.analysis.analyze import analyze_song  # noqa: E402
from musicmixer.stems import FOUR_STEMS  # noqa: E402
from musicmixer.testsongs import SongSpec, generate_song  # noqa: E402

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


def evaluate(song, stems_mode: str) -> dict:
    import mir_eval

    t = song.truth
    mix = song.load_mix()
    stems = song.truth_stems(FOUR_STEMS) if stems_mode == "stems4" else None
    t0 = time.perf_counter()
    a = analyze_song(mix, 44100, stems, title=t["title"])
    elapsed = time.perf_counter() - t0
    ref_beats = np.array(t["beats"])
    ref_tempo = 60.0 * (len(ref_beats) - 1) / (ref_beats[-1] - ref_beats[0])
    bar_s = 240.0 / ref_tempo
    hits, n_ref, n_est = boundary_scores(t["sections"], a.sections, bar_s)
    est_key = f"{a.key} {a.mode}"
    return {
        "title": t["title"], "tempo_ref": round(ref_tempo, 2), "tempo": a.tempo,
        "feel": t["feel"], "key_ref": f"{t['key']} {t['mode']}", "key": est_key,
        "tempo_ok": bool(abs(a.tempo - ref_tempo) <= 0.02 * ref_tempo),
        "beat_f": float(mir_eval.beat.f_measure(ref_beats, np.array(a.beats), 0.07)),
        "downbeat_f": float(mir_eval.beat.f_measure(np.array(t["downbeats"]),
                                                    np.array(a.downbeats), 0.07)),
        "key_score": float(mir_eval.key.weighted_score(f"{t['key']} {t['mode']}", est_key)),
        "hits": hits, "n_ref": n_ref, "n_est": n_est,
        "labels": label_accuracy(t["sections"], a.sections, t["bars"]),
        "seconds": elapsed, "minutes": t["duration"] / 60.0,
    }


def summarise(rows: list[dict]) -> dict:
    hits = sum(r["hits"] for r in rows)
    n_ref = sum(r["n_ref"] for r in rows)
    n_est = sum(r["n_est"] for r in rows)
    prec = hits / n_est if n_est else 0.0
    rec = hits / n_ref if n_ref else 0.0
    return {
        "tempo_accuracy": round(float(np.mean([r["tempo_ok"] for r in rows])), 4),
        "beat_f": round(float(np.mean([r["beat_f"] for r in rows])), 4),
        "downbeat_f": round(float(np.mean([r["downbeat_f"] for r in rows])), 4),
        "key_weighted": round(float(np.mean([r["key_score"] for r in rows])), 4),
        "section_boundary_hit_rate": round(rec, 4),
        "section_boundary_precision": round(prec, 4),
        "section_label_bar_accuracy": round(float(np.mean([r["labels"] for r in rows])), 4),
        "seconds_per_audio_minute": round(sum(r["seconds"] for r in rows)
                                          / sum(r["minutes"] for r in rows), 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--songs", type=int, default=24)
    p.add_argument("--seed", type=int, default=0, help="0: the standard set; other: a held-out set")
    p.add_argument("--cache", type=Path, default=ROOT / "build" / "bench-songs")
    p.add_argument("--voices", default="gm", choices=("gm", "auto", "festival"))
    p.add_argument("--modes", default="mix,stems4")
    p.add_argument("--verbose", action="store_true", help="one line per song on stderr")
    args = p.parse_args(argv)
    songs = [generate_song(s, args.cache) for s in song_specs(args.songs, args.voices, args.seed)]
    # one throw-away run so import and first-call costs are not billed to a song
    analyze_song(songs[0].load_mix()[:, : 44100 * 8], 44100)
    out: dict = {"songs": len(songs), "voices": args.voices, "seed": args.seed,
                 "tempo_range": [min(s.truth["tempo"] for s in songs),
                                 max(s.truth["tempo"] for s in songs)],
                 "feels": sorted({s.truth["feel"] for s in songs}),
                 "modes": sorted({s.truth["mode"] for s in songs})}
    for mode in args.modes.split(","):
        rows = [evaluate(s, mode) for s in songs]
        if args.verbose:
            for r in rows:
                print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                  for k, v in r.items()}), file=sys.stderr)
        out[mode] = summarise(rows)
    out["targets"] = {"tempo_accuracy": 0.95, "beat_f": 0.95, "downbeat_f": 0.85,
                      "key_weighted": 0.85, "seconds_per_audio_minute_max": 3.0}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
