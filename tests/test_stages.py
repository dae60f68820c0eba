"""The one stage table (`musicmixer.stages.STAGES`) is what the pipeline runs,
what the web runner weighs, what the report sums and what the page shows."""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import musicmixer.pipeline
import musicmixer.service
from musicmixer.service import create_app
from musicmixer.service.jobs_sqlite import SqliteJobStore
from musicmixer.service.runner import FINISHING, JobProgress
from musicmixer.stages import MIX_STAGES, STAGE_NAMES, STAGES, StageTimer, stage_named, web_steps

STATIC = Path(musicmixer.service.__file__).parent / "static"


def test_the_table_is_well_formed():
    assert len(set(STAGE_NAMES)) == len(STAGES)
    assert all(s.weight > 0 and s.label and s.step for s in STAGES)
    assert sum(s.weight for s in STAGES) == pytest.approx(1.0)
    assert MIX_STAGES == ("prepare", "render", "master", "export")
    for s in STAGES:  # a shared step has one label
        assert {t.label for t in STAGES if t.step == s.step} == {s.label}


def test_the_pipeline_runs_every_stage_in_table_order():
    """`run_mix`'s `timer.stage("...")` blocks, read from its source, are the table."""
    tree = ast.parse(Path(musicmixer.pipeline.__file__).read_text())
    run_mix = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run_mix")
    calls = sorted((c.lineno, c.args[0].value) for c in ast.walk(run_mix)
                   if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                   and c.func.attr == "stage" and ast.unparse(c.func.value) == "timer")
    assert [name for _, name in calls] == list(STAGE_NAMES)


def test_the_runner_weighs_every_stage(tmp_path):
    """Each stage moves the overall fraction by its weight, under its own step."""
    store = SqliteJobStore(tmp_path / "jobs.sqlite")
    job = store.create("job-1", "p", {}, tmp_path / "job", 3600.0)
    progress = JobProgress(store, job.id, threading.Event())
    before = 0.0
    for s in STAGES:
        progress.stage(s.name, 0.0)
        assert progress.last == pytest.approx(before, abs=1e-9)
        progress.stage(s.name, 1.0)
        last = store.last_event(job.id)
        assert last.step == s.step
        assert last.progress == pytest.approx(before + s.weight * FINISHING, abs=1e-4)
        before = progress.last
    assert before == pytest.approx(FINISHING)
    with pytest.raises(KeyError, match="unknown stage"):
        progress.stage("not-a-stage", 0.5)


def test_the_page_gets_its_steps_from_the_api(tmp_path):
    from api_helpers import settings_for

    with TestClient(create_app(settings_for(tmp_path), job_fn=lambda *a: None)) as client:
        table = client.get("/api/stages").json()
    assert [s["name"] for s in table["stages"]] == list(STAGE_NAMES)
    assert table["steps"] == web_steps()
    steps = [s["step"] for s in table["steps"]]
    assert steps[0] == "queue_position" and steps[-1] == "complete"
    assert all(s.step in steps for s in STAGES)
    scripts = "\n".join(p.read_text() for p in STATIC.glob("*.js"))
    assert '"/api/stages"' in scripts
    # No copy of the table in the page (`$("master")` is an element id, not a stage).
    literals = set(re.findall(r'(?<!\$\()"([a-z_]+)"', scripts))
    assert not literals & ({s.name for s in STAGES} | {s.step for s in STAGES}
                           | {"queue_position"})
    assert not any(s.label in scripts for s in STAGES)


def test_stage_times_and_reports_progress_together():
    calls = []
    timer = StageTimer(lambda stage, fraction, detail="": calls.append((stage, fraction, detail)))
    with timer.stage("ingest", "decoding") as step:
        step(0.5, "half")
    with timer.stage("interpret") as step:
        step(1.0, "offline")  # the block's own end: no second one
    with pytest.raises(RuntimeError), timer.stage("render"):
        raise RuntimeError("boom")  # no end reported for a failed stage
    assert calls == [("ingest", 0.0, "decoding"), ("ingest", 0.5, "half"), ("ingest", 1.0, ""),
                     ("interpret", 0.0, ""), ("interpret", 1.0, "offline"), ("render", 0.0, "")]
    assert list(timer.seconds) == ["ingest", "interpret", "render"]
    with pytest.raises(KeyError), timer.stage("not-a-stage"):
        pass
    assert stage_named("separate").step == "separating"
