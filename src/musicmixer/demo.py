"""`make demo`: a mashup of two generated demo songs, fully offline.

Generates two contrasting demo songs (exact per-stem ground truth, see
`musicmixer.testsongs`), then runs the main job on them (the configured stem
backend: local HTDemucs ONNX by default) and prints where the mashup is.
Run as `python -m musicmixer.demo [OUT_DIR]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from musicmixer.config import Settings, get_settings

DEMO_PROMPT = "the vocals of Demo A over the groove of Demo B, drums up in the chorus"


def run_demo(out_dir: Path, settings: Settings | None = None):
    """Generate the demo songs and mix them; returns the `MixResult`."""
    from musicmixer.cli.cmd_mix import StageBars
    from musicmixer.pipeline import MixRequest, run_mix
    from musicmixer.testsongs import pair_of_songs

    settings = settings or get_settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    song_a, song_b = pair_of_songs(out_dir / "songs")
    bars = StageBars()
    try:
        return run_mix(MixRequest(song_a.mix_path, song_b.mix_path, DEMO_PROMPT,
                                  out_dir / "mashup" / "mashup.wav"), settings, bars)
    finally:
        bars.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0] if argv else "demo-out").resolve()
    result = run_demo(out_dir)
    out = result.report["output"]
    print(f"\nmusicmixer demo: the mashup is {result.output}")
    print(f"  {out['seconds']:.1f} s, {out['lufs']:.1f} LUFS, {out['true_peak_dbtp']:.1f} dBTP")
    print(f"  plan {result.files['plan']}\n  report {result.files['report']}")
    for warning in result.warnings:
        print(f"  note: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
