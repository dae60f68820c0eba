"""The bounded-memory path gives what the whole-array path gave: separation
streamed to files segment by segment, the analysis reading its stems from
files one at a time, and the whole job fed file stems against array stems
(bench/memory.py measures what each saves)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf
from pipeline_helpers import TruthBackend, short_pair
from test_local_separation import FakeSession

from musicmixer.analysis.analyze import analyze_song
from musicmixer.audio import SAMPLE_RATE, load_audio, save_audio
from musicmixer.config import load_settings
from musicmixer.pipeline import MixRequest, run_mix
from musicmixer.separation import local_onnx
from musicmixer.separation.stem_sink import StemFiles
from musicmixer.stems import FOUR_STEMS


class SpectralFake(FakeSession):
    """The fake graph with both branches busy, so the streamed overlap-add
    also blends inverse spectrograms, as with the real model."""

    NOISE = 0.01 * np.random.default_rng(5).standard_normal((1, 4, 4, 2048, 336)).astype(np.float32)

    def run(self, outputs, feeds, run_options=None):
        _, wave = super().run(outputs, feeds, run_options)
        return [self.NOISE * np.float32(self.runs % 3 + 1), wave]


@pytest.mark.parametrize("seconds", [61.3, 3.0])
def test_streamed_separation_writes_the_whole_array_stems(monkeypatch, tmp_path, seconds):
    monkeypatch.setattr(local_onnx, "get_session", lambda path, threads=0: SpectralFake())
    mix = (0.3 * np.random.default_rng(1).standard_normal((2, int(seconds * SAMPLE_RATE)))
           ).astype(np.float32) + 0.01
    whole = local_onnx.separate_local(mix, model_path=tmp_path / "unused.onnx")
    assert whole is not None
    with StemFiles(tmp_path / "stems", FOUR_STEMS) as sink:
        assert local_onnx.separate_local(mix, model_path=tmp_path / "unused.onnx", sink=sink) is None
        paths = sink.close()
    assert list(paths) == FOUR_STEMS
    for name in FOUR_STEMS:
        assert sf.info(str(paths[name])).subtype == "FLOAT"
        np.testing.assert_array_equal(load_audio(paths[name]), whole[name])


def test_analysis_from_stem_files_equals_arrays(tmp_path):
    song = short_pair(bars=30)[0]  # a minute
    stems = song.truth_stems(FOUR_STEMS)
    files = {n: save_audio(tmp_path / f"{n}.wav", s) for n, s in stems.items()}
    mix = load_audio(song.mix_path)
    from_arrays = analyze_song(mix, SAMPLE_RATE, stems, title="a")
    from_files = analyze_song(mix, SAMPLE_RATE, files, title="a")
    assert from_files.model_dump() == from_arrays.model_dump()


def test_the_job_from_file_stems_equals_the_job_from_array_stems(tmp_path, monkeypatch):
    """The backend returning whole arrays (the dispatcher writes them) against
    writing its stems into the job's folder as it goes; 16 s songs and the
    vocals' draft stretch (as test_pipeline_e2e) keep the two jobs short."""
    from musicmixer.mix import rubberband

    monkeypatch.setattr(rubberband, "VOCAL_OPTIONS", [*rubberband.VOCAL_OPTIONS, "--window-short"])
    pair = short_pair()
    files = TruthBackend(*pair)

    def arrays(job):
        return files(dataclasses.replace(job, stem_dir=None))

    outputs = {}
    for name, backend in (("arrays", arrays), ("files", files)):
        settings = load_settings(stem_backend="local", vocal_sub_separation=False,
                                 data_dir=tmp_path / name / "data")
        result = run_mix(MixRequest(pair[0].mix_path, pair[1].mix_path, "vocals from song A over song B",
                                    tmp_path / name / "out" / "mashup.wav", backends={"local": backend}),
                         settings)
        outputs[name] = (load_audio(result.output), result.report["output"])
    (a, report_a), (b, report_b) = outputs["arrays"], outputs["files"]
    assert a.shape == b.shape
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
    assert report_b["lufs"] == report_a["lufs"] and report_b["true_peak_dbtp"] == report_a["true_peak_dbtp"]
