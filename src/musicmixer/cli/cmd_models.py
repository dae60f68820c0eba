"""`musicmixer models fetch|check`: install and verify the separation weights.

`make models` calls `fetch`; both default to the configured model folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="fetch or check the separation model weights")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    for name, func, text in (
        ("fetch", _fetch, "download and verify the HTDemucs weights (no-op when present)"),
        ("check", _check, "verify that the weights are present and intact"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--model-dir", type=Path, default=None,
                       help="folder for the weights (default: MODEL_DIR setting)")
        p.set_defaults(func=func)


def _model_dir(args: argparse.Namespace) -> Path:
    if args.model_dir is not None:
        return args.model_dir
    from musicmixer.config import get_settings

    return get_settings().model_dir


def _fetch(args: argparse.Namespace) -> int:
    from musicmixer.separation.model_store import fetch_model

    print(f"model ready: {fetch_model(_model_dir(args))}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from musicmixer.separation.model_store import ensure_model

    print(f"model ok: {ensure_model(_model_dir(args))}")
    return 0
