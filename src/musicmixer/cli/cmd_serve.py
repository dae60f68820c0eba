"""`musicmixer serve`: the web app (API, progress stream, player page) in one process."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the web app", description="Serve the API and the player page; open "
        "the printed address in a browser. Settings (WEB_WORKERS, WEB_QUEUE_DEPTH, "
        "REMIX_TTL_HOURS, DATA_DIR, ...) come from the environment or .env.")
    parser.add_argument("--host", default=None, help="address to bind (default: WEB_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port (default: WEB_PORT)")
    parser.add_argument("--workers", type=int, default=None,
                        help="remixes made at once (default: WEB_WORKERS)")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from musicmixer.config import load_settings
    from musicmixer.service import create_app

    overrides = {k: v for k, v in (("web_host", args.host), ("web_port", args.port),
                                   ("web_workers", args.workers)) if v is not None}
    settings = load_settings(**overrides)
    app = create_app(settings)
    print(f"musicmixer: serving on http://{settings.web_host}:{settings.web_port}/ "
          f"(API docs at /docs)", flush=True)
    uvicorn.run(app, host=settings.web_host, port=settings.web_port, log_level="warning",
                timeout_graceful_shutdown=5)
    return 0
