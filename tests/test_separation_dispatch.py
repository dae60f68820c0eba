"""The dispatcher (`separate_stems`): every row of the stem-mode table, time
ranges, the Modal client, the file-matching logic, the CLI, and one run of the
real local model end to end."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf
from separation_fakes import FakeLocalBackend, FakeModalFunction, band_split, write_song

from musicmixer.audio import SAMPLE_RATE
from musicmixer.cli import main as cli_main
from musicmixer.config import load_settings
from musicmixer.errors import SeparationError, StemValidationError
from musicmixer.separation import dispatcher, modal_client
from musicmixer.separation.dispatcher import (
    TimeRangeError,
    modal_backend,
    resolve_range,
    separate_stems,
)
from musicmixer.separation.stem_files import (
    KARAOKE_ALIASES,
    KARAOKE_STEM_MAP,
    PRIMARY_STEM_MAP,
    _tokenize_stem_filename,
    match_stem_files,
    remap,
    undo_peak_normalisation,
)
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS


class StaticBackend:
    """Returns exactly `names`, splitting the input by band so they sum to it."""

    def __init__(self, names):
        self.names = list(names)

    def __call__(self, job):
        edges = np.linspace(0, 22050, len(self.names) + 1)
        edges[-1] = 1e9
        bands = {n: (edges[i], edges[i + 1]) for i, n in enumerate(self.names)}
        return band_split(job.audio, SAMPLE_RATE, bands)


@pytest.fixture
def song(tmp_path):
    path = tmp_path / "song.wav"
    return path, write_song(path, seconds=2.0)


# --- the stem-mode table, every row, right and wrong sets --------------------

TABLE = [  # backend, flag, stems it must produce, a wrong set a backend might return
    ("modal", False, ALL_STEMS, SEVEN_STEMS),
    ("modal", True, SEVEN_STEMS, ALL_STEMS),
    ("local", False, FOUR_STEMS, ALL_STEMS),
    ("local", True, FOUR_STEMS, SEVEN_STEMS),
]


@pytest.mark.parametrize("backend,flag,expected,_wrong", TABLE)
def test_each_row_accepts_its_stems(tmp_path, song, caplog, backend, flag, expected, _wrong):
    path, mix = song
    settings = load_settings(stem_backend=backend, vocal_sub_separation=flag, data_dir=tmp_path)
    with caplog.at_level(logging.WARNING):
        result = separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                                backends={backend: StaticBackend(expected)})
    assert result.stem_names == expected
    assert result.backend == backend
    assert result.vocal_sub_separation == (flag and backend == "modal")
    assert set(result.stems) == set(expected)
    warned = any("VOCAL_SUB_SEPARATION is ignored" in r.getMessage() for r in caplog.records)
    assert warned == (backend == "local" and flag)
    total = sum(sf.read(str(p), dtype="float32")[0].T for p in result.stems.values())
    assert np.max(np.abs(total - mix)) < 1e-3


@pytest.mark.parametrize("backend,flag,expected,wrong", TABLE)
def test_each_row_rejects_a_wrong_set(tmp_path, song, backend, flag, expected, wrong):
    path, _ = song
    settings = load_settings(stem_backend=backend, vocal_sub_separation=flag, data_dir=tmp_path)
    with pytest.raises(StemValidationError) as err:
        separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                       backends={backend: StaticBackend(wrong)})
    assert err.value.missing == set(expected) - set(wrong)
    assert err.value.unexpected == set(wrong) - set(expected)
    for name in err.value.missing | err.value.unexpected:
        assert name in str(err.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_modal_backend_forwards_the_flag_and_writes_float32(tmp_path, song):
    path, _mix = song
    settings = load_settings(stem_backend="modal", vocal_sub_separation=True, data_dir=tmp_path)
    fn = FakeModalFunction()
    seen = []
    result = separate_stems(path, tmp_path / "out", lambda f, d="": seen.append(f),
                            settings=settings, cache=False, backends={"modal": modal_backend(fn)})
    assert fn.calls == [{"filename": "song.wav", "vocal_sub_separation": True,
                         "n_bytes": path.stat().st_size}]
    assert result.stem_names == SEVEN_STEMS
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_modal_lookup_without_modal_is_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_modal(name, *args, **kwargs):
        if name == "modal":
            raise ImportError("No module named 'modal'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_modal)
    with pytest.raises(SeparationError, match="musicmixer\\[modal\\]"):
        modal_client.lookup_remote_function(load_settings(stem_backend="modal"))


def test_modal_remote_failure_is_a_separation_error(tmp_path, song):
    path, _ = song

    def broken(**kwargs):
        raise TimeoutError("function timed out after 600 s")

    settings = load_settings(stem_backend="modal", data_dir=tmp_path)
    with pytest.raises(SeparationError, match="timed out"):
        separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                       backends={"modal": modal_backend(broken)})


def test_modal_empty_stem_is_a_separation_error(tmp_path, song):
    path, _ = song
    fn = FakeModalFunction(add={"drums": b""})
    settings = load_settings(stem_backend="modal", data_dir=tmp_path)
    with pytest.raises(SeparationError, match="empty 'drums'"):
        separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                       backends={"modal": modal_backend(fn)})


def test_the_package_imports_without_modal():
    from musicmixer.separation import modal_app

    try:
        import modal  # noqa: F401
    except ImportError:
        assert modal_app.app is None
    assert callable(modal_app.separate_stems_remote)


# --- time ranges -------------------------------------------------------------------

def test_resolve_range_adds_margin_and_clamps():
    n = 10 * SAMPLE_RATE
    assert resolve_range(None, n) == (0, n)
    assert resolve_range((4, 6), n, 2.0) == (2 * SAMPLE_RATE, 8 * SAMPLE_RATE)
    assert resolve_range((1, 3), n, 2.0) == (0, 5 * SAMPLE_RATE)
    assert resolve_range((7, 30), n, 2.0) == (5 * SAMPLE_RATE, n)
    for bad in [(5, 5), (6, 5), (-1, 2), (10, 12), (float("nan"), 2)]:
        with pytest.raises(TimeRangeError):
            resolve_range(bad, n, 2.0)


def test_time_range_separates_only_that_span(tmp_path):
    path = tmp_path / "long.wav"
    mix = write_song(path, seconds=10.0)
    settings = load_settings(stem_backend="local", data_dir=tmp_path)
    local = FakeLocalBackend()
    result = separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                            time_range=(4.0, 6.0), backends={"local": local})
    assert (result.start, result.end) == (2.0, 8.0)
    assert local.lengths == [6 * SAMPLE_RATE]
    total = sum(sf.read(str(p), dtype="float32")[0].T for p in result.stems.values())
    assert np.max(np.abs(total - mix[:, 2 * SAMPLE_RATE:8 * SAMPLE_RATE])) < 1e-3


def test_time_range_on_modal_sends_the_slice_without_clipping(tmp_path):
    path = tmp_path / "long.wav"
    mix = write_song(path, seconds=6.0)  # peaks near 2.5: FLAC needs headroom
    settings = load_settings(stem_backend="modal", data_dir=tmp_path)
    fn = FakeModalFunction()
    result = separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                            time_range=(2.0, 3.0), margin_s=0.5,
                            backends={"modal": modal_backend(fn)})
    assert fn.calls[0]["filename"] == "long.flac"
    assert (result.start, result.end) == (1.5, 3.5)
    total = sum(sf.read(str(p), dtype="float32")[0].T for p in result.stems.values())
    ref = mix[:, int(1.5 * SAMPLE_RATE):int(3.5 * SAMPLE_RATE)]
    assert total.shape == ref.shape
    assert np.max(np.abs(total - ref)) < 1e-3 * np.max(np.abs(ref))


# --- output-file logic of the Modal app (pure) ------------------------------------

def test_tokenize_uses_the_last_marker_as_whole_tokens():
    assert _tokenize_stem_filename("song_(Vocals)_BS-Roformer-SW.wav") == ("vocals",)
    assert _tokenize_stem_filename(
        "mix_(Vocals)_BS-Roformer-SW_(Instrumental)_UVR_MDXNET_KARA_2.wav") == ("instrumental",)
    assert _tokenize_stem_filename("x_(No Vocals)_m.wav") == ("no", "vocals")
    assert _tokenize_stem_filename("lead_vocals.wav") == ("lead", "vocals")


def test_match_is_whole_token_and_reports_what_is_missing(tmp_path):
    files = [tmp_path / f"mix_({s.title()})_BS-Roformer-SW.wav" for s in ALL_STEMS]
    files += [tmp_path / "mix_(Vocals Reverb)_x.wav", tmp_path / "mix.log"]
    matched = remap(match_stem_files(files, PRIMARY_STEM_MAP), PRIMARY_STEM_MAP)
    assert matched["vocals"].name == "mix_(Vocals)_BS-Roformer-SW.wav"
    with pytest.raises(SeparationError, match="guitar"):
        match_stem_files([f for f in files if "Guitar" not in f.name], PRIMARY_STEM_MAP)
    with pytest.raises(SeparationError, match="two separator outputs"):
        match_stem_files(files + [tmp_path / "other_(Drums)_y.wav"], PRIMARY_STEM_MAP)


def test_karaoke_aliases_map_no_vocals_to_backing(tmp_path):
    files = [tmp_path / "v_(Vocals)_k.wav", tmp_path / "v_(No Vocals)_k.wav"]
    got = remap(match_stem_files(files, KARAOKE_STEM_MAP, KARAOKE_ALIASES), KARAOKE_STEM_MAP)
    assert got == {"lead_vocals": files[0], "backing_vocals": files[1]}


def test_undo_peak_normalisation_restores_the_mix():
    rng = np.random.default_rng(0)
    stems = {n: rng.standard_normal((2, 4000)).astype(np.float32) * a
             for n, a in zip(ALL_STEMS, [0.8, 0.5, 1.2, 0.2, 0.1, 0.3])}
    mix = sum(stems.values())
    scaled = {n: s * min(1.0, 0.9 / np.abs(s).max()) for n, s in stems.items()}
    restored, gains = undo_peak_normalisation(scaled, mix)
    for n in ALL_STEMS:
        np.testing.assert_allclose(restored[n], stems[n], atol=1e-4)
    assert gains["piano"] == 1.0 and gains["bass"] > 1.0
    untouched, g2 = undo_peak_normalisation(stems, mix)
    assert set(g2.values()) == {1.0} and all(untouched[n] is not None for n in ALL_STEMS)


# --- CLI ---------------------------------------------------------------------------

def test_cli_separate(tmp_path, song, monkeypatch, capsys):
    path, _ = song
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setitem(dispatcher.BACKENDS, "local", FakeLocalBackend())
    rc = cli_main(["separate", str(path), "-o", str(tmp_path / "stems"), "--backend", "local",
                   "--start", "0.5", "--end", "1.0", "--no-progress"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "vocals" in out and "0.00-2.00 s" in out
    assert sorted(p.name for p in (tmp_path / "stems").glob("*.wav")) == sorted(
        f"{s}.wav" for s in FOUR_STEMS)
    rc = cli_main(["separate", str(path), "-o", str(tmp_path / "s2"), "--start", "5", "--end", "4"])
    assert rc == 1
    assert "time range" in capsys.readouterr().err


# --- the real local model, end to end ------------------------------------------------

@pytest.mark.slow
def test_real_local_backend_end_to_end(tmp_path):
    path = tmp_path / "song.wav"
    mix = write_song(path, seconds=3.0) * 0.3
    sf.write(str(path), mix.T, SAMPLE_RATE, subtype="FLOAT")
    settings = load_settings(stem_backend="local", data_dir=tmp_path / "data", separation_threads=1)
    result = separate_stems(path, tmp_path / "out", settings=settings)
    assert result.stem_names == FOUR_STEMS and not result.cache_hit
    stems = {n: sf.read(str(p), dtype="float32")[0].T for n, p in result.stems.items()}
    assert all(s.shape == mix.shape and np.all(np.isfinite(s)) for s in stems.values())
    residual = sum(stems.values()) - mix
    assert np.sum(residual ** 2) < 0.1 * np.sum(mix ** 2)
    again = separate_stems(path, tmp_path / "out2", settings=settings)
    assert again.cache_hit
    for n in FOUR_STEMS:  # the samples, not the bytes: a float WAV's PEAK chunk holds a timestamp
        assert np.array_equal(sf.read(str(again.stems[n]), dtype="float32")[0],
                              sf.read(str(result.stems[n]), dtype="float32")[0])
