"""Downloads beyond the master: the stems as one zip, and the plan.

The zip holds the player's 16-bit FLAC copies of the first render's stems
(`web/{stem}.flac`: the planned arrangement, before any fader), stored
without compression (FLAC is compressed already) and streamed as it is
written, so a seven-stem remix is never held in memory. Only files the job's
result names go in, under their stem names.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20


class _Sink:
    """A write-only stream for `zipfile` whose bytes are taken as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def stems_zip(files: dict[str, Path]) -> Iterator[bytes]:
    """`{stem name: FLAC file}` as a zip of `{stem}.flac`, chunk by chunk."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for name, path in files.items():
            with open(path, "rb") as src, archive.open(f"{name}.flac", "w",
                                                       force_zip64=True) as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
