"""The local 5-stem mode (STEM_BACKEND=local, VOCAL_SUB_SEPARATION and
LOCAL_VOCAL_SPLIT): the dispatcher runs the offline split after the 4-stem
separation, says which split ran and why (here, in report.json and on the CLI),
and `musicmixer mix` renders it end to end. The 4-stem separation is the
generated songs' own truth (`local_backend`), so the real split runs on a
stereo vocal stem with the lead centred and two backing voices panned wide."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pipeline_helpers import short_pair
from separation_fakes import FakeModalFunction

from musicmixer.audio import load_audio
from musicmixer.config import load_settings
from musicmixer.separation import dispatcher
from musicmixer.separation.dispatcher import local_backend, modal_backend, separate_stems
from musicmixer.stems import FIVE_STEMS, FOUR_STEMS


class TruthFour:
    """A stand-in for HTDemucs: the song's exact vocals, drums, bass and other."""

    def __init__(self, *songs):
        self.by_path = {Path(s.mix_path).resolve(): s for s in songs}
        self.calls = 0

    def __call__(self, job):
        self.calls += 1
        stems = self.by_path[Path(job.source_path).resolve()].truth_stems(FOUR_STEMS)
        return {k: np.ascontiguousarray(v[:, : job.audio.shape[1]]) for k, v in stems.items()}


@pytest.fixture(scope="module")
def songs():
    return short_pair(bars=8)


def settings(tmp_path, **kw):
    values = dict(stem_backend="local", vocal_sub_separation=True, local_vocal_split=True,
                  data_dir=tmp_path)
    return load_settings(**(values | kw))


def test_the_local_backend_splits_the_vocals_and_says_so(songs, tmp_path):
    a, _ = songs
    fake = TruthFour(a)
    backends = {"local": local_backend(fake)}
    result = separate_stems(a.mix_path, tmp_path / "one", settings=settings(tmp_path),
                            backends=backends)
    assert result.stem_names == FIVE_STEMS and result.vocal_sub_separation
    assert result.vocal_split == "offline split"
    assert "panned backing" in result.vocal_split_reason
    lead, backing = load_audio(result["lead_vocals"]), load_audio(result["backing_vocals"])
    vocals = a.truth_stems(["vocals"])["vocals"][:, : lead.shape[1]]
    assert np.max(np.abs(lead + backing - vocals)) < 1e-5
    # the generated backing voices end up in backing_vocals
    truth = a.load_stem("backing_vocals")[:, : lead.shape[1]]
    assert np.sum(backing * truth) / np.sum(truth * truth) > 0.7
    # a cache hit says the same, without separating again
    again = separate_stems(a.mix_path, tmp_path / "two", settings=settings(tmp_path),
                           backends=backends)
    assert again.cache_hit and fake.calls == 1
    assert (again.vocal_split, again.vocal_split_reason) == (result.vocal_split, result.vocal_split_reason)
    # the 4-stem row is a different cache entry
    four = separate_stems(a.mix_path, tmp_path / "four", backends=backends,
                          settings=settings(tmp_path, local_vocal_split=False))
    assert four.stem_names == FOUR_STEMS and not four.cache_hit


def test_the_split_leaves_the_other_stems_as_the_separator_returned_them(songs, tmp_path):
    """Backing voices the separator put in "other" stay there (the split works
    on the vocal stem alone), and the 5 stems sum to the separator's 4."""
    a, _ = songs
    four = a.truth_stems(FOUR_STEMS)
    wide = a.load_stem("backing_vocals")[:, : four["other"].shape[1]]
    four = dict(four, vocals=four["vocals"] - wide, other=four["other"] + wide)  # a missed harmony
    result = separate_stems(a.mix_path, tmp_path / "out", settings=settings(tmp_path), cache=False,
                            backends={"local": local_backend(lambda job: four)})
    five = {name: load_audio(result[name]) for name in result.stem_names}
    for name in ("drums", "bass", "other"):
        assert np.array_equal(five[name], four[name])
    assert np.max(np.abs(sum(five.values()) - sum(four.values()))) < 1e-5
    assert np.sum(five["backing_vocals"] * wide) < 0.05 * np.sum(wide * wide)


