"""Intermediate stems as 24-bit FLAC (`compact_audio`): the round trip is the
stated quantisation, loud stems neither clip nor wrap, and a remix re-rendered
from the compacted base stems masters like one re-rendered from float32."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from pipeline_helpers import TruthBackend, short_pair

from musicmixer.audio import integrated_lufs, true_peak_db
from musicmixer.compact_audio import (
    compact_folder,
    load_stem,
    quantise,
    read_flac24,
    scale_for,
    stem_paths,
    write_flac24,
)
from musicmixer.config import load_settings
from musicmixer.mix.rerender import read_render, rerender
from musicmixer.pipeline import MixRequest, run_mix

STEP = 2.0 ** -24  # half a 24-bit step at full scale


def _noise(peak: float, n: int = 20000, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(-1, 1, (2, n)).astype(np.float32)
    return (x * np.float32(peak / np.max(np.abs(x)))).astype(np.float32)


@pytest.mark.parametrize("peak,scale", [(0.5, 1.0), (0.999, 1.0), (1.0, 2.0), (1.7, 2.0),
                                        (5.0, 8.0)])
def test_round_trip_is_the_quantisation_and_never_clips(tmp_path, peak, scale):
    audio = _noise(peak)
    assert scale_for(audio) == scale
    assert write_flac24(tmp_path / "s.flac", audio) == scale
    assert sf.info(str(tmp_path / "s.flac")).subtype == "PCM_24"
    back = read_flac24(tmp_path / "s.flac", scale)
    assert back.dtype == np.float32 and back.shape == audio.shape
    assert np.array_equal(back, quantise(audio))
    assert np.max(np.abs(back - audio)) <= scale * STEP
    assert np.max(np.abs(back)) == pytest.approx(peak, abs=scale * STEP)


def test_compacting_a_folder_keeps_every_stem_and_removes_the_wavs(tmp_path):
    stems = {"drums": _noise(1.4, seed=1), "vocals": _noise(0.3, seed=2)}
    for name, audio in stems.items():
        sf.write(str(tmp_path / f"{name}.wav"), audio.T, 44100, subtype="FLOAT")
    assert {n: p.suffix for n, p in stem_paths(tmp_path).items()} == {"drums": ".wav",
                                                                       "vocals": ".wav"}
    scales = compact_folder(tmp_path)
    assert scales == {"drums": 2.0, "vocals": 1.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drums.flac", "manifest.json",
                                                          "vocals.flac"]
    paths = stem_paths(tmp_path)
    for name, audio in stems.items():
        assert paths[name].suffix == ".flac"
        assert np.array_equal(load_stem(paths[name]), quantise(audio))


def test_a_flac_without_its_manifest_entry_is_not_taken(tmp_path):
    """A crash after the FLAC but before the manifest: the WAV still counts."""
    audio = _noise(1.5)
    sf.write(str(tmp_path / "bass.wav"), audio.T, 44100, subtype="FLOAT")
    write_flac24(tmp_path / "bass.flac", audio)
    assert stem_paths(tmp_path)["bass"].suffix == ".wav"
    assert np.array_equal(load_stem(stem_paths(tmp_path)["bass"]), audio)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("compact")
    a, b = short_pair(bars=8)
    settings = load_settings(data_dir=root / "data", stem_backend="local")
    run_mix(MixRequest(a.mix_path, b.mix_path, "her voice over their groove", root / "f32" / "m.wav",
                       backends={"local": TruthBackend(a, b)}), settings)
    shutil.copytree(root / "f32", root / "flac")
    compact_folder(root / "flac" / "stems")
    return root, settings


def test_rerender_from_compact_stems_matches_float32(mixed):
    root, settings = mixed
    _, _, files = read_render(root / "flac")
    assert files and all(p.suffix == ".flac" for p in files.values())
    float_size = sum(p.stat().st_size for p in (root / "f32" / "stems").glob("*.wav"))
    flac_size = sum(p.stat().st_size for p in (root / "flac" / "stems").iterdir())
    assert flac_size < 0.5 * float_size
    stem = next(iter(files))
    masters = {}
    for kind in ("f32", "flac"):
        done = rerender(root / kind, root / f"re-{kind}" / "m.wav", settings,
                        stem_gains={stem: 0.5})
        masters[kind] = sf.read(str(done.files["mix"]), dtype="float32")[0].T
    f32, flac = masters["f32"], masters["flac"]
    assert f32.shape == flac.shape
    diff = float(np.max(np.abs(f32 - flac)))
    lufs = abs(integrated_lufs(f32, 44100) - integrated_lufs(flac, 44100))
    peak = abs(true_peak_db(f32) - true_peak_db(flac))
    print(json.dumps({"max_abs_diff": diff, "lufs_diff_db": lufs, "true_peak_diff_db": peak,
                      "stems_bytes_float32": float_size, "stems_bytes_flac24": flac_size}))
    assert diff < 1e-5  # -100 dBFS; the stems differ by at most 2^-24 of their scale
    assert lufs < 0.01 and peak < 0.01
