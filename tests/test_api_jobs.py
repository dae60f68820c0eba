"""Jobs that survive: the bounded queue, cancelling, heartbeats, a client
leaving, restarts and expiry."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest
from api_helpers import FakeMix, open_api, settings_for, wav_bytes
from fastapi.testclient import TestClient

from musicmixer.service import create_app
from musicmixer.service.job_stores import store_for
from musicmixer.service.jobs import INTERRUPTED_REASON


def test_queue_depth_gives_503_with_a_message(tmp_path):
    with open_api("server", tmp_path, open_gate=False, web_queue_depth=2) as api:
        ids = [api.post().json()["session_id"] for _ in range(3)]  # 1 running + 2 waiting
        api.wait(ids[0], until=("running",))
        before = api.remix_dirs()
        r = api.post()
        assert r.status_code == 503 and r.headers["retry-after"] == "60"
        assert "Server is at capacity" in r.json()["detail"]
        assert api.remix_dirs() == before  # the refused upload left nothing
        positions = [api.client.get(f"/api/remix/{i}/status").json() for i in ids]
        assert [p["status"] for p in positions] == ["running", "queued", "queued"]
        assert [p["detail"] for p in positions[1:]] == ["1 remix ahead of yours",
                                                        "2 remixes ahead of yours"]
        assert api.cancel(ids[1]).json()["status"] == "cancelled"
        assert api.post().status_code == 202  # room again
        r = api.client.get(f"/api/remix/{ids[2]}/status").json()
        assert r["detail"] == "1 remix ahead of yours"
        for i in ids:
            api.cancel(i)


def test_heartbeats_and_a_leaving_client_does_not_cancel(tmp_path):
    with open_api("server", tmp_path, open_gate=False) as api:
        sid = api.post().json()["session_id"]
        api.wait(sid, until=("running",))
        seen = []
        with api.client.stream("GET", f"/api/remix/{sid}/progress", timeout=10) as resp:
            for line in resp.iter_lines():
                seen.append(line)
                if line.startswith(": heartbeat") or len(seen) > 200:
                    break
        assert any(line.startswith(": heartbeat") for line in seen)
        assert any(line.startswith("data: ") for line in seen)
        time.sleep(0.3)
        assert api.client.get(f"/api/remix/{sid}/status").json()["status"] == "running"
        r = api.cancel(sid)
        assert r.status_code == 200
        status = api.wait(sid)
        assert status["status"] == "cancelled" and status["step"] == "cancelled"
        assert sid not in api.remix_dirs()


def test_cancel_waiting_and_running_jobs(tmp_path):
    gate = threading.Event()
    with open_api("app", tmp_path, job_fn=FakeMix(gate=gate)) as api:
        first, second = (api.post().json()["session_id"] for _ in range(2))
        api.wait(first, until=("running",))
        assert api.cancel(second).json()["status"] == "cancelled"
        assert api.events(second)[-1]["step"] == "cancelled"
        assert api.cancel(first).status_code == 200
        assert api.wait(first)["status"] == "cancelled"
        assert api.remix_dirs() == set()
        r = api.cancel(first)
        assert r.status_code == 409 and "already cancelled" in r.json()["detail"]


def test_restart_resumes_interrupted_and_waiting_keeps_finished(tmp_path):
    """Found #10: a job the server died in was failed and its uploads deleted."""
    with open_api("app", tmp_path) as api:
        finished = api.post().json()["session_id"]
        api.wait(finished)
        audio = api.client.get(f"/api/remix/{finished}/audio").content
    # what crashes leave: jobs mid-run (with and without their uploads, and one the
    # server died in three times), one waiting, and a re-render cut off midway
    store = store_for(settings_for(tmp_path))
    root = tmp_path / "web" / "remixes"
    rows = {}
    for name, status, uploads, attempts in (("crashed", "running", True, 1),
                                            ("no_uploads", "running", False, 1),
                                            ("crashed_often", "running", True, 3),
                                            ("waiting", "queued", True, 0)):
        job_id = f"00000000-0000-4000-8000-00000000000{len(rows)}"
        (root / job_id / "base" / "stems").mkdir(parents=True)  # a half-written render
        (root / job_id / "base" / "stems" / "drums.wav").write_bytes(b"half")
        if uploads:
            (root / job_id / "uploads").mkdir()
            for song in ("song_a", "song_b"):
                (root / job_id / "uploads" / f"{song}.wav").write_bytes(wav_bytes())
        store.create(job_id, "again", {}, root / job_id, 3600, names={"song_a": "Mine.wav"})
        store.update(job_id, status=status, attempts=attempts)
        rows[name] = job_id
    partial = root / finished / "renders" / "1"
    partial.mkdir(parents=True)
    (partial / "remix.mp3").write_bytes(b"half a re-render")
    with open_api("app", tmp_path) as api:
        assert not partial.exists()  # removed at start-up
        for name in ("crashed", "waiting"):
            assert api.wait(rows[name])["status"] == "complete", name
        details = [e["detail"] for e in api.events(rows["crashed"], headers={"Last-Event-ID": "0"})]
        assert any("back in the queue" in d for d in details)
        for name in ("no_uploads", "crashed_often"):
            status = api.wait(rows[name])
            assert status["status"] == "failed" and status["error"] == INTERRUPTED_REASON
            assert rows[name] not in api.remix_dirs()
        # uploads are kept until a job ends, then removed
        assert not (root / rows["crashed"] / "uploads").exists()
        assert api.client.get(f"/api/remix/{finished}/audio").content == audio


