"""One real end-to-end mashup: the local HTDemucs ONNX model separates two
~12 s generated songs, then every stage runs for real (slow: ~1x real time
separation on a laptop CPU; needs the model fetched by `make models`)."""

from __future__ import annotations

import json

import pytest
from pipeline_helpers import SONG_CACHE

from musicmixer.audio import integrated_lufs, load_audio, true_peak_db
from musicmixer.config import load_settings
from musicmixer.pipeline import MixRequest, run_mix
from musicmixer.testsongs import SongSpec, generate_song


@pytest.mark.slow
def test_real_local_model_end_to_end(tmp_path):
    a = generate_song(SongSpec(tempo=120.0, key="G", mode="major", bars=6, seed=41,
                               title="Slow A", voices="gm"), SONG_CACHE)
    b = generate_song(SongSpec(tempo=100.0, key="E", mode="minor", bars=5, seed=42,
                               title="Slow B", voices="gm"), SONG_CACHE)
    settings = load_settings(stem_backend="local", data_dir=tmp_path / "data")
    out = tmp_path / "out" / "mashup.flac"
    result = run_mix(MixRequest(a.mix_path, b.mix_path, "song A sings over song B", out), settings)
    audio = load_audio(out)
    assert audio.shape[-1] > 5 * 44100
    assert integrated_lufs(audio) == pytest.approx(settings.target_lufs, abs=0.5)
    assert true_peak_db(audio) <= settings.true_peak_ceiling_db + 0.05
    report = json.loads((out.parent / "report.json").read_text())
    assert report["separation"]["song_a"]["backend"] == "local"
    assert report["stem_mode"]["stems"] == ["vocals", "drums", "bass", "other"]
    assert sorted(p.stem for p in (out.parent / "stems").glob("*.wav")) == sorted(
        set(result.plan.stem_names) - set(report["dropped_stems"]))
