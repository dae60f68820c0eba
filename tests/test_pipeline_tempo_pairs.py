"""Pairs at different tempo octaves render end to end (step 8's mapping):
a 170 BPM vocal over a 150 BPM band (1:1), a vocal tracked at half its felt
tempo (an 85 BPM grid, as a 170 BPM song read at 85 gives) over the same band
(1:2: mapped back), 190 over 95 (2:1); and a pair no mapping can match is
refused with the tempos it found, before anything is written.

Each rendered pair is checked where it matters: the vocal song's true beats,
sent through the beat map the render used (report.json), land on the
instrumental's true beat grid (its half-beats at 2:1), and the vocal start
bar's downbeat lands on the first output downbeat.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pipeline_helpers import SONG_CACHE, TruthBackend, drum_pulse

from musicmixer.analysis.analyze import analyze_file
from musicmixer.config import load_settings
from musicmixer.mix.align import map_time
from musicmixer.mix.tempo import TempoMatchError
from musicmixer.pipeline import MixRequest, run_mix
from musicmixer.separation.dispatcher import stem_array
from musicmixer.service.results import tempo_summary
from musicmixer.testsongs import SongSpec, generate_song

PROMPT = "vocals from song A over song B"


@pytest.fixture(autouse=True)
def draft_vocal_stretch(monkeypatch):
    """R3's short window for the vocals, as in test_pipeline_e2e (same code path)."""
    from musicmixer.mix import rubberband

    monkeypatch.setattr(rubberband, "VOCAL_OPTIONS", [*rubberband.VOCAL_OPTIONS, "--window-short"])


def song(tempo, bars, seed, title, key="C", mode="major"):
    return generate_song(SongSpec(tempo=tempo, key=key, mode=mode, bars=bars, seed=seed,
                                  title=title, voices="gm", feel="straight"), SONG_CACHE)


@pytest.fixture(scope="module")
def band_150():
    return song(150.0, 12, 41, "Band 150", "A", "minor")


def render(vocal, inst, tmp_path, backend=TruthBackend, **settings):
    out = tmp_path / "out" / "mashup.wav"
    result = run_mix(MixRequest(vocal.mix_path, inst.mix_path, PROMPT, out,
                                backends={"local": backend(vocal, inst)}),
                     load_settings(data_dir=tmp_path / "data", **settings))
    return result, json.loads((out.parent / "report.json").read_text()), \
        json.loads((out.parent / "plan.json").read_text())


def assert_on_the_grid(vocal, inst, plan, report, per_beat):
    """The vocal's true beats, through the render's beat map, on the instrumental's
    true beats (every 1/per_beat of one), within 25 ms."""
    anchors = np.asarray(report["alignment"]["vocal_beat_map"])
    v0, i0 = plan["vocal_range"]["start"], plan["instrumental_range"]["start"]
    tv = np.asarray(vocal.truth["beats"])
    tv = tv[(tv >= v0 - 0.02) & (tv <= v0 + anchors[-1, 0])]
    out = map_time(anchors, tv - v0, report["tempo"]["vocal_ratio"])
    ti = np.asarray(inst.truth["beats"]) - i0
    ti = ti[ti >= -0.02]
    step = 1.0 / per_beat if per_beat > 1 else 1.0
    grid = np.interp(np.arange(0, len(ti) - 1 + 1e-9, step), np.arange(len(ti)), ti)
    miss = np.array([np.min(np.abs(grid - t)) for t in out])
    assert len(out) >= 8
    assert np.median(miss) <= 0.015 and np.max(miss) <= 0.025, miss
    assert abs(out[0]) <= 0.025  # the vocal start bar's downbeat on output beat 0
    if per_beat < 1:  # 1:2: vocal beats fall on every second instrumental beat
        k = np.array([np.argmin(np.abs(ti - t)) for t in out])
        assert np.all(np.diff(k) == 2)


