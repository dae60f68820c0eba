"""`musicmixer` command line: one module per sub-command in this package.

Each `cmd_*.py` module defines `register(subparsers)` which adds its parser and
sets `func`; this file only discovers them, so adding a command touches no
shared file.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from musicmixer import __version__
from musicmixer.errors import MusicMixerError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="musicmixer",
        description="Open-source AI mashup studio: two songs and a sentence in, a mashup out.",
    )
    parser.add_argument("--version", action="version", version=f"musicmixer {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MusicMixerError as exc:
        print(f"musicmixer: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("musicmixer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
