"""The web app (`musicmixer serve`): jobs in SQLite, a worker pool, the API
and the player page. `create_app` is the entry point."""

from .app import create_app

__all__ = ["create_app"]
