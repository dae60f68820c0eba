"""The stem cache: hits, misses on every key field, corrupt and partial
entries, and one computation for concurrent requests (threads and processes)."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from separation_fakes import FakeLocalBackend, FakeModalFunction, write_song

from musicmixer.config import load_settings
from musicmixer.separation import dispatcher
from musicmixer.separation.cache import CacheKey, StemCache, audio_digest
from musicmixer.separation.dispatcher import modal_backend, separate_stems
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS


@pytest.fixture
def song(tmp_path):
    path = tmp_path / "song.wav"
    write_song(path, seconds=1.5)
    return path


def _settings(tmp_path, **kw):
    return load_settings(data_dir=tmp_path / "data", **kw)


def _run(song, out, settings, backend, **kw):
    return separate_stems(song, out, settings=settings,
                          backends={settings.stem_backend: backend}, **kw)


def _sample_bytes(result):
    """Each stem's samples as bytes: equal audio, whatever the file's PEAK-chunk timestamp."""
    return {n: sf.read(str(p), dtype="float32")[0].tobytes() for n, p in result.stems.items()}


def _audio(result):
    return {n: sf.read(str(p), dtype="float32")[0] for n, p in result.stems.items()}


def _same_audio(a, b):
    """Recomputed stems match to float rounding (FFTs need not be bit-exact)."""
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=1e-6)


def test_hit_returns_the_same_stems_without_separating_or_decoding(tmp_path, song, monkeypatch):
    settings = _settings(tmp_path, stem_backend="local")
    local = FakeLocalBackend()
    first = _run(song, tmp_path / "a", settings, local)
    assert not first.cache_hit and local.calls == 1

    def no_decoding(*a, **k):
        raise AssertionError("a cache hit must not decode the song")

    monkeypatch.setattr(dispatcher, "load_audio", no_decoding)
    second = _run(song, tmp_path / "b", settings, local)
    assert second.cache_hit and local.calls == 1
    assert second.stem_names == FOUR_STEMS
    assert _sample_bytes(second) == _sample_bytes(first)
    assert (second.start, second.end) == (first.start, first.end)


def test_same_audio_in_another_file_is_a_hit(tmp_path, song):
    settings = _settings(tmp_path, stem_backend="local")
    local = FakeLocalBackend()
    _run(song, tmp_path / "a", settings, local)
    # Same decoded audio, another name and other file bytes (stereo -> written as
    # 64-bit float): the key is the audio, not the file.
    data, sr = sf.read(str(song), dtype="float32")
    other = tmp_path / "renamed.wav"
    sf.write(str(other), data.astype(np.float64), sr, subtype="DOUBLE")
    assert other.read_bytes() != song.read_bytes()
    assert _run(other, tmp_path / "b", settings, local).cache_hit
    assert local.calls == 1


def test_changed_flag_backend_model_or_range_is_a_miss(tmp_path, song, monkeypatch):
    fn = FakeModalFunction()
    six = _settings(tmp_path, stem_backend="modal", vocal_sub_separation=False)
    seven = _settings(tmp_path, stem_backend="modal", vocal_sub_separation=True)
    assert _run(song, tmp_path / "1", six, modal_backend(fn)).stem_names == ALL_STEMS
    r = _run(song, tmp_path / "2", seven, modal_backend(fn))
    assert r.stem_names == SEVEN_STEMS and not r.cache_hit
    assert _run(song, tmp_path / "3", seven, modal_backend(fn)).cache_hit
    assert len(fn.calls) == 2

    # another model id (new weights) -> miss
    monkeypatch.setattr(dispatcher, "MODEL_CKPT", "BS-Roformer-SW-v2.ckpt")
    assert not _run(song, tmp_path / "4", seven, modal_backend(fn)).cache_hit
    # another separator version -> miss
    monkeypatch.setattr(dispatcher, "SEPARATOR_VERSION", "999")
    assert not _run(song, tmp_path / "5", seven, modal_backend(fn)).cache_hit
    # another time range -> miss; the same one again -> hit
    assert not _run(song, tmp_path / "6", seven, modal_backend(fn), time_range=(0.1, 0.2)).cache_hit
    assert _run(song, tmp_path / "7", seven, modal_backend(fn), time_range=(0.1, 0.2)).cache_hit
    assert len(fn.calls) == 5


def test_local_flag_is_ignored_in_the_key_too(tmp_path, song):
    local = FakeLocalBackend()
    _run(song, tmp_path / "a", _settings(tmp_path, stem_backend="local"), local)
    flagged = _settings(tmp_path, stem_backend="local", vocal_sub_separation=True)
    assert _run(song, tmp_path / "b", flagged, local).cache_hit  # same 4 stems either way


def test_key_digest_covers_every_field():
    base = CacheKey("a" * 64, "modal", "m", True, "1", None)
    variants = [CacheKey("b" * 64, "modal", "m", True, "1", None),
                CacheKey("a" * 64, "local", "m", True, "1", None),
                CacheKey("a" * 64, "modal", "n", True, "1", None),
                CacheKey("a" * 64, "modal", "m", False, "1", None),
                CacheKey("a" * 64, "modal", "m", True, "2", None),
                CacheKey("a" * 64, "modal", "m", True, "1", (1.0, 2.0, 2.0))]
    assert len({base.digest(), *(v.digest() for v in variants)}) == 7
    x = np.zeros((2, 10), np.float32)
    assert audio_digest(x) != audio_digest(np.zeros((2, 11), np.float32))


def _entry(tmp_path) -> Path:
    entries = list((tmp_path / "data" / "stem-cache" / "entries").glob("*/*"))
    assert len(entries) == 1
    return entries[0]


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "delete_file", "no_manifest",
                                    "bad_manifest"])
def test_corrupt_or_partial_entry_is_recomputed(tmp_path, song, damage):
    settings = _settings(tmp_path, stem_backend="local")
    local = FakeLocalBackend()
    good = _audio(_run(song, tmp_path / "a", settings, local))
    entry = _entry(tmp_path)
    wav = entry / "drums.flac"
    if damage == "flip_byte":
        data = bytearray(wav.read_bytes())
        data[len(data) // 2] ^= 0xFF
        wav.write_bytes(bytes(data))
    elif damage == "truncate":
        wav.write_bytes(wav.read_bytes()[:1000])
    elif damage == "delete_file":
        wav.unlink()
    elif damage == "no_manifest":
        (entry / "manifest.json").unlink()
    else:
        (entry / "manifest.json").write_text("{not json")
    again = _run(song, tmp_path / "b", settings, local)
    assert not again.cache_hit and local.calls == 2
    _same_audio(_audio(again), good)
    assert _run(song, tmp_path / "c", settings, local).cache_hit  # repaired


def test_interrupted_write_leaves_no_entry(tmp_path, song):
    settings = _settings(tmp_path, stem_backend="local")

    def crashing(job):
        raise RuntimeError("killed mid-separation")

    with pytest.raises(RuntimeError):
        _run(song, tmp_path / "a", settings, crashing)
    assert not list((tmp_path / "data" / "stem-cache" / "entries").glob("*/*"))
    assert not _run(song, tmp_path / "b", settings, FakeLocalBackend()).cache_hit


def test_concurrent_threads_compute_once(tmp_path, song):
    settings = _settings(tmp_path, stem_backend="local")
    local = FakeLocalBackend(delay=0.3)
    results, errors = [], []

    def worker(i):
        try:
            results.append(_run(song, tmp_path / f"out{i}", settings, local))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert local.calls == 1
    assert sorted(r.cache_hit for r in results) == [False, True, True, True]
    assert len({tuple(sorted(_sample_bytes(r).items())) for r in results}) == 1


def _process_worker(song, out, data_dir, marker_dir):
    import time

    class Counting(FakeLocalBackend):
        def __call__(self, job):
            (Path(marker_dir) / f"{time.time_ns()}").touch()
            time.sleep(0.3)
            return super().__call__(job)

    settings = load_settings(stem_backend="local", data_dir=data_dir)
    separate_stems(song, out, settings=settings, backends={"local": Counting()})


def test_concurrent_processes_compute_once(tmp_path, song):
    markers = tmp_path / "markers"
    markers.mkdir()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_process_worker,
                         args=(song, tmp_path / f"p{i}", tmp_path / "data", markers))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert len(list(markers.iterdir())) == 1
    # the samples, not the bytes: a float WAV's PEAK chunk holds the time it was written
    a = {f.name: sf.read(str(f), dtype="float32")[0] for f in (tmp_path / "p0").iterdir()}
    b = {f.name: sf.read(str(f), dtype="float32")[0] for f in (tmp_path / "p1").iterdir()}
    assert sorted(a) == sorted(b) and len(a) == 4
    assert all(np.array_equal(a[n], b[n]) for n in a)


def test_manifest_records_sizes_and_hashes(tmp_path, song):
    _run(song, tmp_path / "a", _settings(tmp_path, stem_backend="local"), FakeLocalBackend())
    manifest = json.loads((_entry(tmp_path) / "manifest.json").read_text())
    assert set(manifest["files"]) == set(FOUR_STEMS)
    for info in manifest["files"].values():
        assert info["size"] > 0 and len(info["sha256"]) == 64
    assert manifest["fields"]["backend"] == "local"


def test_cache_can_be_turned_off(tmp_path, song):
    local = FakeLocalBackend()
    settings = _settings(tmp_path, stem_backend="local")
    for out in ("a", "b"):
        assert not _run(song, tmp_path / out, settings, local, cache=False).cache_hit
    assert local.calls == 2
    assert not (tmp_path / "data" / "stem-cache").exists()


def test_explicit_cache_object(tmp_path, song):
    cache = StemCache(tmp_path / "elsewhere")
    local = FakeLocalBackend()
    settings = _settings(tmp_path, stem_backend="local")
    _run(song, tmp_path / "a", settings, local, cache=cache)
    assert _run(song, tmp_path / "b", settings, local, cache=cache).cache_hit
    assert (tmp_path / "elsewhere" / "entries").is_dir()


def test_old_unchanged_entry_is_trusted_without_hashing(tmp_path, song, monkeypatch):
    import os

    from musicmixer.separation import cache as cache_mod

    settings = _settings(tmp_path, stem_backend="local")
    local = FakeLocalBackend()
    _run(song, tmp_path / "a", settings, local)
    entry = _entry(tmp_path)
    day_ago = cache_mod.time.time_ns() - 86_400 * 10**9
    for wav in entry.glob("*.flac"):  # an entry written yesterday
        os.utime(wav, ns=(day_ago, day_ago))
    hashed = []
    real_digest = cache_mod.file_digest
    monkeypatch.setattr(cache_mod, "file_digest", lambda p: hashed.append(p) or real_digest(p))

    assert _run(song, tmp_path / "b", settings, local).cache_hit  # stat changed: full check
    assert len(hashed) == 4
    hashed.clear()
    assert _run(song, tmp_path / "c", settings, local).cache_hit  # now trusted by stat
    assert hashed == []

    # Writing into an entry's file changes it: caught and recomputed.
    with open(entry / "vocals.flac", "r+b") as fh:
        fh.seek(-8, 2)
        fh.write(b"\x00" * 8)
    again = _run(song, tmp_path / "d", settings, local)
    assert not again.cache_hit and local.calls == 2


def _make_legacy(entry: Path) -> None:
    """Rewrite an entry as the cache wrote it before: float32 `{stem}.wav`."""
    from musicmixer.audio import save_audio
    from musicmixer.compact_audio import read_flac24
    from musicmixer.separation.cache import _stat_of, file_digest

    manifest = json.loads((entry / "manifest.json").read_text())
    files = {}
    for name, info in manifest["files"].items():
        flac = entry / info["file"]
        wav = save_audio(entry / f"{name}.wav", read_flac24(flac, info["scale"]))
        flac.unlink()
        files[name] = {"file": wav.name, "sha256": file_digest(wav), **_stat_of(wav)}
    (entry / "manifest.json").write_text(json.dumps({**manifest, "files": files}))


def test_entries_are_24_bit_flac_and_a_hit_reads_what_the_miss_read(tmp_path, song):
    settings = _settings(tmp_path, stem_backend="local")
    first = _run(song, tmp_path / "a", settings, FakeLocalBackend())
    entry = _entry(tmp_path)
    assert sorted(p.name for p in entry.iterdir()) == sorted(
        [f"{n}.flac" for n in FOUR_STEMS] + ["manifest.json"])
    assert sf.info(str(entry / "drums.flac")).subtype == "PCM_24"
    hit = _run(song, tmp_path / "b", settings, FakeLocalBackend())
    assert hit.cache_hit and all(p.suffix == ".wav" for p in hit.stems.values())
    assert _sample_bytes(hit) == _sample_bytes(first)  # the first run used the stored stems too
    assert sf.info(str(hit.stems["drums"])).subtype == "FLOAT"


def test_a_stem_over_full_scale_is_stored_without_clipping(tmp_path):
    cache = StemCache(tmp_path / "cache")
    key = CacheKey("0" * 64, "local", "m", False, "v")
    t = np.arange(44100) / 44100
    loud = np.stack([1.7 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    quiet = (loud * 1e-3).astype(np.float32)
    cache.store(key, {"vocals": loud, "other": quiet}, {"start": 0.0, "end": 1.0})
    manifest = cache.restore(key, tmp_path / "out")
    assert manifest is not None
    back = {n: sf.read(str(tmp_path / "out" / f"{n}.wav"), dtype="float32")[0].T
            for n in ("vocals", "other")}
    assert np.max(np.abs(back["vocals"] - loud)) <= 2.0 * 2.0 ** -24  # scale 2: one half step
    assert np.max(np.abs(back["other"] - quiet)) <= 2.0 ** -24
    assert np.max(np.abs(back["vocals"])) > 1.69


def test_entries_written_as_float_wav_before_are_still_read_by_link(tmp_path, song):
    settings = _settings(tmp_path, stem_backend="local")
    local = FakeLocalBackend()
    _run(song, tmp_path / "a", settings, local)
    entry = _entry(tmp_path)
    _make_legacy(entry)
    hit = _run(song, tmp_path / "b", settings, local)
    assert hit.cache_hit and local.calls == 1
    for name, path in hit.stems.items():
        assert path.stat().st_ino == (entry / f"{name}.wav").stat().st_ino