def test_killed_mid_separation_resumes_to_completion_without_a_new_upload(tmp_path):
    with open_api("server", tmp_path, open_gate=False) as api:
        sid = api.post(a=("Night Drive.wav", None)).json()["session_id"]
        api.wait(sid, until=("running",))
        uploads = sorted(p.name for p in (tmp_path / "web" / "remixes" / sid / "uploads").iterdir())
        api.server.proc.kill()  # SIGKILL: no shutdown code runs
        api.server.proc.wait(10)
    assert uploads == ["song_a.wav", "song_b.wav"]
    with open_api("server", tmp_path, open_gate=True) as api:  # nothing posted again
        status = api.wait(sid)
        assert status["status"] == "complete", status
        assert api.client.get(f"/api/remix/{sid}/audio").status_code == 200
        steps = [e["step"] for e in api.events(sid, headers={"Last-Event-ID": "0"})]
        assert steps.count("separating") >= 2 and steps[-1] == "complete"


def test_shutdown_mid_mix_puts_the_job_back_and_it_finishes_after_the_restart(tmp_path):
    gate = threading.Event()
    with open_api("app", tmp_path, job_fn=FakeMix(gate=gate)) as api:
        sid = api.post().json()["session_id"]
        api.wait(sid, until=("running",))
    with open_api("app", tmp_path) as api:
        assert api.wait(sid)["status"] == "complete"
        details = [e["detail"] for e in api.events(sid, headers={"Last-Event-ID": "0"})]
        assert any("server is restarting" in d for d in details)


def test_expiry_deletes_every_file(tmp_path):
    settings = settings_for(tmp_path, remix_ttl_hours=0.0003)  # about a second
    app = create_app(settings, job_fn=FakeMix(), sweep_interval_s=0.2)
    with TestClient(app) as client:
        r = client.post("/api/remix", data={"prompt": "x"},
                        files={"song_a": ("a.wav", wav_bytes()), "song_b": ("b.wav", wav_bytes())})
        sid = r.json()["session_id"]
        folder = tmp_path / "web" / "remixes" / sid
        status = {}
        for _ in range(400):
            status = client.get(f"/api/remix/{sid}/status")
            if status.status_code == 410 and not folder.exists():
                break
            time.sleep(0.05)
        assert status.status_code == 410 and "expired" in status.json()["detail"]
        assert not folder.exists()
        for suffix in ("audio", "stems", "plan", "progress"):
            assert client.get(f"/api/remix/{sid}/{suffix}").status_code == 410


def test_sweep_spares_young_and_running_remixes(tmp_path):
    gate = threading.Event()
    with open_api("app", tmp_path, job_fn=FakeMix(gate=gate)) as api:
        running = api.post().json()["session_id"]
        api.wait(running, until=("running",))
        runner = api.client.app.state.runner
        assert runner.sweep() == []
        assert runner.sweep(now=time.time() + 10 * 3600) == []  # running: never swept
        gate.set()
        api.wait(running)
        assert runner.sweep() == []
        assert runner.sweep(now=time.time() + 3 * 3600 + 60) == [running]
        assert api.client.get(f"/api/remix/{running}/status").status_code == 410


@pytest.mark.parametrize("options", [{"vocal_sub_separation": False}, {"target_lufs": -16.0}])
def test_per_request_options_reach_the_job(tmp_path, options):
    fake = FakeMix()
    seen = {}

    def job(request, settings, progress):
        seen.update({k: getattr(settings, k) for k in options})
        return fake(request, settings, progress)

    with open_api("app", tmp_path, job_fn=job) as api:
        sid = api.post(options=json.dumps(options)).json()["session_id"]
        assert api.wait(sid)["status"] == "complete"
    assert seen == options
    shutil.rmtree(tmp_path, ignore_errors=True)
