"""The stem cache: separate a song once per configuration, not once per mix.

An entry is keyed by (SHA-256 of the decoded audio, backend, model id,
effective `vocal_sub_separation`, separator version, time range): the same
song as MP3 or WAV, or under another name, is one entry; changing any knob that
changes the stems is another.

Layout under `settings.data_dir / "stem-cache"`:

    entries/ab/<key>/{stem}.flac + manifest.json  one complete entry
    sources/<file sha256>.json                    file bytes -> decoded-audio hash
    locks/<key>.lock                               fcntl lock per key
    tmp/                                           entries being written

An entry folder's mtime is its last use (set on every hit and write), so
`cache_prune.prune_stem_cache` can expire entries and keep the cache under a
size cap, least recently used first.

Why each part:
- Stems come in as float32 WAVs (or arrays) and are packed and unpacked
  block by block (`compact_audio.write_flac24_from_file`, `flac24_to_wav`), so
  neither direction holds a whole stem.
- Stems are stored as 24-bit FLAC (`compact_audio`: each with a power-of-two
  scale in the manifest, so a stem peaking over 1.0 neither clips nor wraps;
  at most 2^-24 of full scale off), a quarter to a half of float32 WAV. A lookup
  decodes them to float32 `{stem}.wav` in the output folder, which every
  reader expects; the first run reads back the same decoded stems, so a mix
  is the same whether its stems came from the cache or not. Entries written
  before (float32 `{stem}.wav`, same `CACHE_FORMAT`: the key did not change)
  are still read, by hard link. Cost, 7 stems of a 3-minute song: a hit
  decodes in 4.6 s (a link took milliseconds), a miss writes in 5.2 s (1.9 s
  as float32); separation itself takes minutes.
- An entry is written into `tmp/` and renamed into place, and `manifest.json`
  (per-file SHA-256 and size) is written last: a crash leaves no half entry
  under a real key, and an entry damaged later is caught when read, dropped
  and recomputed.
- `sources/` lets a hit skip decoding the song at all.
- Verifying: a file whose size, mtime and inode are those recorded, and whose
  mtime is older than the last full check by `RACY_NS`, is trusted; any other
  is hashed against the manifest. Any write to a file (also through an output
  link) moves its mtime, so it is hashed, found changed, and the entry
  recomputed. The window covers coarse file-system clocks (a write in the same
  clock tick as the entry's creation keeps the mtime: git's "racy clean"
  problem), so a fresh entry is hashed until it is `RACY_NS` old; then one
  full check records it as trusted.
- `flock` on `locks/<key>.lock` makes two requests for the same song (threads
  or processes) compute it once: the second waits, then finds the entry.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from musicmixer.audio import SAMPLE_RATE, save_audio
from musicmixer.compact_audio import flac24_to_wav, write_flac24, write_flac24_from_file

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
RACY_NS = 2_000_000_000  # 2 s: coarser than any file-system timestamp we meet
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CacheKey:
    """Everything that decides what the stems are."""

    audio_sha256: str
    backend: str
    model_id: str
    vocal_sub_separation: bool
    separator_version: str
    time_range: tuple[float, float, float] | None = None  # (start, end, margin) s, as asked

    def digest(self) -> str:
        fields = asdict(self)
        fields["cache_format"] = CACHE_FORMAT
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def audio_digest(audio: np.ndarray) -> str:
    """SHA-256 of decoded audio (shape + float32 samples): the song's identity."""
    a = np.ascontiguousarray(audio, dtype=np.float32)
    h = hashlib.sha256(repr(a.shape).encode())
    h.update(a.data.cast("B"))
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


# Stems as arrays or float32 WAV files (packed block by block, and moved
# rather than copied where they are not cached), plus facts to keep with them.
Stems = Mapping[str, np.ndarray | Path]
ComputeFn = Callable[[], tuple[Stems, dict]]


