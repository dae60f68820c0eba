"""Shared bits of the web API tests: a fast fake mix that writes real files the
way the pipeline's export does, small valid and invalid uploads, and a real
server process on a free loopback port."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import soundfile as sf

from musicmixer.interpreter.plan import RemixPlan
from musicmixer.mix.export import export
from musicmixer.stages import STAGE_NAMES
from musicmixer.stems import is_vocal, stems_for_settings

SR = 44100
BPM = 120.0


class FakeMix:
    """A `job_fn`: one tone per stem, two sections, exported like the pipeline.

    `gate`: while it is clear the job waits in its "separate" stage (still
    reporting progress, so it can be cancelled). `fail`: an exception to raise.
    """

    def __init__(self, seconds: float = 4.0, gate: threading.Event | None = None,
                 fail: Exception | None = None, explanation: str = "A test mix."):
        self.seconds, self.gate, self.fail = seconds, gate, fail
        self.explanation = explanation
        self.calls: list = []

    def __call__(self, request, settings, progress):
        self.calls.append(request)
        for stage in STAGE_NAMES:
            progress(stage, 0.0, f"{stage} starts")
            while stage == "separate" and self.gate is not None and not self.gate.is_set():
                progress(stage, 0.5, "waiting for the test")
                time.sleep(0.02)
            # as the pipeline does: the export stage names the file it wrote
            progress(stage, 1.0, str(request.output) if stage == "export" else "")
            if self.fail is not None and stage == "analyze":
                raise self.fail
        stems = stems_for_settings(settings)
        n = int(self.seconds * SR)
        t = np.arange(n) / SR
        per_stem = {name: np.stack([0.1 * np.sin(2 * np.pi * (110 * (i + 1)) * t)] * 2)
                    .astype(np.float32) for i, name in enumerate(stems)}
        half = int(self.seconds * BPM / 60 / 2) // 4 * 4
        sections = [
            {"label": "verse", "start_beat": 0, "end_beat": half, "transition_in": "cut",
             "transition_beats": 0, "stem_gains": {s: (0.5 if is_vocal(s) else 1.0) for s in stems}},
            {"label": "chorus", "start_beat": half, "end_beat": 2 * half, "transition_in": "cut",
             "transition_beats": 0, "stem_gains": {s: 1.0 for s in stems}},
        ]
        for i, section in enumerate(sections):  # the per-stem files carry the section gains
            a, b = int(section["start_beat"] * 60 / BPM * SR), int(section["end_beat"] * 60 / BPM * SR)
            if i == len(sections) - 1:
                b = n
            for s in stems:
                per_stem[s][:, a:b] *= section["stem_gains"][s]
        mix = sum(per_stem.values()) * 0.5
        plan = RemixPlan(sections=sections, stem_names=stems, planner="fake",
                         explanation=self.explanation, vocal_source="song_a", vocal_start_bar=0,
                         vocal_range={"start": 0.0, "end": self.seconds},
                         instrumental_range={"start": 0.0, "end": self.seconds})
        report = {"tempo": {"target_bpm": BPM, "mapping": "2:1", "vocal_bpm": 60.0,
                            "instrumental_bpm": BPM, "stretch": 1.0},
                  "key": {"vocal_key": "C major", "instrumental_key": "A minor", "total_shift": -3,
                          "vocal_shift": -2, "instrumental_shift": 1},
                  "analysis": {"song_a": {"tempo": 60.0, "key": "C major", "title": "song_a",
                                          "duration_s": 7.0},
                               "song_b": {"tempo": BPM, "key": "A minor", "title": "song_b",
                                          "duration_s": 7.0}},
                  "warnings": []}
        export(request.output, mix, SR, per_stem, plan.model_dump(mode="json"), report)
        return SimpleNamespace(output=Path(request.output), warnings=[])


def wav_bytes(seconds: float = 7.0, sr: int = 8000, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    t = np.arange(int(seconds * sr)) / sr
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, format="WAV",
             subtype=subtype)
    return buf.getvalue()


def mp3_bytes(seconds: float = 2.0) -> bytes:
    """An MP3 as encoders write it to a file (with its Info frame)."""
    import tempfile

    wav = wav_bytes(seconds, 44100)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.mp3"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "wav", "-i", "-", str(out)],
                       input=wav, capture_output=True, check=True)
        return out.read_bytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(client, tries: int = 400, pause_s: float = 0.05) -> None:
    """Poll `/health` until a just-started server answers (an httpx2 client)."""
    import httpx2

    for _ in range(tries):
        try:
            client.get("/health")
            return
        except httpx2.TransportError:
            time.sleep(pause_s)


SERVER_SCRIPT = """
import sys, threading, uvicorn
sys.path.insert(0, {tests!r})
from api_helpers import FakeMix
from musicmixer.config import load_settings
from musicmixer.service import create_app
settings = load_settings(data_dir={data!r}, web_queue_depth={depth}, web_workers=1,
                         stem_backend="modal", vocal_sub_separation=True, web_rate_limit={rate},
                         min_free_disk_mb=0)
