"""How much of a generated lead HTDemucs keeps in its vocal stem, flat Festival
lead against the sung contour (`SongSpec(lead_style="realistic")`); prints JSON.

    python bench/lead_style.py [--bars 16] [--songs 2,3,4] [--cache build/bench-songs]
                               [--timbre clean|harsh|breathy]

The songs are bench/mix_pairs.py's hard vocal songs (HARD_PAIRS' first song,
indices given by --songs), cut to --bars. The vocal stem is fitted by least
squares as a * lead + b * backing (the songs' true stems); `lead_gain` is a,
`lead_kept` its energy share a^2, and `lead_db` the RMS of a * lead in the stem
(dBFS). A breathy lead is about two thirds high-passed noise by energy, so
even a separator that kept all of its voiced part would score a gain of about
0.3 there. `--timbre` replaces the songs' lead timbre (e.g. clean: the pitch
contour alone). This measures our test material (a realism fix), not the product.
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
sys.path.insert(0, str(ROOT / "bench"))

from mix_pairs import HARD_BASE, HARD_PAIRS  # noqa: E402

MODEL = Path.home() / ".cache" / "musicmixer" / "models" / "htdemucs.onnx"


def kept(song, stems: dict) -> dict:
    lead = song.load_stem("lead_vocals").astype(np.float64).ravel()
    back = song.load_stem("backing_vocals").astype(np.float64).ravel()
    voc = np.asarray(stems["vocals"], dtype=np.float64).ravel()
    basis = np.stack([lead, back], axis=1)
    (a, b), *_ = np.linalg.lstsq(basis, voc, rcond=None)
    rms = float(np.sqrt(np.mean((a * lead) ** 2)))
    return {"lead_gain": round(float(a), 3), "lead_kept": round(float(a) ** 2, 3),
            "backing_gain": round(float(b), 3),
            "lead_db": round(20 * np.log10(max(rms, 1e-9)), 1),
            "lead_truth_db": round(20 * np.log10(max(float(np.sqrt(np.mean(lead ** 2))), 1e-9)), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=16)
    ap.add_argument("--songs", default="2,3,4")
    ap.add_argument("--cache", default=str(ROOT / "build" / "bench-songs"))
    ap.add_argument("--timbre", default=None, choices=["clean", "harsh", "breathy"])
    args = ap.parse_args()
    from musicmixer.separation.local_onnx import separate_local
    from musicmixer.testsongs import SongSpec, generate_song

    rows = []
    for i in (int(s) for s in args.songs.split(",")):
        spec = dict(HARD_PAIRS[i][0])
        if args.timbre:
            spec["voice_timbre"] = args.timbre
        row: dict = {"song": spec["title"], "tempo": spec["tempo"], "timbre": spec.get("voice_timbre")}
        for style in ("flat", "realistic"):
            song = generate_song(SongSpec(bars=args.bars, lead_style=style, **{**HARD_BASE, **spec}),
                                 args.cache)
            t0 = time.perf_counter()
            stems = separate_local(song.load_mix(), model_path=MODEL, threads=2)
            row[style] = {**kept(song, stems), "separate_s": round(time.perf_counter() - t0, 1)}
            print(json.dumps({style: row[style], "song": row["song"]}), file=sys.stderr, flush=True)
        rows.append(row)
    print(json.dumps({"bars": args.bars, "songs": rows}, indent=1))


if __name__ == "__main__":
    main()
