"""The local HTDemucs backend: its spectrogram maths against first principles,
its segment plumbing against a fake graph, and (slow) the real model against
ground-truth stems of a generated song."""

from __future__ import annotations

import math

import numpy as np
import pytest

from musicmixer.errors import ModelMissingError, SeparationError
from musicmixer.metrics import sdr
from musicmixer.separation import htdemucs_dsp as dsp
from musicmixer.separation import local_onnx
from musicmixer.separation.local_onnx import MODEL_SOURCES, SEGMENT, separate_local
from musicmixer.stems import FOUR_STEMS

SR = 44100


def noise(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# --- DSP ------------------------------------------------------------------


def test_hann_is_periodic():
    np.testing.assert_allclose(dsp.hann(4), [0.0, 0.5, 1.0, 0.5], atol=1e-7)


def test_stft_frame_matches_a_hand_computed_dft():
    """Frame t is the reflect-padded signal around t*hop, windowed, FFT'd, / sqrt(n_fft)."""
    x = noise(20000)
    z = dsp.stft(x)
    padded = np.pad(x.astype(np.float64), dsp.N_FFT // 2, mode="reflect")
    for t in (0, 3, z.shape[-1] - 1):
        frame = padded[t * dsp.HOP : t * dsp.HOP + dsp.N_FFT] * dsp.hann()
        expected = np.fft.fft(frame)[: dsp.N_FFT // 2 + 1] / math.sqrt(dsp.N_FFT)
        np.testing.assert_allclose(z[:, t], expected, atol=2e-4)
    assert z.shape == (dsp.N_FFT // 2 + 1, 1 + 20000 // dsp.HOP)


@pytest.mark.parametrize("length", [44100, 5000, 1500])
def test_stft_istft_round_trip_is_identity(length):
    x = noise((2, length), seed=length)
    y = dsp.istft(dsp.stft(x), length)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1e-4)


def test_spec_magnitude_mask_shapes_match_the_graph():
    x = noise((1, 2, SEGMENT))
    z = dsp.spec(x)
    assert z.shape == (1, 2, 2048, 336)
    mag = dsp.magnitude(z)
    assert mag.shape == (1, 4, 2048, 336) and mag.dtype == np.float32
    np.testing.assert_array_equal(mag[0, 0], z[0, 0].real)  # re0, im0, re1, im1
    np.testing.assert_array_equal(mag[0, 3], z[0, 1].imag)
    np.testing.assert_array_equal(dsp.mask(mag[:, None]), z[:, None])


def test_ispec_inverts_spec_away_from_the_edges():
    """`spec` drops the Nyquist bin and two frames at each end by design, so
    band-limited audio comes back exactly except within a frame of the ends."""
    spectrum = np.fft.rfft(noise((2, 3 * SR)))
    spectrum[:, int(0.45 * spectrum.shape[-1]) :] = 0
    x = np.fft.irfft(spectrum, n=3 * SR).astype(np.float32)
    y = dsp.ispec(dsp.spec(x), x.shape[-1])
    assert y.shape == x.shape
    inner = slice(dsp.N_FFT, -dsp.N_FFT)
    np.testing.assert_allclose(y[:, inner], x[:, inner], atol=1e-4)


# --- segment plumbing, with a fake graph ------------------------------------

WEIGHTS = {"drums": 0.1, "bass": 0.2, "other": 0.3, "vocals": 0.4}


class FakeSession:
    """Answers like the graph: an empty spectrogram branch and a time branch
    that gives each source a fixed share of the (normalised) input."""

    class _Input:
        def __init__(self, name):
            self.name = name

    def __init__(self):
        self.runs = 0

    def get_inputs(self):
        return [self._Input("input"), self._Input("spec")]

    def run(self, outputs, feeds, run_options=None):
        x, mag = feeds["input"], feeds["spec"]
        assert x.shape == (1, 2, SEGMENT) and x.dtype == np.float32
        assert mag.shape == (1, 4, 2048, 336) and mag.dtype == np.float32
        self.runs += 1
        shares = np.array([WEIGHTS[s] for s in MODEL_SOURCES], dtype=np.float32)
        wave = shares[None, :, None, None] * x[:, None]
        return [np.zeros((1, 4, 4, 2048, 336), np.float32), wave]


@pytest.fixture
def fake_session(monkeypatch):
    session = FakeSession()
    monkeypatch.setattr(local_onnx, "get_session", lambda path, threads=0: session)
    return session


@pytest.mark.parametrize("seconds", [1.0, SEGMENT / SR, 17.3])
def test_overlap_add_puts_every_share_back_in_place(fake_session, tmp_path, seconds):
    mix = 0.3 * noise((2, int(seconds * SR))) + 0.01
    calls = []
    stems = separate_local(mix, model_path=tmp_path / "unused.onnx",
                           progress=lambda f, detail: calls.append((f, detail)))
    assert list(stems) == FOUR_STEMS
    for name, stem in stems.items():
        assert stem.shape == mix.shape and stem.dtype == np.float32
        np.testing.assert_allclose(stem, WEIGHTS[name] * mix + _mean_share(mix, name), atol=2e-5)
    np.testing.assert_allclose(sum(stems.values()), mix, atol=2e-5)
    # segments every 0.75 segment until one reaches the end, and no further
    stride = int(0.75 * SEGMENT)
    expected_runs = 1 + max(0, math.ceil((mix.shape[1] - SEGMENT) / stride))
    assert fake_session.runs == len(calls) == expected_runs
    assert [f for f, _ in calls] == sorted(f for f, _ in calls) and calls[-1][0] == 1.0


def _mean_share(mix, name):
    """The fake splits the normalised mix by WEIGHTS; undoing the
    normalisation hands each stem a quarter of the mean."""
    mean = float(mix.mean())
    return mean / 4 - WEIGHTS[name] * mean


def test_silence_needs_no_model(tmp_path):
    stems = separate_local(np.zeros((2, 1000), np.float32), model_path=tmp_path / "absent.onnx")
    assert list(stems) == FOUR_STEMS
    assert all(not s.any() for s in stems.values())


@pytest.mark.parametrize("shape", [(1, 1000), (2, 0), (2,), (6, 100)])
def test_rejects_anything_but_stereo(tmp_path, shape):
    with pytest.raises(SeparationError, match="stereo"):
        separate_local(np.zeros(shape, np.float32), model_path=tmp_path / "x.onnx")


# --- the real model ---------------------------------------------------------


@pytest.fixture(scope="module")
def model_path():
    from musicmixer.config import load_settings
    from musicmixer.separation.model_store import ensure_model

    # `make test` fetches the weights first, so a missing model is a failure here.
    return ensure_model(load_settings().model_dir)


@pytest.mark.slow
def test_real_separation_beats_silence_and_the_mix(model_path, tmp_path_factory):
    from musicmixer.testsongs import SongSpec, generate_song

    song = generate_song(SongSpec(tempo=120, key="C", mode="major", bars=8, seed=1),
                         tmp_path_factory.mktemp("song"))
    truth = song.truth_stems(FOUR_STEMS)
    mix = sum(truth.values()).astype(np.float32)
    inputs = local_onnx.get_session(model_path).get_inputs()
    assert [tuple(i.shape) for i in inputs] == [(1, 2, SEGMENT), (1, 4, 2048, 336)]
    stems = separate_local(mix, model_path=model_path)

    scores = {}
    for name in FOUR_STEMS:
        model = sdr(truth[name], stems[name])
        baseline = max(sdr(truth[name], np.zeros_like(mix)), sdr(truth[name], mix))
        scores[name] = (round(model, 2), round(baseline, 2))
    # Measured on this song: vocals 5.8, drums 13.3, bass 6.9, other 3.0 dB;
    # silence scores 0 dB and the mix about -4 dB on every stem.
    for model, baseline in scores.values():
        assert model > baseline + 1.0, scores
    assert scores["drums"][0] > 9.0, scores
    assert scores["bass"][0] > 5.0, scores
    # HTDemucs' sources sum to nearly the mix (it is not constrained to exactly).
    assert sdr(mix, sum(stems.values())) > 20.0


def test_missing_or_broken_model_file_is_a_model_error(tmp_path):
    mix = noise((2, 2000))
    with pytest.raises(ModelMissingError, match="musicmixer models fetch"):
        separate_local(mix, model_path=tmp_path / "absent.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00not a graph")
    with pytest.raises(ModelMissingError, match="corrupt"):
        separate_local(mix, model_path=broken)
