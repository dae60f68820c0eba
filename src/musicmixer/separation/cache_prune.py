"""Keeping the stem cache bounded: entries unused for a while expire, and past
a size cap the least recently used go first.

Separated stems are float32 WAV, about 10 MB per stem-minute (a 20-second song
in 6 stems is ~27 MB), and the cache grew without end (106 MB for 4 short
songs). An entry's last use is its folder's mtime (`cache.touch_entry`). An
entry whose lock another thread or process holds (it is being computed) is
skipped; one being read as it goes is harmless: it is moved aside in one
rename, and a reader that misses its manifest recomputes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

TMP_MAX_AGE_S = 3600.0  # an entry still in tmp/ after an hour was left by a crash


@dataclass
class PruneReport:
    bytes_before: int = 0
    bytes_after: int = 0
    removed: list[str] = field(default_factory=list)


def entry_size(entry: Path) -> int:
    return sum(f.stat().st_size for f in entry.iterdir() if f.is_file())


def prune_stem_cache(root: Path, max_age_s: float, max_bytes: int,
                     now: float | None = None) -> PruneReport:
    """Remove entries unused for `max_age_s`, then least recently used ones
    until the entries total at most `max_bytes` (0 = no cap)."""
    root, now = Path(root), time.time() if now is None else now
    report = PruneReport()
    entries = []
    for entry in (root / "entries").glob("*/*"):
        try:
            entries.append((entry.stat().st_mtime, entry, entry_size(entry)))
        except OSError:
            continue
    entries.sort(key=lambda e: e[0])  # least recently used first
    total = report.bytes_before = sum(size for _, _, size in entries)
    for used, entry, size in entries:
        if used > now - max_age_s and (max_bytes <= 0 or total <= max_bytes):
            break
        if _remove(root, entry):
            total -= size
            report.removed.append(entry.name)
    report.bytes_after = total
    _clean_leftovers(root, max_age_s, now)
    return report


def _remove(root: Path, entry: Path) -> bool:
    lock_path = root / "locks" / f"{entry.name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # being computed right now
        try:
            trash = root / "tmp" / f"trash-{uuid.uuid4().hex}"
            trash.parent.mkdir(parents=True, exist_ok=True)
            os.rename(entry, trash)
            shutil.rmtree(trash, ignore_errors=True)
            return True
        except OSError:
            return False
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_leftovers(root: Path, max_age_s: float, now: float) -> None:
    for folder, age in (("tmp", TMP_MAX_AGE_S), ("sources", max_age_s), ("locks", max_age_s)):
        for item in (root / folder).glob("*"):
            try:
                if item.stat().st_mtime < now - age:
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
            except OSError:
                continue
