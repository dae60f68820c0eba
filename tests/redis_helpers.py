"""A real `redis-server` for the cluster tests: a free loopback port, a
temporary folder, no persistence, stopped at the end. No skip when it is
missing: `make test` installs it, and a cluster test that silently did not
run would hide exactly the failure it is for."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from api_helpers import free_port

assert shutil.which("redis-server"), "redis-server is not installed: run `make test` (it installs it)"


@contextmanager
def redis_server(folder: Path, port: int | None = None) -> Iterator[str]:
    """Yields the server's redis:// URL."""
    import redis

    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(folder), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(10)
