"""Where the remixes' files live: uploads, stems, renders, the stem cache.

`FileStorage` is what the service asks of it; `SharedFolder` is the one
implementation: a folder (`DATA_DIR`) that, in cluster mode, every API node
and worker mounts at the same path (NFS, SMB, a cloud file share). The job
records hold a remix folder's absolute path, and the pipeline, the stem
cache and the player's range reads all work on local paths, so a shared
mount costs no code path of its own. An object-store implementation is left
out until it can be tested against a real server.

A folder that only looks shared is the classic cluster mistake (a worker
whose mount failed writes into an empty local folder and every job it takes
fails "songs missing"). `join` catches it: the first node to start writes a
random token to the folder and to Redis; every other node must find the same
token in its folder, or it refuses to start. The folder's token is settled
in the folder before Redis is asked, so nodes started together on one folder
(a scaled deployment) all agree: an exclusive link publishes the first one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

TOKEN_FILE = ".musicmixer-shared-folder"


class NotShared(RuntimeError):
    """This node's DATA_DIR is not the folder the rest of the cluster uses."""


class FileStorage(ABC):
    @abstractmethod
    def remix_folder(self, job_id: str) -> Path:
        """A remix's folder (uploads/, base/, web/, renders/) as a local path."""

    @abstractmethod
    def stem_cache(self) -> Path: ...

    @abstractmethod
    def free_bytes(self) -> int:
        """Room left for new remixes."""

    @abstractmethod
    def join(self, claim_token: Callable[[str], str]) -> None:
        """Check that this node sees the cluster's files; `claim_token(mine)`
        stores `mine` where every node reads it unless a token is there already,
        and returns the one stored."""


class SharedFolder(FileStorage):
    def __init__(self, root: Path):
        self.root = Path(root)

    def remix_folder(self, job_id: str) -> Path:
        return self.root / "web" / "remixes" / job_id

    def stem_cache(self) -> Path:
        return self.root / "stem-cache"

    def free_bytes(self) -> int:
        folder = self.root  # or its nearest existing parent, before the first remix
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        return shutil.disk_usage(folder).free

    def join(self, claim_token: Callable[[str], str]) -> None:
        mine = self._folder_token()
        if claim_token(mine) != mine:
            raise NotShared(f"DATA_DIR ({self.root}) is not the folder the other nodes of this "
                            f"cluster use: mount the shared folder there (see docs/deploy.md).")

    def _folder_token(self, settle_s: float = 10.0) -> str:
        """The folder's token, written now if it has none. Two nodes started
        together once each read no marker and wrote their own, and the second
        refused to start; the marker is now published by a hard link, which
        fails if it exists, so the later node reads the first one's."""
        marker = self.root / TOKEN_FILE
        if not marker.is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            token = secrets.token_hex(16)
            tmp = self.root / f"{TOKEN_FILE}.{token}.tmp"
            tmp.write_text(token)
            try:
                os.link(tmp, marker)
            except FileExistsError:
                pass
            except OSError:  # a share without hard links: an exclusive create
                try:
                    with open(marker, "x") as f:
                        f.write(token)
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
        end = time.monotonic() + settle_s
        while True:  # an exclusive create can be read before its write lands
            token = marker.read_text().strip()
            if len(token) == 32 or time.monotonic() > end:
                return token
            time.sleep(0.05)
