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
token in its folder, or it refuses to start.
"""

from __future__ import annotations

import secrets
import shutil
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
        marker = self.root / TOKEN_FILE
        mine = marker.read_text().strip() if marker.is_file() else secrets.token_hex(16)
        theirs = claim_token(mine)
        if theirs == mine:
            if not marker.is_file():
                self.root.mkdir(parents=True, exist_ok=True)
                tmp = marker.with_suffix(".tmp")
                tmp.write_text(mine)
                tmp.replace(marker)
            return
        raise NotShared(f"DATA_DIR ({self.root}) is not the folder the other nodes of this "
                        f"cluster use: mount the shared folder there (see docs/deploy.md).")
