"""`/metrics` in embedded mode: Prometheus text with the queue depth, jobs by
state, the workers alive and a histogram of run lengths that counts each
finished run once."""

from __future__ import annotations

import time

from api_helpers import open_api


def test_metrics_count_jobs_runs_and_workers(tmp_path):
    with open_api("app", tmp_path, web_workers=2) as api:
        ids = [api.post().json()["session_id"] for _ in range(2)]
        for sid in ids:
            assert api.wait(sid)["status"] == "complete"
        counted = 'musicmixer_job_duration_seconds_count{outcome="complete"} 2'
        for _ in range(200):  # a run is counted just after its job reads complete
            r = api.client.get("/metrics")
            if counted in r.text:
                break
            time.sleep(0.05)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        lines = r.text.splitlines()
        assert "musicmixer_queue_depth 0" in lines
        assert 'musicmixer_jobs{state="complete"} 2' in lines
        assert 'musicmixer_jobs{state="running"} 0' in lines
        assert "musicmixer_workers 2" in lines
        assert counted in lines
        assert 'musicmixer_job_duration_seconds_bucket{outcome="complete",le="+Inf"} 2' in lines
        assert "# TYPE musicmixer_job_duration_seconds histogram" in lines
        assert not any("queue_messages" in line for line in lines)  # no broker here
