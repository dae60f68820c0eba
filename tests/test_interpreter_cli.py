"""`musicmixer plan` prints the plan as JSON (analyses given as JSON files)."""

from __future__ import annotations

import json

from interpreter_cases import song_pair

from musicmixer.cli import main


def test_plan_prints_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LLM_PROVIDER", "none")
    a, b = song_pair("7")
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(a.model_dump_json())
    pb.write_text(b.model_dump_json())
    code = main(["plan", str(pa), str(pb), "--prompt", "choir on the last chorus, vocals from B",
                 "--stem-backend", "modal", "--vocal-sub-separation"])
    assert code == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["vocal_source"] == "song_b" and plan["planner"] == "offline"
    assert list(plan["sections"][0]["stem_gains"])[:2] == ["lead_vocals", "backing_vocals"]
    last_chorus = [s for s in plan["sections"] if s["label"] == "chorus"][-1]
    assert last_chorus["stem_gains"]["backing_vocals"] >= 0.8


def test_plan_reports_a_missing_file(tmp_path, capsys):
    code = main(["plan", str(tmp_path / "nope.wav"), str(tmp_path / "nope2.wav"), "--offline"])
    assert code == 1
    assert "no such file" in capsys.readouterr().err


def test_plan_reports_a_bad_analysis_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["plan", str(bad), str(bad), "--offline"]) == 1
    assert "not a SongAnalysis" in capsys.readouterr().err