@pytest.mark.parametrize("kw,split,why", [
    (dict(local_vocal_split=False), "none", "LOCAL_VOCAL_SPLIT=true"),
    (dict(vocal_sub_separation=False), "none", "VOCAL_SUB_SEPARATION is off"),
    (dict(stem_backend="modal"), "karaoke model", "modal"),
])
def test_every_configuration_says_which_split_ran(songs, tmp_path, kw, split, why):
    a, _ = songs
    backends = {"local": local_backend(TruthFour(a)), "modal": modal_backend(FakeModalFunction())}
    result = separate_stems(a.mix_path, tmp_path / "out", settings=settings(tmp_path, **kw),
                            backends=backends, cache=False)
    assert result.vocal_split == split
    assert why in result.vocal_split_reason


@pytest.mark.parametrize("flags", [False, True])
def test_musicmixer_mix_renders_the_five_stem_mode(songs, tmp_path, monkeypatch, capsys, flags):
    """As the 7-stem mode does in test_pipeline_e2e, with and without every ab_* flag."""
    from musicmixer.cli import main
    from musicmixer.mix import rubberband

    # R3's short window for the vocals: the same code path at a third of the CPU
    monkeypatch.setattr(rubberband, "VOCAL_OPTIONS", [*rubberband.VOCAL_OPTIONS, "--window-short"])
    a, b = songs
    monkeypatch.setitem(dispatcher.BACKENDS, "local", local_backend(TruthFour(a, b)))
    out = tmp_path / "out" / "mashup.wav"
    code = main(["mix", str(a.mix_path), str(b.mix_path), "-o", str(out), "--no-progress",
                 "--prompt", "vocals from song A over song B, no backing vocals in the verse, "
                             "choir in the chorus",
                 "--stem-backend", "local", "--vocal-sub-separation", "--local-vocal-split",
                 "--llm-provider", "none", "--data-dir", str(tmp_path / "data"),
                 "--all-ab-flags" if flags else "--no-ab-flags"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "vocal split: offline split (" in printed
    report = json.loads((out.parent / "report.json").read_text())
    plan = json.loads((out.parent / "plan.json").read_text())
    assert report["stem_mode"]["stems"] == FIVE_STEMS and plan["stem_names"] == FIVE_STEMS
    assert report["stem_mode"]["local_vocal_split"] is True
    assert all(report["flags"].values()) if flags else not any(report["flags"].values())
    vocal = report["separation"][plan["vocal_source"]]
    assert vocal["vocal_split"] == "offline split" and vocal["stems"] == FIVE_STEMS
    vocal_files = sorted(p.stem for p in (out.parent / "stems").glob("*vocals.wav"))
    assert vocal_files == ["backing_vocals", "lead_vocals"]
    backing = [s["stem_gains"]["backing_vocals"] for s in plan["sections"]]
    assert max(backing) - min(backing) >= 0.3  # the backing level follows the prompt per section
    rendered = load_audio(out.parent / "stems" / "backing_vocals.wav")
    spans = report["plan"]["sections"]
    loud, quiet = spans[int(np.argmax(backing))], spans[int(np.argmin(backing))]

    def level(span):
        part = rendered[:, int(span["start_s"] * 44100):int(span["end_s"] * 44100)]
        return float(np.sqrt(np.mean(part ** 2))) + 1e-12

    assert 20 * np.log10(level(loud) / level(quiet)) > 3.0  # audibly different


def test_musicmixer_plan_plans_for_the_five_stem_mode(tmp_path, capsys, monkeypatch):
    from interpreter_cases import song_pair

    from musicmixer.cli import main

    monkeypatch.setenv("LLM_PROVIDER", "none")
    a, b = song_pair("7")
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(a.model_dump_json())
    pb.write_text(b.model_dump_json())
    code = main(["plan", str(pa), str(pb), "--prompt", "choir on the last chorus",
                 "--stem-backend", "local", "--vocal-sub-separation", "--local-vocal-split"])
    assert code == 0
    plan = json.loads(capsys.readouterr().out)
    assert [list(s["stem_gains"]) for s in plan["sections"]] == [FIVE_STEMS] * len(plan["sections"])