gate = threading.Event()
gate.set() if {open_gate} else None
app = create_app(settings, job_fn=FakeMix(gate=gate), heartbeat_s=0.5)
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


class ServerProcess:
    """`musicmixer`'s app under uvicorn in a child process, on 127.0.0.1 only."""

    def __init__(self, data_dir: Path, depth: int = 10, open_gate: bool = True, rate: int = 0):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        script = SERVER_SCRIPT.format(tests=str(Path(__file__).parent), data=str(data_dir),
                                      depth=depth, open_gate=open_gate, port=self.port, rate=rate)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-c", script], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait_ready(self, client, tries: int = 200) -> None:
        for _ in range(tries):
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stdout.read().decode())
            try:
                if client.get(f"{self.base}/health").status_code == 200:
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def settings_for(data_dir: Path, **overrides):
    from musicmixer.config import load_settings

    overrides.setdefault("web_rate_limit", 0)  # the tests upload far more than a person
    overrides.setdefault("min_free_disk_mb", 0)  # nor depend on the test machine's free disk
    values = dict(data_dir=data_dir, stem_backend="modal", vocal_sub_separation=True)
    return load_settings(**(values | overrides))


class Api:
    """One way to reach the app: the in-process test client or the real server."""

    def __init__(self, client, data_dir: Path, kind: str, server=None):
        self.client, self.data_dir, self.kind = client, Path(data_dir), kind
        self.server = server  # the ServerProcess, for kind "server"
        self.tokens: dict[str, str] = {}  # remix id -> owner token, as the page keeps them

    def remix_dirs(self) -> set[str]:
        root = self.data_dir / "web" / "remixes"
        return {p.name for p in root.iterdir()} if root.is_dir() else set()

    def post(self, a=("a.wav", None), b=("b.wav", None), prompt="her voice over their groove",
             **data):
        files = {}
        for field, (name, content) in (("song_a", a), ("song_b", b)):
            if name is not None:
                files[field] = (name, wav_bytes() if content is None else content,
                                "application/octet-stream")
        if prompt is not None:
            data["prompt"] = prompt
        r = self.client.post("/api/remix", files=files, data=data)
        if r.status_code == 202:
            self.tokens[r.json()["session_id"]] = r.json()["owner_token"]
        return r

    def owner(self, sid: str) -> dict[str, str]:
        """The header that makes a request the owner's (Apply, Cancel, delete)."""
        return {"X-Owner-Token": self.tokens[sid]}

    def cancel(self, sid: str):
        return self.client.post(f"/api/remix/{sid}/cancel", headers=self.owner(sid))

    def wait(self, sid: str, until=("complete", "failed", "cancelled", "expired"),
             tries: int = 600) -> dict:
        status = {}
        for _ in range(tries):
            status = self.client.get(f"/api/remix/{sid}/status").json()
            if status.get("status") in until:
                return status
            time.sleep(0.05)
        raise AssertionError(f"remix {sid} stuck at {status}")

    def events(self, sid: str, headers=None, max_heartbeats: int = 40) -> list[dict]:
        """The whole progress stream of a job that ends (bounded: a stream that only
        heartbeats fails the test instead of hanging it)."""
        import json

        out, beats = [], 0
        with self.client.stream("GET", f"/api/remix/{sid}/progress", headers=headers or {},
                                timeout=30) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            for line in resp.iter_lines():
                if line.startswith("id: "):
                    out.append({"id": int(line[4:])})
                elif line.startswith("data: "):
                    out[-1].update(json.loads(line[6:]))
                elif line.startswith(": heartbeat"):
                    beats += 1
                    assert beats <= max_heartbeats, f"stream of {sid} never ended: {out[-3:]}"
                if len(out) > 500:
                    break
        return out


def open_api(kind: str, data_dir: Path, job_fn=None, open_gate: bool = True, **overrides):
    """Context manager yielding an `Api` of the given kind ("app" or "server")."""
    from contextlib import contextmanager

    @contextmanager
    def ctx():
        if kind == "app":
            from fastapi.testclient import TestClient

            from musicmixer.service import create_app

            app = create_app(settings_for(data_dir, **overrides), job_fn=job_fn or FakeMix(),
                             heartbeat_s=0.5)
            with TestClient(app) as client:
                yield Api(client, data_dir, kind)
        else:
            import httpx2

            server = ServerProcess(data_dir, depth=overrides.get("web_queue_depth", 10),
                                   open_gate=open_gate, rate=overrides.get("web_rate_limit", 0))
            try:
                with httpx2.Client(base_url=server.base, timeout=30) as client:
                    server.wait_ready(client)
                    yield Api(client, data_dir, kind, server)
            finally:
                server.stop()

    return ctx()
