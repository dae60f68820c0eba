"""Disk the web app uses stays bounded (issue 18, found #10): new jobs refused
with 507 under a free-space floor, job rows forgotten after their own TTL, the
stem cache expired and capped (least recently used first)."""

from __future__ import annotations

import os
import time

import numpy as np
from api_helpers import open_api

from musicmixer.separation.cache import CacheKey, StemCache
from musicmixer.separation.cache_prune import prune_stem_cache


def test_low_disk_gives_507_and_leaves_nothing(tmp_path):
    with open_api("app", tmp_path, min_free_disk_mb=1e12) as api:  # a petabyte floor
        r = api.post()
        assert r.status_code == 507, r.text
        assert "low on disk space" in r.json()["detail"] and r.headers["retry-after"]
        assert api.remix_dirs() == set()


def test_low_disk_refuses_a_rerender_too(tmp_path):
    with open_api("app", tmp_path) as api:
        sid = api.post().json()["session_id"]
        api.wait(sid)
        runner = api.client.app.state.runner
        runner.settings = runner.settings.model_copy(update={"min_free_disk_mb": 1e12})
        r = api.client.post(f"/api/remix/{sid}/rerender", json={"stem_gains": {"drums": 0.5}},
                            headers=api.owner(sid))
        assert r.status_code == 507
        assert api.client.get(f"/api/remix/{sid}/status").json()["renders"] == 0


def test_job_rows_expire_after_their_own_ttl(tmp_path):
    with open_api("app", tmp_path, job_record_ttl_hours=1.0) as api:
        sid = api.post(prompt="a prompt we should not keep for ever").json()["session_id"]
        api.wait(sid)
        runner, store = api.client.app.state.runner, api.client.app.state.store
        expired_at = time.time() + 3 * 3600 + 60  # past the 3 h remix TTL
        assert runner.sweep(now=expired_at) == [sid]
        assert api.client.get(f"/api/remix/{sid}/status").status_code == 410
        runner.sweep(now=expired_at + 1800)  # expired half an hour ago: the row stays
        assert store.get(sid) is not None
        runner.sweep(now=expired_at + 3600 + 60)  # an hour past expiry: forgotten
        assert store.get(sid) is None and store.events_after(sid, 0) == []
        assert api.client.get(f"/api/remix/{sid}/status").status_code == 404


def _key(name: str) -> CacheKey:
    return CacheKey(audio_sha256=name * 8, backend="fake", model_id="m",
                    vocal_sub_separation=False, separator_version="1")


def _fill(cache: StemCache, name: str, used_at: float, seconds: float = 1.0) -> None:
    key = _key(name)
    stems = {"vocals": np.zeros((2, int(44100 * seconds)), dtype=np.float32)}
    entry = cache.store(key, stems, {})
    os.utime(entry, (used_at, used_at))


def test_stem_cache_ttl_then_least_recently_used_under_the_cap(tmp_path):
    cache = StemCache(tmp_path)
    now = time.time()
    for i, name in enumerate("abcd"):  # a oldest ... d newest
        _fill(cache, name, now - 3600 * (10 - i))
    _fill(cache, "e", now - 3600 * 100)  # unused for 100 h
    entries = lambda: sorted(p.name for p in (tmp_path / "entries").glob("*/*"))  # noqa: E731
    assert len(entries()) == 5
    one = prune_stem_cache(tmp_path, 72 * 3600, 0, now)  # TTL only
    assert len(one.removed) == 1 and len(entries()) == 4
    size = one.bytes_after // 4
    report = prune_stem_cache(tmp_path, 72 * 3600, int(2.5 * size), now)  # cap: 2 fit
    assert len(report.removed) == 2 and report.bytes_after <= 2.5 * size
    kept = {_key("c").digest(), _key("d").digest()}
    assert set(entries()) == kept  # the two most recently used


def test_a_cache_hit_counts_as_a_use(tmp_path):
    cache = StemCache(tmp_path)
    now = time.time()
    _fill(cache, "a", now - 7200)
    _fill(cache, "b", now - 3600)
    key_a = _key("a")
    assert cache.restore(key_a, tmp_path / "out") is not None  # a used now
    size = prune_stem_cache(tmp_path, 1e9, 0, now).bytes_after // 2
    prune_stem_cache(tmp_path, 1e9, int(1.5 * size))
    assert [p.name for p in (tmp_path / "entries").glob("*/*")] == [key_a.digest()]


def test_a_finished_remix_keeps_its_base_stems_as_24_bit_flac_and_re_renders_from_them(tmp_path):
    import soundfile as sf

    with open_api("app", tmp_path) as api:
        sid = api.post().json()["session_id"]
        assert api.wait(sid)["status"] == "complete"
        stems = api.data_dir / "web" / "remixes" / sid / "base" / "stems"
        names = sorted(p.name for p in stems.iterdir())
        assert "manifest.json" in names and not [n for n in names if n.endswith(".wav")]
        flacs = [stems / n for n in names if n.endswith(".flac")]
        assert flacs and all(sf.info(str(p)).subtype == "PCM_24" for p in flacs)
        r = api.client.post(f"/api/remix/{sid}/rerender", json={"stem_gains": {"drums": 0.5}},
                            headers=api.owner(sid))
        assert r.status_code == 202
        status = api.wait(sid, until=("complete",))
        assert status["renders"] == 1 and status["version"] == 1
