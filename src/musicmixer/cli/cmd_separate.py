"""`musicmixer separate SONG -o DIR`: split one song into stem WAVs.

Settings come from the environment (`STEM_BACKEND`, `VOCAL_SUB_SEPARATION`,
...); the flags here override them for this run. `--start/--end` separate only
that span (plus a 2 s margin), which is what the mix stages do to save time.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from musicmixer.stems import vocal_split_backends


def register(subparsers) -> None:
    p = subparsers.add_parser("separate", help="split a song into stems",
                              description="Split a song into stems (float32 WAV, 44.1 kHz stereo).")
    p.add_argument("song", type=Path, help="audio file (wav, mp3, flac, ...)")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for {stem}.wav")
    p.add_argument("--backend", choices=["local", "modal"], default=None,
                   help="separation backend (default: STEM_BACKEND, else local)")
    p.add_argument("--vocal-sub-separation", action=argparse.BooleanOptionalAction, default=None,
                   help="split vocals into lead_vocals + backing_vocals "
                        f"({' or '.join(vocal_split_backends())} only)")
    p.add_argument("--start", type=float, default=None, help="separate from this second")
    p.add_argument("--end", type=float, default=None, help="separate up to this second")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not fill the stem cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_separate)


def _separate(args: argparse.Namespace) -> int:
    from musicmixer.cli.progress import progress_bar
    from musicmixer.config import load_settings
    from musicmixer.separation.dispatcher import separate_stems

    overrides = {}
    if args.backend is not None:
        overrides["stem_backend"] = args.backend
    if args.vocal_sub_separation is not None:
        overrides["vocal_sub_separation"] = args.vocal_sub_separation
    settings = load_settings(**overrides)
    time_range = None
    if args.start is not None or args.end is not None:
        time_range = (args.start or 0.0, args.end if args.end is not None else float("inf"))
        if time_range[1] == float("inf"):
            time_range = (time_range[0], 1e9)  # clamped to the song's end
    with progress_bar(f"separating {args.song.name}", enabled=not args.no_progress) as update:
        result = separate_stems(args.song, args.output, update, settings=settings,
                                time_range=time_range, cache=not args.no_cache)
    source = "cache" if result.cache_hit else result.backend
    print(f"{len(result.stem_names)} stems ({source}), {result.start:.2f}-{result.end:.2f} s "
          f"of {args.song.name}:")
    for name in result.stem_names:
        print(f"  {name:15s} {result.stems[name]}")
    return 0
