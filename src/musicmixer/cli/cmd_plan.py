"""`musicmixer plan SONG_A SONG_B --prompt "..."`: analyse both songs and
print the remix plan (step 4) as JSON, without rendering anything.

A SONG may also be a SongAnalysis JSON file (what an analysis run saved), so
plans can be tried on known analyses in a second. An audio SONG is separated
and analysed as the mix job does it (`cmd_analyze.read_song`: same
settings, same stem cache), so the plan's tempo mapping and beat grid are the
job's; `--mix-only` reads the mix alone (seconds instead of minutes on a CPU;
the tempo octave and beat phase may then differ from the job's).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from musicmixer.config import Settings
from musicmixer.errors import MusicMixerError
from musicmixer.stems import vocal_split_backends


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plan", help="print the remix plan for two songs and a prompt as JSON",
        description="Analyse two songs and print the section-by-section remix plan as JSON.")
    parser.add_argument("song_a", type=Path, help="first song (audio file or SongAnalysis .json)")
    parser.add_argument("song_b", type=Path, help="second song (audio file or SongAnalysis .json)")
    parser.add_argument("--prompt", "-p", default="", help="what the mashup should do")
    parser.add_argument("--stems-a", type=Path, default=None, help="folder with song A's stem WAVs")
    parser.add_argument("--stems-b", type=Path, default=None, help="folder with song B's stem WAVs")
    parser.add_argument("--mix-only", action="store_true",
                        help="analyse audio songs from the mix alone, without separating them "
                             "(fast; the tempo octave and beat phase may differ from the job's)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar while separating (it goes to stderr)")
    parser.add_argument("--stem-backend", choices=("local", "modal"), default=None,
                        help="stem mode to plan for (default: STEM_BACKEND setting)")
    parser.add_argument("--vocal-sub-separation", action="store_true", default=None,
                        help="plan with lead_vocals/backing_vocals "
                        f"({' or '.join(vocal_split_backends())} backend only)")
    parser.add_argument("--local-vocal-split", action="store_true", default=None,
                        help="with the local backend: plan for the offline lead/backing split "
                             "(5 stems)")
    parser.add_argument("--offline", action="store_true",
                        help="use the offline planner even when an LLM is configured")
    parser.set_defaults(func=_run)


def _settings(args: argparse.Namespace):
    from musicmixer.config import get_settings, load_settings

    overrides = {}
    if args.stem_backend:
        overrides["stem_backend"] = args.stem_backend
    if args.vocal_sub_separation:
        overrides["vocal_sub_separation"] = True
    if args.local_vocal_split:
        overrides["local_vocal_split"] = True
    if args.offline:
        overrides["llm_provider"] = "none"
    return load_settings(**overrides) if overrides else get_settings()


def _analysis(path: Path, stem_dir: Path | None, settings: Settings, args: argparse.Namespace):
    if not path.is_file():
        raise MusicMixerError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        from pydantic import ValidationError

        from musicmixer.analysis.model import SongAnalysis

        try:
            return SongAnalysis.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, UnicodeDecodeError) as exc:
            raise MusicMixerError(f"{path}: not a SongAnalysis JSON file ({exc.__class__.__name__})") from None
    from musicmixer.cli.cmd_analyze import read_song

    return read_song(path, stem_dir, mix_only=args.mix_only, show_progress=not args.no_progress,
                     vocal_sub_separation=settings.vocal_sub_separation, settings=settings)


def _run(args: argparse.Namespace) -> int:
    from musicmixer.interpreter import interpret

    settings = _settings(args)
    analysis_a = _analysis(args.song_a, args.stems_a, settings, args)
    analysis_b = _analysis(args.song_b, args.stems_b, settings, args)
    plan = interpret(analysis_a, analysis_b, args.prompt, settings=settings)
    print(json.dumps(plan.model_dump(mode="json"), indent=2))
    return 0
