"""The web app starts a remix only when its estimated memory fits the budget."""

from __future__ import annotations

import threading
import time

from api_helpers import FakeMix, open_api

from musicmixer.service.admission import MemoryAdmission, estimate_mb


def test_estimate_grows_with_the_longer_song():
    assert estimate_mb([3.0, 3.0]) < estimate_mb([3.0, 15.0]) == estimate_mb([15.0, 1.0])


def test_admission_holds_back_what_would_pass_the_budget_until_memory_frees():
    gate = MemoryAdmission(budget_mb=1000)
    assert gate.acquire(600)
    started = threading.Event()

    def second():
        gate.acquire(600)
        started.set()

    t = threading.Thread(target=second, daemon=True)
    t.start()
    while gate.waiting == 0:  # it is waiting, not yet admitted
        time.sleep(0.01)
    assert not started.is_set() and gate.held_mb == 600
    assert gate.fits(300)  # a smaller job would still fit beside the first
    gate.release(600)
    assert started.wait(5)
    assert gate.held_mb == 600
    t.join(5)


def test_a_job_over_the_budget_alone_still_runs_when_nothing_else_does():
    gate = MemoryAdmission(budget_mb=100)
    assert gate.acquire(5000)
    stop = threading.Event()
    stop.set()
    assert not gate.acquire(10, stop)  # shutting down: the waiter gives up, holds nothing
    gate.release(5000)
    assert gate.held_mb == 0 and gate.acquire(5000)


def test_runner_keeps_a_job_queued_while_the_running_one_holds_the_memory(tmp_path):
    """Two workers, a budget for one job: the second job waits queued and starts
    when the first one ends."""
    gate = threading.Event()
    fake = FakeMix(gate=gate)
    one_job = estimate_mb([7.0 / 60])  # api.post's songs are 7 s long
    with open_api("app", tmp_path, job_fn=fake, web_workers=2,
                  job_memory_budget_mb=1.5 * one_job) as api:
        admission = api.client.app.state.runner.admission
        first = api.post().json()["session_id"]
        api.wait(first, until=("running",))
        second = api.post().json()["session_id"]
        for _ in range(500):  # the second worker took it and waits for memory
            if admission.waiting == 1:
                break
            time.sleep(0.01)
        assert admission.waiting == 1
        assert api.client.get(f"/api/remix/{second}/status").json()["status"] == "queued"
        assert len(fake.calls) == 1
        gate.set()
        assert api.wait(first)["status"] == "complete"
        assert api.wait(second)["status"] == "complete"
        for _ in range(500):  # the worker lets the memory go just after the job's end
            if admission.held_mb == 0:
                break
            time.sleep(0.01)
        assert len(fake.calls) == 2 and admission.held_mb == 0
