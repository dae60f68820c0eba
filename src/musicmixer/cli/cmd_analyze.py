"""`musicmixer analyze SONG [--stems DIR | --mix-only] [--json]`: tempo (with its
half and double levels and their scores), beats, key, sections and stem
character of one song (steps 2 and 3.5).

By default the song is separated as the mix job separates it (same settings,
same stem cache, so a later `mix` of the song separates nothing again) and
analysed with those stems: what it prints is what the job reads. The drum stem
decides the octave of the tempo and the beat phase where the mix alone is
ambiguous, so `--mix-only` (no separation: seconds instead of minutes on a CPU)
may differ there; `--stems DIR` reads stems made elsewhere. Without the
separation model the mix alone is analysed and a warning says so.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyze", help="print a song's tempo, key, sections and stem character",
        description="Analyse one song: beat and bar grid, tempo, key, sections, "
                    "per-stem energy and vocal activity.")
    parser.add_argument("song", type=Path, help="audio file (wav, mp3, flac, ...)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stems", type=Path, default=None, metavar="DIR",
                        help="folder of stem WAVs (drums.wav, bass.wav, vocals.wav, ...)")
    source.add_argument("--mix-only", action="store_true",
                        help="analyse the mix alone, without separating it (fast; the "
                             "tempo octave and beat phase may differ from the job's)")
    source.add_argument("--separate", action="store_true",
                        help="separate the song as the mix job does and analyse it with "
                             "those stems (the default)")
    parser.add_argument("--vocal-sub-separation", action=argparse.BooleanOptionalAction,
                        default=None,
                        help="read lead_vocals.wav for the vocal analysis (7-stem mode); "
                             "default: the VOCAL_SUB_SEPARATION setting")
    parser.add_argument("--json", action="store_true", help="print the full analysis as JSON")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar while separating (it goes to stderr)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    flag = args.vocal_sub_separation
    if flag is None:
        from musicmixer.config import get_settings

        flag = get_settings().vocal_sub_separation
    analysis = read_song(args.song, args.stems, mix_only=args.mix_only,
                         show_progress=not args.no_progress, vocal_sub_separation=flag)
    if args.json:
        print(analysis.model_dump_json(indent=2))
    else:
        print(format_analysis(analysis))
    return 0


def read_song(song: Path, stem_dir: Path | None, *, mix_only: bool, show_progress: bool,
              vocal_sub_separation: bool, settings=None):
    """What `analyze` and `plan` read of an audio song: its stems from
    `stem_dir`, or the mix alone (`mix_only`), else the song separated as the
    job does (`analyze_separated`, a progress bar on stderr)."""
    from musicmixer.analysis.analyze import analyze_file

    if stem_dir is not None or mix_only:
        return analyze_file(song, stem_dir, vocal_sub_separation=vocal_sub_separation)
    from musicmixer.cli.progress import progress_bar

    with progress_bar(f"separating {song.name}", enabled=show_progress, lazy=True) as update:
        return analyze_separated(song, progress=update, settings=settings)


def analyze_separated(song: Path, backends=None, progress=None, settings=None):
    """The job's analysis of one song: checked as the job checks it
    (`pipeline.check_song`), its stems from `separate_stems` (as `pipeline.run_mix`
    calls it, `settings` (default: the environment's) deciding the stem mode),
    read by `analyze_file`. Without the separation model: the mix alone, with a
    warning."""
    import tempfile

    from musicmixer.analysis.analyze import analyze_file
    from musicmixer.audio import load_audio
    from musicmixer.config import get_settings
    from musicmixer.errors import ModelMissingError
    from musicmixer.pipeline import check_song
    from musicmixer.separation.dispatcher import separate_stems

    settings = settings or get_settings()
    check_song(load_audio(song), Path(song), settings)
    with tempfile.TemporaryDirectory(prefix="musicmixer-analyze-") as work:
        try:
            res = separate_stems(song, Path(work), progress, settings=settings,
                                 backends=backends, allow_vocal_fallback=True)
        except ModelMissingError as exc:
            analysis = analyze_file(song)
            analysis.warnings.append(
                f"analysed the mix alone, not separated as the mix job does ({exc}); "
                "the job's tempo octave and beat phase may differ")
            return analysis
        return analyze_file(song, Path(work), vocal_sub_separation=res.vocal_sub_separation)


def format_analysis(a) -> str:
    """A few lines a person reads at a glance."""
    lines = [
        f"{a.title or 'song'}: {a.duration:.1f} s",
        f"  tempo   {a.tempo:.1f} BPM (confidence {a.tempo_confidence:.2f}), "
        f"{len(a.beats)} beats, {len(a.downbeats)} bars of {a.beats_per_bar}",
        ("  levels  " + ", ".join(f"{lv.level} {lv.bpm:.1f} ({lv.score:.2f})"
                                  for lv in a.tempo_levels)),
        (f"  grid    beat phase confidence {a.phase_confidence:.2f}, "
         f"bar start confidence {a.downbeat_confidence:.2f}"),
        f"  key     {a.key} {a.mode} (confidence {a.key_confidence:.2f})",
        *(f"  warning {w}" for w in a.warnings),
        "  sections:",
    ]
    for s in a.sections:
        lines.append(f"    {s.label:<10} bars {s.start_bar:>3}-{s.end_bar - 1:<3} "
                     f"{s.start_time:7.2f}-{s.end_time:7.2f} s  energy {s.energy:.2f}")
    if a.vocal_activity:
        sung = sum(b - e for e, b in a.vocal_activity)
        lines.append(f"  vocals  ({a.vocal_stem}) {len(a.vocal_activity)} phrases, "
                     f"{sung:.1f} s sung")
    if a.stem_character:
        lines.append("  stems:")
        lines += [f"    {c.description}" for c in a.stem_character.values()]
    return "\n".join(lines)
