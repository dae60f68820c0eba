"""The shared-folder check (`storage.SharedFolder.join`) when nodes start
together: every node on the one folder agrees on its token, and a node on
another folder is still refused."""

from __future__ import annotations

import os
import threading
import time

import pytest

from musicmixer.service.storage import TOKEN_FILE, NotShared, SharedFolder


class Claims:
    """Redis's `SET NX` then `GET`, slow enough for starts to overlap."""

    def __init__(self):
        self.stored: str | None = None
        self.lock = threading.Lock()

    def __call__(self, mine: str) -> str:
        time.sleep(0.02)
        with self.lock:
            if self.stored is None:
                self.stored = mine
            return self.stored


def _start_together(folder, claims, n=8) -> list[BaseException]:
    errors: list[BaseException] = []
    gate = threading.Barrier(n)

    def node():
        gate.wait()
        try:
            SharedFolder(folder).join(claims)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=node) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_nodes_started_together_on_one_folder_all_join(tmp_path):
    claims = Claims()
    assert _start_together(tmp_path / "data", claims) == []
    assert (tmp_path / "data" / TOKEN_FILE).read_text() == claims.stored
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [TOKEN_FILE]  # no temp left


def test_a_node_on_another_folder_is_still_refused(tmp_path):
    claims = Claims()
    SharedFolder(tmp_path / "data").join(claims)
    with pytest.raises(NotShared, match="is not the folder the other nodes"):
        SharedFolder(tmp_path / "elsewhere").join(claims)
    SharedFolder(tmp_path / "data").join(claims)  # the right folder still joins


def test_a_share_without_hard_links_joins_by_exclusive_create(tmp_path, monkeypatch):
    def no_links(*_args, **_kwargs):
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    claims = Claims()
    assert _start_together(tmp_path / "data", claims) == []
    assert (tmp_path / "data" / TOKEN_FILE).read_text() == claims.stored