class BadDrums(TruthBackend):
    """The true stems, except that song A's drum stem pulses at 136 BPM: a
    separation whose drums carry a periodicity of their own."""

    def __call__(self, job):
        stems = super().__call__(job)
        first = next(iter(self.by_path))
        if Path(job.source_path).resolve() == first and "drums" in stems:
            stems["drums"] = drum_pulse(136.0, stem_array(stems["drums"]).shape[-1])
        return stems


@pytest.mark.parametrize("vocal_bpm, bars, mapping", [(170.0, 12, "1:1"), (85.0, 8, "1:2")])
def test_vocals_at_170_or_read_at_85_render_over_150(vocal_bpm, bars, mapping, band_150, tmp_path):
    """The 170 BPM song goes through a bad drum split: the job must still read
    the tempo `analyze` reads (it once read 136 here)."""
    vocal = song(vocal_bpm, bars, 43, f"Vocal {vocal_bpm:.0f}", "E", "minor")
    backend = BadDrums if vocal_bpm == 170.0 else TruthBackend
    _, report, plan = render(vocal, band_150, tmp_path, backend)
    analyzed = analyze_file(vocal.mix_path).tempo
    assert report["tempo"]["vocal_bpm"] == pytest.approx(analyzed, rel=0.01)
    assert report["tempo"]["mapping"] == mapping
    assert report["tempo"]["stretch"] == pytest.approx(170.0 / 150.0, rel=0.03)
    assert report["tempo"]["vocal_bpm"] == pytest.approx(vocal_bpm, rel=0.02)
    assert f"{mapping}," in plan["explanation"]
    assert tempo_summary(report)["mapping"] == mapping  # what the API hands the page
    assert report["analysis"]["song_a"]["tempo"] == pytest.approx(vocal_bpm, rel=0.02)
    assert {lv["level"] for lv in report["analysis"]["song_a"]["tempo_levels"]} == \
        {"half", "beat", "double"}
    assert_on_the_grid(vocal, band_150, plan, report, 2.0 if mapping == "2:1" else
                       0.5 if mapping == "1:2" else 1.0)


def test_190_over_95_renders_at_two_to_one(tmp_path):
    vocal = song(190.0, 24, 45, "Vocal 190", "G", "major")
    band = song(95.0, 12, 46, "Band 95", "G", "major")
    result, report, plan = render(vocal, band, tmp_path)
    assert report["tempo"]["mapping"] == "2:1"
    assert report["tempo"]["vocal_beats_per_beat"] == 2.0
    assert report["tempo"]["stretch"] == pytest.approx(1.0, abs=0.03)
    assert not any("stretched by" in w for w in result.warnings)
    # two vocal bars per output bar: the vocal range covers twice the planned bars
    planned_bars = (plan["sections"][-1]["end_beat"] - plan["sections"][0]["start_beat"]) // 4
    v = plan["vocal_range"]
    assert (v["end"] - v["start"]) == pytest.approx(
        min(2 * planned_bars * 240.0 / 190.0, vocal.truth["duration"] - v["start"]), rel=0.05)
    assert_on_the_grid(vocal, band, plan, report, 2.0)


def test_a_pair_no_mapping_can_match_is_refused_and_nothing_written(band_150, tmp_path):
    """170 over 150 needs 13% at best; with a 10% limit nothing works."""
    vocal = song(170.0, 12, 43, "Vocal 170", "E", "minor")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(TempoMatchError) as err:
        run_mix(MixRequest(vocal.mix_path, band_150.mix_path, PROMPT, out_dir / "m.wav",
                           backends={"local": TruthBackend(vocal, band_150)}),
                load_settings(data_dir=tmp_path / "data", max_tempo_stretch=0.10))
    msg = str(err.value)
    assert "cannot be matched" in msg and "10% limit" in msg
    for bpm in ("85", "170", "340", "75", "150", "300"):  # every level of both songs
        assert f" {bpm}" in msg, msg
    assert "136-165 BPM (1:1)" in msg  # what would work over this band
    assert list(out_dir.iterdir()) == []
