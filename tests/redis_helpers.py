"""A real `redis-server` for the cluster tests: a free loopback port, a
temporary folder, stopped at the end. No skip when it is missing: `make
test` installs it, and a cluster test that silently did not run would hide
exactly the failure it is for."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from api_helpers import free_port

assert shutil.which("redis-server"), "redis-server is not installed: run `make test` (it installs it)"


class RedisServer:
    """`persistent`: an append-only file in `folder`, so a restart keeps the data."""

    def __init__(self, folder: Path, persistent: bool = False):
        self.folder, self.persistent, self.port = Path(folder), persistent, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "yes" if self.persistent else "no",
             "--appendfsync", "always"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port)
        try:
            for _ in range(200):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Yields the server's redis:// URL."""
    server = RedisServer(folder)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
