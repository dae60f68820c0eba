"""Lead/backing tests 1-4 (docs/architecture.md, "Step numbers").

The Modal function is a fake whose separator writes real WAV files named as
audio-separator names them; between those files and the stems, the real
two-pass logic runs (`musicmixer.separation.karaoke`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from separation_fakes import (
    KARAOKE_BANDS,
    PRIMARY_BANDS,
    FakeLocalBackend,
    FakeModalFunction,
    FakeSeparatorPass,
    ground_truth,
    write_song,
)

from musicmixer.config import load_settings
from musicmixer.errors import StemValidationError
from musicmixer.separation.dispatcher import modal_backend, separate_stems
from musicmixer.separation.karaoke import apply_karaoke_pass, separate_two_pass
from musicmixer.separation.stem_files import (
    KARAOKE_CKPT,
    KARAOKE_STEM_MAP,
    MODEL_CKPT,
    read_wav,
    wav_bytes,
)
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS


@pytest.fixture
def song(tmp_path) -> tuple[Path, np.ndarray]:
    path = tmp_path / "song.wav"
    return path, write_song(path, seconds=2.0)


def _decode(stems: dict[str, bytes]) -> dict[str, tuple[np.ndarray, int]]:
    return {name: read_wav(data) for name, data in stems.items()}


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.shape[-1], b.shape[-1])
    a, b = a[..., :n].ravel(), b[..., :n].ravel()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


# --- 1. Modal 2-pass: 7 stems when the flag is on --------------------------------

def test_modal_two_pass_returns_seven_stems(song):
    path, mix = song
    fn = FakeModalFunction(karaoke_rate=32000)
    stems = _decode(fn.remote(audio_bytes=path.read_bytes(), filename=path.name,
                              vocal_sub_separation=True))

    assert list(stems) == SEVEN_STEMS
    assert {sr for _, sr in stems.values()} == {44100}  # karaoke wrote 32 kHz: resampled back
    assert len({a.shape for a, _ in stems.values()}) == 1
    truth = ground_truth(2.0)
    assert _corr(stems["lead_vocals"][0], truth["lead_vocals"]) > 0.99
    assert _corr(stems["backing_vocals"][0], truth["backing_vocals"]) > 0.99
    # Peak normalisation (0.9 in the fake, on the loud stems) undone: the stems sum
    # to the mix, except for resampling's edge effects in the first/last 50 ms.
    total = sum(a for a, _ in stems.values())
    edge = 2205
    assert np.max(np.abs(total - mix)[:, edge:-edge]) < 1e-3 * np.max(np.abs(mix))


def test_modal_without_flag_returns_six_stems_and_skips_karaoke(song):
    path, mix = song
    fn = FakeModalFunction()
    stems = _decode(fn.remote(audio_bytes=path.read_bytes(), filename=path.name,
                              vocal_sub_separation=False))
    assert list(stems) == ALL_STEMS
    assert f"run {KARAOKE_CKPT}" not in fn.events
    total = sum(a for a, _ in stems.values())
    assert np.max(np.abs(total - mix)) < 1e-3


def test_karaoke_model_loads_only_after_pass_one_is_released(song):
    path, _ = song
    fn = FakeModalFunction()
    fn.remote(audio_bytes=path.read_bytes(), filename=path.name, vocal_sub_separation=True)
    assert fn.events == [f"run {MODEL_CKPT}", f"release {MODEL_CKPT}", f"run {KARAOKE_CKPT}"]


def test_song_named_like_a_stem_still_maps_correctly(tmp_path):
    # "(Vocals)" in the input name must not capture the karaoke "(Instrumental)" output.
    path = tmp_path / "My Song (Vocals) [Instrumental].wav"
    write_song(path)
    stems = FakeModalFunction().remote(audio_bytes=path.read_bytes(), filename=path.name,
                                       vocal_sub_separation=True)
    assert list(stems) == SEVEN_STEMS


def test_karaoke_stem_map_is_the_specs():
    assert KARAOKE_STEM_MAP == {"vocals": "lead_vocals", "instrumental": "backing_vocals"}
    assert KARAOKE_CKPT == "UVR_MDXNET_KARA_2.onnx"


# --- 2. Modal fallback: karaoke failure keeps the original vocals -----------------

@pytest.mark.parametrize("behaviour", ["raise", "empty", "empty_audio", "missing"])
def test_karaoke_failure_keeps_original_vocals(song, behaviour, caplog):
    path, _ = song
    reference = FakeModalFunction().remote(audio_bytes=path.read_bytes(), filename=path.name,
                                           vocal_sub_separation=False)
    fn = FakeModalFunction(karaoke_behaviour=behaviour)
    with caplog.at_level(logging.WARNING, logger="musicmixer.separation.karaoke"):
        stems = fn.remote(audio_bytes=path.read_bytes(), filename=path.name,
                          vocal_sub_separation=True)
    assert list(stems) == ALL_STEMS
    # the pass-1 vocals (to float rounding: two FFT runs need not be bit-exact)
    np.testing.assert_allclose(read_wav(stems["vocals"])[0], read_wav(reference["vocals"])[0],
                               atol=1e-6)
    assert any("keeping original vocals" in r.getMessage() for r in caplog.records)


def test_apply_karaoke_pass_leaves_input_untouched_on_failure(tmp_path):
    vocals = wav_bytes(ground_truth(1.0)["lead_vocals"], 44100)
    stems = {"vocals": vocals, "drums": wav_bytes(ground_truth(1.0)["drums"], 44100)}
    before = dict(stems)
    runner = FakeSeparatorPass(KARAOKE_CKPT, KARAOKE_BANDS, behaviour="raise")
    assert apply_karaoke_pass(stems, runner, tmp_path) == before
    assert stems == before


def test_pass_one_missing_a_stem_is_an_error(tmp_path, song):
    path, _ = song
    bands = {k: v for k, v in PRIMARY_BANDS.items() if k != "Piano"}
    primary = FakeSeparatorPass(MODEL_CKPT, bands)
    with pytest.raises(Exception, match="piano"):
        separate_two_pass(path.read_bytes(), path.name, False, primary=primary,
                          karaoke=primary, workdir=tmp_path / "w")


# --- 3. Dispatcher validation: 7 with the flag, 6 without -------------------------

@pytest.mark.parametrize("flag,expected", [(True, SEVEN_STEMS), (False, ALL_STEMS)])
def test_dispatcher_expects_stems_per_flag(tmp_path, song, flag, expected):
    path, mix = song
    settings = load_settings(stem_backend="modal", vocal_sub_separation=flag, data_dir=tmp_path / "d")
    fn = FakeModalFunction()
    result = separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                            backends={"modal": modal_backend(fn)})
    assert result.stem_names == expected
    assert [c["vocal_sub_separation"] for c in fn.calls] == [flag]  # the flag reached Modal
    for name in expected:
        info = sf.info(str(result.stems[name]))
        assert (info.subtype, info.samplerate, info.channels) == ("FLOAT", 44100, 2)
        assert info.frames == mix.shape[1]


def test_dispatcher_rejects_six_stems_when_seven_are_due(tmp_path, song):
    path, _ = song
    settings = load_settings(stem_backend="modal", vocal_sub_separation=True, data_dir=tmp_path / "d")
    fn = FakeModalFunction(karaoke_behaviour="raise")  # remote falls back to 6 stems
    with pytest.raises(StemValidationError) as err:
        separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                       backends={"modal": modal_backend(fn)})
    assert err.value.missing == {"lead_vocals", "backing_vocals"}
    assert err.value.unexpected == {"vocals"}
    assert "lead_vocals" in str(err.value) and "vocals" in str(err.value)


def test_dispatcher_can_accept_the_documented_six_stem_fallback(tmp_path, song):
    path, _ = song
    settings = load_settings(stem_backend="modal", vocal_sub_separation=True, data_dir=tmp_path / "d")
    fn = FakeModalFunction(karaoke_behaviour="raise")
    result = separate_stems(path, tmp_path / "out", settings=settings,
                            backends={"modal": modal_backend(fn)}, allow_vocal_fallback=True)
    assert result.stem_names == ALL_STEMS
    assert result.vocal_sub_separation is False
    # not cached: the next call tries the karaoke pass again
    again = separate_stems(path, tmp_path / "out2", settings=settings,
                           backends={"modal": modal_backend(FakeModalFunction())})
    assert again.stem_names == SEVEN_STEMS and not again.cache_hit


# --- 4. Local skip: warning logged, 4 stems even with the flag -------------------

def test_local_backend_ignores_flag_with_warning(tmp_path, song, caplog):
    path, mix = song
    settings = load_settings(stem_backend="local", vocal_sub_separation=True, data_dir=tmp_path / "d")
    local = FakeLocalBackend()
    with caplog.at_level(logging.WARNING):
        result = separate_stems(path, tmp_path / "out", settings=settings, cache=False,
                                backends={"local": local})
    assert result.stem_names == FOUR_STEMS
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{s}.wav" for s in FOUR_STEMS)
    assert result.vocal_sub_separation is False
    assert any("VOCAL_SUB_SEPARATION is ignored" in r.getMessage() for r in caplog.records)
    total = sum(sf.read(str(p), dtype="float32")[0].T for p in result.stems.values())
    assert np.max(np.abs(total - mix)) < 1e-3


def test_modal_two_pass_on_a_generated_song_gives_back_its_stems(tmp_path):
    """With a perfect separator behind the fake Modal function (the one bench/mix.py
    uses for configurations 2 and 4), the real two-pass code returns the song's own
    seven stems: file names, peak normalisation and the karaoke pass all undone."""
    from pipeline_helpers import TruthModalFunction, short_pair

    from musicmixer.audio import load_audio

    song, other = short_pair(bars=4)
    settings = load_settings(stem_backend="modal", vocal_sub_separation=True, data_dir=tmp_path)
    result = separate_stems(song.mix_path, tmp_path / "out", settings=settings, cache=False,
                            backends={"modal": modal_backend(TruthModalFunction(other, song))})
    assert result.stem_names == SEVEN_STEMS
    truth = song.truth_stems(SEVEN_STEMS)
    for name, path in result.stems.items():
        got, want = load_audio(path), truth[name]
        n = min(got.shape[-1], want.shape[-1])
        err = np.abs(got[:, :n] - want[:, :n]).max()
        assert err <= 1e-4 * max(1.0, float(np.abs(want).max())), name
