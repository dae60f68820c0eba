"""The main job end to end on short generated songs, in the four test
configurations, plus bad input. Local configurations separate with the songs'
ground truth (`TruthBackend`), the modal ones through the fake Modal function
(`separation_fakes.FakeModalFunction`, the real two-pass logic).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from pipeline_helpers import SONG_CACHE, TruthBackend
from separation_fakes import FakeModalFunction

from musicmixer.audio import integrated_lufs, load_audio, true_peak_db
from musicmixer.config import AB_FLAGS, load_settings
from musicmixer.errors import AnalysisError
from musicmixer.pipeline import MixRequest, run_mix
from musicmixer.separation.dispatcher import modal_backend
from musicmixer.stages import STAGE_NAMES
from musicmixer.stems import stems_for_settings
from musicmixer.testsongs import SongSpec, generate_song

PROMPT = "vocals from song A over song B, no backing vocals in the verse, choir in the chorus"
CONFIGS = {  # the four test configurations (docs/architecture.md)
    "1-baseline": dict(stem_backend="local", vocal_sub_separation=False, flags=False),
    "2-vocal-sep-only": dict(stem_backend="modal", vocal_sub_separation=True, flags=False),
    "3-sound-quality-only": dict(stem_backend="local", vocal_sub_separation=False, flags=True),
    "4-both": dict(stem_backend="modal", vocal_sub_separation=True, flags=True),
}


@pytest.fixture(autouse=True)
def draft_vocal_stretch(monkeypatch):
    """R3's short window ("draft mode") for the vocals here: same code path at a
    third of the CPU; the beat accuracy of the full engine is test_pipeline_align's."""
    from musicmixer.mix import rubberband

    monkeypatch.setattr(rubberband, "VOCAL_OPTIONS", [*rubberband.VOCAL_OPTIONS, "--window-short"])


@pytest.fixture(scope="module")
def songs():
    a = generate_song(SongSpec(tempo=120.0, key="C", mode="major", bars=8, seed=21,
                               title="E2E A", voices="gm"), SONG_CACHE)
    b = generate_song(SongSpec(tempo=100.0, key="A", mode="minor", bars=8, seed=22,
                               title="E2E B", voices="gm"), SONG_CACHE)
    return a, b


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One stem cache for the module: configurations 3 and 4 reuse the stems of 1 and 2
    (the ab_* flags do not change separation)."""
    return tmp_path_factory.mktemp("pipeline-data")


def config_settings(data_dir, stem_backend, vocal_sub_separation, flags):
    return load_settings(stem_backend=stem_backend, vocal_sub_separation=vocal_sub_separation,
                         data_dir=data_dir, **{f: flags for f in AB_FLAGS})


@pytest.mark.parametrize("config", list(CONFIGS))
def test_configuration_renders_end_to_end(config, songs, data_dir, tmp_path):
    a, b = songs
    settings = config_settings(data_dir, **CONFIGS[config])
    backends = {"local": TruthBackend(a, b), "modal": modal_backend(FakeModalFunction())}
    stages = []
    out = tmp_path / "out" / "mashup.wav"
    run_mix(MixRequest(a.mix_path, b.mix_path, PROMPT, out, backends=backends), settings,
            lambda stage, fraction, detail="": stages.append(stage))
    assert list(dict.fromkeys(stages)) == list(STAGE_NAMES)

    audio = load_audio(out)
    assert integrated_lufs(audio) == pytest.approx(settings.target_lufs, abs=0.5)
    assert true_peak_db(audio) <= settings.true_peak_ceiling_db + 0.05
    report = json.loads((out.parent / "report.json").read_text())
    plan = json.loads((out.parent / "plan.json").read_text())
    mode = stems_for_settings(settings)
    assert report["stem_mode"]["stems"] == mode and plan["stem_names"] == mode
    assert report["flags"] == {f: CONFIGS[config]["flags"] for f in AB_FLAGS}
    assert set(report["stage_seconds"]) >= set(STAGE_NAMES) - {"export"}
    assert report["tempo"]["vocal_ratio"] == pytest.approx(1.2, rel=0.03)
    for sid in ("song_a", "song_b"):  # the grid decisions the mix rests on, and how sure
        assert report["analysis"][sid]["phase_confidence"] >= 0.5
        assert report["analysis"][sid]["downbeat_confidence"] >= 0.5
    assert report["key"]["method"] == "key"  # C major over A minor: confident, relative keys
    assert report["key"]["clash_after"] == report["key"]["clash_before"] is not None
    vocal_files = sorted(p.stem for p in (out.parent / "stems").glob("*vocals.wav"))
    if settings.vocal_sub_separation:
        assert vocal_files == ["backing_vocals", "lead_vocals"]
        backing = [s["stem_gains"]["backing_vocals"] for s in plan["sections"]]
        assert max(backing) - min(backing) >= 0.3  # independent backing level per section
        rendered = load_audio(out.parent / "stems" / "backing_vocals.wav")
        spans = report["plan"]["sections"]
        loudest, quietest = (spans[int(np.argmax(backing))], spans[int(np.argmin(backing))])
        level = lambda s: float(np.sqrt(np.mean(  # noqa: E731
            rendered[:, int(s["start_s"] * 44100):int(s["end_s"] * 44100)] ** 2)) + 1e-12)
        assert 20 * np.log10(level(loudest) / level(quietest)) > 3.0  # audibly different
    else:
        assert vocal_files == ["vocals"]
    steps = report["mastering"]["steps"]
    assert ("14.5 reference mastering" in steps) == CONFIGS[config]["flags"]
    assert ("13.3 multiband" in steps) == CONFIGS[config]["flags"]
    assert sf.info(str(out)).samplerate == 44100


def test_a_failed_karaoke_pass_keeps_the_vocals(songs, tmp_path):
    """7 stems configured, the karaoke pass fails: the vocal song keeps one `vocals`
    stem, and the plan's lead and backing gains fold back onto it (not a silent voice)."""
    a, b = songs
    settings = config_settings(tmp_path / "data", "modal", True, False)
    backends = {"modal": modal_backend(FakeModalFunction(karaoke_behaviour="raise"))}
    out = tmp_path / "out" / "mashup.wav"
    result = run_mix(MixRequest(a.mix_path, b.mix_path, PROMPT, out, backends=backends), settings)
    assert any("lead/backing split failed" in w for w in result.warnings)
    plan = json.loads((out.parent / "plan.json").read_text())
    assert "vocals" in plan["stem_names"] and "lead_vocals" not in plan["stem_names"]
    assert max(s["stem_gains"]["vocals"] for s in plan["sections"]) > 0.5
    vocals = load_audio(out.parent / "stems" / "vocals.wav")
    assert 20 * np.log10(float(np.sqrt(np.mean(vocals ** 2))) + 1e-12) > -40.0


