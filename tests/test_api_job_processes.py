"""The default runner: every remix in a process of its own (the web process
never renders, a job's memory returns when it ends), cancel reaching that
process, and a job whose process dies put back in the queue or, after
`MAX_STARTS` deaths, failed with a sentence."""

from __future__ import annotations

import os
import time

import pytest
from api_helpers import open_api

from musicmixer.service.jobs import MAX_STARTS, JobStore
from musicmixer.service.jobs_sqlite import SqliteJobStore


@pytest.fixture
def shared(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    monkeypatch.setenv("MM_TEST_DIR", str(folder))
    return folder


def _store(api) -> JobStore:
    return SqliteJobStore(api.data_dir / "web" / "jobs.sqlite3")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_each_job_runs_in_its_own_process_that_ends(tmp_path, shared):
    with open_api("app", tmp_path / "data", job_fn="job_fakes:recording_mix",
                  web_workers=2) as api:
        ids = [api.post().json()["session_id"] for _ in range(3)]
        for sid in ids:
            status = api.wait(sid)
            assert status["status"] == "complete", status
            assert api.client.get(f"/api/remix/{sid}/audio").status_code == 200
        pids = {int((shared / f"pid-{sid}").read_text()) for sid in ids}
        assert len(pids) == 3 and os.getpid() not in pids
        for _ in range(400):  # the job ends its row, then its process exits and is reaped
            if not any(_pid_alive(p) for p in pids):
                break
            time.sleep(0.05)
        assert not any(_pid_alive(p) for p in pids)  # the memory went back with the process
        steps = [e.step for e in _store(api).events_after(ids[0], 0)]
        assert steps[-1] == "complete" and "separating" in steps


def test_cancel_reaches_the_job_process(tmp_path, shared):
    with open_api("app", tmp_path / "data", job_fn="job_fakes:gated_mix") as api:
        sid = api.post().json()["session_id"]
        api.wait(sid, until=("running",))
        while not (shared / f"pid-{sid}").exists():
            api.wait(sid, until=("running",))
        assert api.cancel(sid).status_code == 200
        status = api.wait(sid)
        assert status["status"] == "cancelled" and status["step"] == "cancelled"
        assert sid not in api.remix_dirs()


def test_a_job_whose_process_dies_is_queued_again_and_completes(tmp_path, shared):
    with open_api("app", tmp_path / "data", job_fn="job_fakes:dies_once_mix") as api:
        sid = api.post().json()["session_id"]
        status = api.wait(sid)
        assert status["status"] == "complete", status
        events = _store(api).events_after(sid, 0)
        assert any("stopped unexpectedly" in e.detail for e in events)
        progress = [e.progress for e in events]
        assert progress == sorted(progress)  # the bar never goes back across the rerun
        assert (shared / f"died-{sid}").exists()


def test_a_job_that_kills_its_process_every_time_fails_with_a_sentence(tmp_path, shared):
    with open_api("app", tmp_path / "data", job_fn="job_fakes:always_dies_mix") as api:
        sid = api.post().json()["session_id"]
        status = api.wait(sid)
        assert status["status"] == "failed", status
        assert f"stopped {MAX_STARTS} times" in status["error"]
        assert sid not in api.remix_dirs()


def test_a_job_whose_process_raises_fails_at_once_with_a_sentence(tmp_path, shared):
    """An exception outside the mix (here: its job function cannot be found) is
    not a lost process: the job is not tried again."""
    with open_api("app", tmp_path / "data", job_fn="job_fakes:no_such_mix") as api:
        sid = api.post().json()["session_id"]
        status = api.wait(sid)
        assert status["status"] == "failed", status
        assert "could not recover" in status["error"] and "exit code 1" in status["error"]
        assert _store(api).get(sid).attempts == 1
        assert sid not in api.remix_dirs()


def test_ready_answers_while_the_workers_run_and_not_after(tmp_path, shared):
    with open_api("app", tmp_path / "data", job_fn="job_fakes:recording_mix") as api:
        assert api.client.get("/ready").json() == {"status": "ready"}
        runner = api.client.app.state.runner
        runner.stop()
        r = api.client.get("/ready")
        assert r.status_code == 503 and "workers are not running" in r.json()["detail"]


def test_a_job_process_whose_parent_died_while_it_started_exits(tmp_path):
    """The parent's pid comes from the parent: a worker killed while its job
    process was still importing left it adopted, and it ran the job to the end
    beside the job's redelivered run (bench/cluster.py found it)."""
    import subprocess
    import sys

    code = ("from musicmixer.service.job_process import _exit_with_parent\n"
            "_exit_with_parent(1)\nprint('still running')\n")  # pid 1 is not our parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3 and "still running" not in done.stdout
