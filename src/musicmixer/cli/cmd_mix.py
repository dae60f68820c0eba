"""`musicmixer mix SONG_A SONG_B --prompt "..." -o OUT`: the main job.

Every setting that matters for one mix can be given here for this run
(backend, vocal sub-separation, each ab_* flag, loudness target, ...); what is
not given comes from the environment / `.env` as usual. One progress bar per
stage; at the end, where the mix and its companions are.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from musicmixer.config import AB_FLAGS
from musicmixer.interpreter.providers import provider_choices
from musicmixer.stems import vocal_split_backends


def register(subparsers) -> None:
    p = subparsers.add_parser("mix", help="make a mashup of two songs",
                              description="Vocals of one song on the beat and in the key of the "
                                          "other, following a one-sentence prompt.")
    p.add_argument("song_a", type=Path, help="first song (wav, mp3, flac, ...)")
    p.add_argument("song_b", type=Path, help="second song")
    p.add_argument("--prompt", "-p", default="",
                   help='what you want, e.g. "her voice over their groove"')
    p.add_argument("-o", "--output", type=Path, required=True, help="the mix: .wav, .mp3 or .flac")
    p.add_argument("--stem-backend", choices=["local", "modal"], default=None)
    p.add_argument("--vocal-sub-separation", action=argparse.BooleanOptionalAction, default=None,
                   help="split vocals into lead_vocals + backing_vocals "
                        f"({' or '.join(vocal_split_backends())} backend)")
    p.add_argument("--flag", action="append", default=[], choices=list(AB_FLAGS), metavar="NAME",
                   help=f"turn on a sound-quality flag (repeatable): {', '.join(AB_FLAGS)}")
    p.add_argument("--all-ab-flags", action="store_true", help="turn on every ab_* flag")
    p.add_argument("--no-ab-flags", action="store_true", help="turn off every ab_* flag")
    p.add_argument("--target-lufs", type=float, default=None, help="loudness target (default -14)")
    p.add_argument("--true-peak-ceiling-db", type=float, default=None,
                   help="dBTP ceiling (default -1)")
    p.add_argument("--llm-provider", choices=provider_choices(), default=None)
    p.add_argument("--data-dir", type=Path, default=None, help="stem cache and work folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_mix)


def settings_overrides(args: argparse.Namespace) -> dict:
    """The Settings fields this run overrides."""
    overrides: dict = {}
    for field in ("stem_backend", "vocal_sub_separation", "target_lufs", "true_peak_ceiling_db",
                  "llm_provider", "data_dir"):
        value = getattr(args, field, None)
        if value is not None:
            overrides[field] = value
    if args.no_ab_flags:
        overrides |= {f: False for f in AB_FLAGS}
    if args.all_ab_flags:
        overrides |= {f: True for f in AB_FLAGS}
    overrides |= {f: True for f in args.flag}
    return overrides


class StageBars:
    """A `progress_callback(stage, fraction, detail)` showing one bar per stage."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.stage: str | None = None
        self._bar: Any = None  # the open progress bar and its update function
        self._update: Any = None

    def __call__(self, stage: str, fraction: float, detail: str = "") -> None:
        from musicmixer.cli.progress import progress_bar

        if stage != self.stage:
            self.close()
            self.stage = stage
            self._bar = progress_bar(stage, enabled=self.enabled)
            self._update = self._bar.__enter__()
        self._update(fraction, detail)

    def close(self) -> None:
        if self._bar is not None:
            self._update(1.0)
            self._bar.__exit__(None, None, None)
            self._bar = None


def _mix(args: argparse.Namespace) -> int:
    from musicmixer.config import load_settings
    from musicmixer.pipeline import MixRequest, run_mix

    settings = load_settings(**settings_overrides(args))
    bars = StageBars(enabled=not args.no_progress)
    try:
        result = run_mix(MixRequest(args.song_a, args.song_b, args.prompt or None, args.output),
                         settings, bars)
    finally:
        bars.close()
    out = result.report["output"]
    print(f"mix: {result.output}  ({out['seconds']:.1f} s, {out['lufs']:.1f} LUFS, "
          f"{out['true_peak_dbtp']:.1f} dBTP)")
    print(f"plan: {result.files['plan']}\nreport: {result.files['report']}")
    print(f"stems: {Path(result.output).parent / 'stems'}")
    for warning in result.warnings:
        print(f"warning: {warning}")
    return 0