def write(path, audio):
    sf.write(str(path), audio.T, 44100, subtype="FLOAT")
    return path


@pytest.mark.parametrize("problem", ["too_short", "silent"])
def test_bad_song_typed_error_and_nothing_written(problem, songs, tmp_path):
    a, _ = songs
    bad = np.zeros((2, 44100 * 20), np.float32) if problem == "silent" else a.load_mix()[:, :44100 * 3]
    bad_path = write(tmp_path / "bad.wav", bad)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    backend = TruthBackend(a)
    with pytest.raises(AnalysisError, match="short" if problem == "too_short" else "silent"):
        run_mix(MixRequest(a.mix_path, bad_path, "x", out_dir / "m.wav",
                           backends={"local": backend}), load_settings(data_dir=tmp_path / "d"))
    assert list(out_dir.iterdir()) == []
    assert backend.calls == 0  # refused before any separation work


def test_unwritable_output_format_refused_before_any_work(songs, tmp_path):
    from musicmixer.mix.export import OutputFormatError

    a, b = songs
    backend = TruthBackend(a, b)
    with pytest.raises(OutputFormatError, match=r"wav, \.mp3 or \.flac"):
        run_mix(MixRequest(a.mix_path, b.mix_path, "x", tmp_path / "m.ogg",
                           backends={"local": backend}), load_settings(data_dir=tmp_path / "d"))
    assert backend.calls == 0 and not (tmp_path / "m.ogg").exists()


def test_cli_options_become_settings():
    from musicmixer.cli import build_parser
    from musicmixer.cli.cmd_mix import settings_overrides

    args = build_parser().parse_args(
        ["mix", "a.wav", "b.wav", "-o", "m.mp3", "--stem-backend", "modal",
         "--vocal-sub-separation", "--flag", "ab_multiband_comp_v1", "--target-lufs", "-12"])
    s = load_settings(**settings_overrides(args))
    assert s.stem_backend == "modal" and s.vocal_sub_separation and s.ab_multiband_comp_v1
    assert s.target_lufs == -12.0
    args = build_parser().parse_args(["mix", "a", "b", "-o", "m.wav", "--all-ab-flags",
                                      "--no-vocal-sub-separation"])
    s = load_settings(**settings_overrides(args))
    assert all(s.sound_quality_flags.values()) and not s.vocal_sub_separation