class StemCache:
    """A folder of verified separation results; see the module docstring."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._thread_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # --- paths ---------------------------------------------------------------
    def entry_dir(self, key: CacheKey) -> Path:
        d = key.digest()
        return self.root / "entries" / d[:2] / d

    # --- source index: skip decoding on a hit --------------------------------
    def source_audio_digest(self, file_sha256: str) -> str | None:
        """The decoded-audio hash recorded for a file's bytes, if any."""
        try:
            data = json.loads((self.root / "sources" / f"{file_sha256}.json").read_text())
            return str(data["audio_sha256"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remember_source(self, file_sha256: str, audio_sha256: str) -> None:
        _write_json_atomic(self.root / "sources" / f"{file_sha256}.json",
                           {"audio_sha256": audio_sha256})

    # --- the one entry point -------------------------------------------------
    def get_or_compute(self, key: CacheKey, dest_dir: Path,
                       compute: ComputeFn) -> tuple[dict, bool]:
        """Stems for `key` copied into `dest_dir`; (manifest, was it a hit).

        Computes at most once per key across threads and processes.
        """
        manifest = self.restore(key, dest_dir)
        if manifest is not None:
            return manifest, True
        with self.lock(key):
            manifest = self.restore(key, dest_dir)  # someone finished while we waited
            if manifest is not None:
                return manifest, True
            stems, meta = compute()
            if meta.pop("cacheable", True) is False:  # e.g. a transient fallback result
                return _write_uncached(dest_dir, stems, meta), False
            self.store(key, stems, meta)
            manifest = self.restore(key, dest_dir)
            if manifest is None:  # pragma: no cover - the disk lost what we just wrote
                raise OSError(f"stem cache entry {self.entry_dir(key)} unreadable after writing")
            return manifest, False

    @contextmanager
    def lock(self, key: CacheKey):
        """Exclusive per-key lock: a thread lock (flock is per open file, and
        fine across threads, but this keeps waiting threads off the fd table)
        plus an fcntl lock for other processes."""
        digest = key.digest()
        with self._guard:
            tlock = self._thread_locks.setdefault(digest, threading.Lock())
        lock_path = self.root / "locks" / f"{digest}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with tlock, open(lock_path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- read ----------------------------------------------------------------
    def restore(self, key: CacheKey, dest_dir: Path) -> dict | None:
        """Link a verified entry into `dest_dir`; None when absent, partial or corrupt."""
        entry = self.entry_dir(key)
        try:
            manifest = json.loads((entry / "manifest.json").read_text())
            if manifest.get("format") != CACHE_FORMAT or manifest.get("key") != key.digest():
                raise ValueError("manifest is for another key or format")
            files = manifest["files"]
            if not files:
                raise ValueError("manifest lists no files")
        except FileNotFoundError:
            if entry.exists():
                logger.warning("stem cache entry %s has no manifest (partial); recomputing", entry.name)
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("stem cache entry %s unreadable (%s); recomputing", entry.name, exc)
            return None
        trusted_before = int(manifest.get("verified_at_ns", 0)) - RACY_NS
        hashed = False
        for name, info in files.items():
            fast = _stat_matches(entry / info["file"], info, trusted_before)
            if fast is None:
                logger.warning("stem cache entry %s: %s is missing or truncated; recomputing",
                               entry.name, name)
                return None
            if not fast:
                hashed = True
                if file_digest(entry / info["file"]) != info["sha256"]:
                    logger.warning("stem cache entry %s: %s is corrupt; recomputing", entry.name, name)
                    return None
        if hashed:
            _record_verified(entry, manifest)
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        placed = {}
        for name, info in files.items():
            placed[name] = _place_stem(entry / info["file"], dest_dir, name, info)
        touch_entry(entry)
        return {**manifest, "files": placed}

    # --- write ---------------------------------------------------------------
    def store(self, key: CacheKey, stems: Stems, meta: dict) -> Path:
        """Write an entry in `tmp/`, manifest last, then rename it into place."""
        tmp_root = self.root / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="entry-", dir=tmp_root))
        try:
            files = {}
            for name, audio in stems.items():
                path = tmp / f"{name}.flac"
                scale = (write_flac24_from_file(path, audio, SAMPLE_RATE) if isinstance(audio, Path)
                         else write_flac24(path, audio, SAMPLE_RATE))
                files[name] = {"file": path.name, "scale": scale, "sha256": file_digest(path),
                               **_stat_of(path)}
            manifest = {"format": CACHE_FORMAT, "key": key.digest(), "fields": asdict(key),
                        "sample_rate": SAMPLE_RATE, "files": files,
                        "verified_at_ns": time.time_ns(), **meta}
            _write_json_atomic(tmp / "manifest.json", manifest)
            final = self.entry_dir(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():  # a corrupt or partial entry: move it aside, then drop it
                trash = tmp_root / f"trash-{uuid.uuid4().hex}"
                os.rename(final, trash)
                shutil.rmtree(trash, ignore_errors=True)
            os.rename(tmp, final)
            touch_entry(final)
            return final
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def touch_entry(entry: Path) -> None:
    """Mark an entry used now: the folder's mtime is its last use, for the
    least-recently-used pruning (`cache_prune`). The files' own mtimes are
    left alone, since verification trusts them."""
    try:
        os.utime(entry)
    except OSError:
        pass


def _write_uncached(dest_dir: Path, stems: Stems, meta: dict) -> dict:
    """Write (or move) stems straight to `dest_dir`; a manifest-shaped dict, not stored."""
    files = {}
    for name, audio in stems.items():
        path = Path(dest_dir) / f"{name}.wav"
        if isinstance(audio, Path):
            os.replace(audio, path)
        else:
            save_audio(path, audio, SAMPLE_RATE)
        files[name] = {"file": path.name, "size": path.stat().st_size}
    return {"format": CACHE_FORMAT, "files": files, "sample_rate": SAMPLE_RATE, **meta}


def _stat_of(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


def _stat_matches(path: Path, info: dict, trusted_before_ns: int) -> bool | None:
    """None: missing or wrong size (certainly bad). True: unchanged since a
    full check. False: cannot tell from the stat; hash it."""
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_size != int(info["size"]):
        return None
    return (st.st_mtime_ns == info.get("mtime_ns") and st.st_ino == info.get("ino")
            and st.st_mtime_ns < trusted_before_ns)


def _record_verified(entry: Path, manifest: dict) -> None:
    """After a full check, record the files' stat so later hits skip hashing,
    once they are old enough that a same-tick write cannot hide behind it."""
    now = time.time_ns()
    try:
        stats = {name: _stat_of(entry / info["file"]) for name, info in manifest["files"].items()}
    except OSError:
        return
    if any(now - st["mtime_ns"] <= RACY_NS for st in stats.values()):
        return
    updated = dict(manifest, verified_at_ns=now,
                   files={n: {**manifest["files"][n], **stats[n]} for n in stats})
    try:
        _write_json_atomic(entry / "manifest.json", updated)
    except OSError:  # a read-only cache still works, just hashes every time
        pass


def _place_stem(src: Path, dest_dir: Path, name: str, info: dict) -> dict:
    """One entry file into `dest_dir` as `{name}.wav` (float32, what callers
    read): a float32 entry is linked, a 24-bit FLAC one decoded. Returns the
    file's manifest item as the caller sees it."""
    if src.suffix.lower() != ".flac":
        _place(src, dest_dir / info["file"])
        return info
    path = flac24_to_wav(src, dest_dir / f"{name}.wav", float(info.get("scale", 1.0)), SAMPLE_RATE)
    return {"file": path.name, "size": path.stat().st_size, "cached_as": src.name}


def _place(src: Path, dst: Path) -> None:
    """Put `src` at `dst` atomically: a hard link, or a copy across file systems."""
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
