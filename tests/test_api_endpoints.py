"""Every endpoint of the web API, through the in-process client and through a
real server process on a loopback port (the same cases against both)."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
import soundfile as sf
from api_helpers import open_api

from musicmixer.stems import BACKING_VOCAL_STEM, SEVEN_STEMS, stem_mode


@pytest.fixture(scope="module", params=["app", "server"])
def api(request, tmp_path_factory):
    with open_api(request.param, tmp_path_factory.mktemp(f"api-{request.param}")) as a:
        yield a


@pytest.fixture(scope="module")
def done(api):
    """One finished remix, shared by the read-only tests."""
    r = api.post()
    assert r.status_code == 202, r.text
    sid = r.json()["session_id"]
    assert api.wait(sid)["status"] == "complete"
    return sid


def test_health_and_docs(api):
    health = api.client.get("/health").json()
    assert health["status"] == "ok" and health["queue_depth"] == 10
    assert health["limits"]["max_upload_mb"] == 50
    assert api.client.get("/docs").status_code == 200
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in ("/api/remix", "/api/remix/{remix_id}/progress", "/api/remix/{remix_id}/status",
                 "/api/remix/{remix_id}/audio", "/api/remix/{remix_id}/stems",
                 "/api/remix/{remix_id}/stems/{name}", "/api/remix/{remix_id}/plan",
                 "/api/remix/{remix_id}/cancel", "/api/remix/{remix_id}/rerender", "/health"):
        assert path in paths
    assert "multipart/form-data" in paths["/api/remix"]["post"]["requestBody"]["content"]


def test_docs_page_works_offline(api):
    """Found #6: /docs loaded Swagger UI from a CDN (blank offline). Every asset the
    page names is served here, and the page has no inline script for the CSP to block."""
    import re

    page = api.client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by this server"
        r = api.client.get(asset)
        assert r.status_code == 200 and len(r.content) > 0, asset
    assert "SwaggerUIBundle" in api.client.get("/static/docs.js").text


def test_favicon(api):
    r = api.client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/")


@pytest.mark.parametrize("path", ["/", "/r/{done}", "/favicon.ico", "/static/app.js",
                                  "/api/remix/{done}/audio", "/api/remix/{done}/stems/drums"])
def test_head_gives_the_headers_without_a_body(api, done, path):
    """Found #6: HEAD on the audio answered 405."""
    url = path.format(done=done)
    got, head = api.client.get(url), api.client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content)


def test_page_and_static_files(api, done):
    page = api.client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert api.client.get(f"/r/{done}").text == page.text  # the shareable link is the page
    assert "EventSource" in api.client.get("/static/app.js").text
    assert api.client.get("/static/app.css").status_code == 200


def test_ids_are_random_uuid4(api, done):
    assert uuid.UUID(done).version == 4


def test_progress_stream_reaches_complete(api, done):
    events = api.events(done, headers={"Last-Event-ID": "0"})  # everything from the start
    steps = [e["step"] for e in events]
    assert steps[0] == "queue_position" and steps[-1] == "complete"
    for step in ("processing_started", "separating", "analyzing", "interpreting", "processing",
                 "rendering"):
        assert step in steps
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert all(set(e) == {"id", "step", "detail", "progress"} for e in events)


def test_reconnecting_client_gets_last_event_first(api, done):
    events = api.events(done)
    assert [e["step"] for e in events] == ["complete"]
    everything = api.events(done, headers={"Last-Event-ID": "0"})
    missed = api.events(done, headers={"Last-Event-ID": str(everything[-3]["id"])})
    assert missed == everything[-2:]


@pytest.mark.parametrize("header", ["99999999999999999999", "1000", "-5", "abc",
                                    "1e3", "7 7"])
def test_bad_or_past_the_end_last_event_id_gets_the_end_and_stops(api, done, header):
    """Found #7: a 20-digit id raised OverflowError; 1000 on a finished remix heartbeated
    forever."""
    events = api.events(done, headers={"Last-Event-ID": header}, max_heartbeats=4)
    assert [e["step"] for e in events] == ["complete"]


def test_client_that_saw_the_end_gets_a_stream_that_ends(api, done):
    last = api.events(done)[-1]["id"]
    assert api.events(done, headers={"Last-Event-ID": str(last)}, max_heartbeats=4) == []


def test_status(api, done):
    status = api.client.get(f"/api/remix/{done}/status").json()
    assert status["status"] == "complete" and status["step"] == "complete"
    assert status["progress"] == 1.0 and status["error"] is None
    assert status["audio_url"] == f"/api/remix/{done}/audio"
    assert status["share_url"] == f"/r/{done}"
    assert 3 * 3600 - 120 < status["expires_in_s"] <= 3 * 3600


def test_audio_whole_and_ranges(api, done):
    whole = api.client.get(f"/api/remix/{done}/audio")
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    part = api.client.get(f"/api/remix/{done}/audio", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == whole.content[100:1100]
    tail = api.client.get(f"/api/remix/{done}/audio", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole.content[-50:]
    beyond = api.client.get(f"/api/remix/{done}/audio", headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416
    audio, sr = sf.read(io.BytesIO(whole.content))
    assert sr == 44100 and audio.shape[0] > 3 * sr
    download = api.client.get(f"/api/remix/{done}/audio?download=true")
    assert download.headers["content-disposition"].startswith("attachment")


def test_stems_listing_and_files(api, done):
    listing = api.client.get(f"/api/remix/{done}/stems").json()
    names = [s["name"] for s in listing["stems"]]
    assert names == SEVEN_STEMS  # 7-stem mode: lead and backing vocals apart
    assert {s["name"] for s in listing["stems"] if s["vocal"]} == {"lead_vocals", "backing_vocals"}
    # the page's fader labels come from the stem mode, through the API
    assert [s["label"] for s in listing["stems"]] == list(stem_mode("modal", True).labels.values())
    stem = api.client.get(f"/api/remix/{done}/stems/{BACKING_VOCAL_STEM}")
    assert stem.status_code == 200 and stem.headers["content-type"] == "audio/flac"
    audio, sr = sf.read(io.BytesIO(stem.content))
    assert sr == 44100 and audio.shape[1] == 2 and np.max(np.abs(audio)) > 0.01
    missing = api.client.get(f"/api/remix/{done}/stems/kazoo")
    assert missing.status_code == 404 and "kazoo" in missing.json()["detail"]


def test_plan(api, done):
    body = api.client.get(f"/api/remix/{done}/plan").json()
    assert body["plan"]["stem_names"] == SEVEN_STEMS
    sections = body["sections"]
    assert [s["label"] for s in sections] == ["verse", "chorus"]
    assert sections[0]["start_s"] == 0.0 and sections[0]["end_s"] == pytest.approx(2.0)
    assert body["duration_s"] == pytest.approx(4.0, abs=0.05)


def test_rerender_changes_the_master_only_where_asked(api):
    sid = api.post().json()["session_id"]
    api.wait(sid)
    before = api.client.get(f"/api/remix/{sid}/audio").content
    r = api.client.post(f"/api/remix/{sid}/rerender", headers=api.owner(sid),
                        json={"stem_gains": {BACKING_VOCAL_STEM: 0.0},
                              "sections": [{"index": 1, "stem_gains": {"drums": 0.5}}]})
    assert r.status_code == 202, r.text
    status = api.wait(sid, until=("complete",))
    assert status["renders"] == 1 and status["error"] is None
    after = api.client.get(f"/api/remix/{sid}/audio").content
    assert after != before
    plan = api.client.get(f"/api/remix/{sid}/plan").json()["plan"]
    assert all(s["stem_gains"][BACKING_VOCAL_STEM] == 0.0 for s in plan["sections"])
    assert [s["stem_gains"]["drums"] for s in plan["sections"]] == [1.0, 0.5]
    # the page's stems stay the first render's, so a fader at zero can come back
    stem = api.client.get(f"/api/remix/{sid}/stems/{BACKING_VOCAL_STEM}")
    assert np.max(np.abs(sf.read(io.BytesIO(stem.content))[0])) > 0.01
    events = api.events(sid)
    assert events[-1]["step"] == "complete"


@pytest.mark.parametrize("body, status, words", [
    ({"stem_gains": {"kazoo": 0.5}}, 422, "no stem named kazoo"),
    ({"stem_gains": {"drums": 7}}, 422, "between 0 and 2"),
    ({"sections": [{"index": 9, "stem_gains": {"drums": 0.5}}]}, 422, "no section 9"),
    ({"gains": {}}, 422, "Invalid request"),
])
def test_rerender_bad_requests(api, done, body, status, words):
    r = api.client.post(f"/api/remix/{done}/rerender", json=body, headers=api.owner(done))
    assert r.status_code == status and words in r.json()["detail"]


def test_cancel_finished_remix_is_refused(api, done):
    r = api.cancel(done)
    assert r.status_code == 409 and "already complete" in r.json()["detail"]


@pytest.mark.parametrize("method, suffix", [
    ("get", "progress"), ("get", "status"), ("get", "audio"), ("get", "stems"),
    ("get", "stems/drums"), ("get", "plan"), ("post", "cancel"), ("post", "rerender"),
])
@pytest.mark.parametrize("bad_id, code", [
    ("not-a-uuid", 400), ("12345", 400), ("3F2B6C1E8A4D4E2B9C1A2B3C4D5E6F70", 400),
    ("3f2b6c1e-8a4d-4e2b-9c1a-2b3c4d5e6f70", 404),
])
def test_unknown_and_malformed_ids(api, method, suffix, bad_id, code):
    kwargs = {"json": {"stem_gains": {}}} if suffix == "rerender" else {}
    r = getattr(api.client, method)(f"/api/remix/{bad_id}/{suffix}", **kwargs)
    assert r.status_code == code
    assert ("not a valid remix id" if code == 400 else "no remix with this id") in r.json()["detail"]


def test_traversal_in_stem_name_is_not_a_file(api, done):
    r = api.client.get(f"/api/remix/{done}/stems/..%2F..%2Fjobs.sqlite3")
    assert r.status_code == 404


def test_failed_mix_says_why_and_leaves_nothing(tmp_path):
    from api_helpers import FakeMix

    from musicmixer.errors import AnalysisError

    fake = FakeMix(fail=AnalysisError("song_a.wav is silent: there is nothing to mix"))
    with open_api("app", tmp_path, job_fn=fake) as api:
        sid = api.post().json()["session_id"]
        status = api.wait(sid)
        assert status["status"] == "failed" and status["step"] == "error"
        assert "silent" in status["error"]
        assert api.events(sid)[-1]["detail"] == status["error"]
        assert sid not in api.remix_dirs()
        r = api.client.get(f"/api/remix/{sid}/audio")
        assert r.status_code == 409 and "failed" in r.json()["detail"]


def test_resources_before_complete_are_409(tmp_path):
    import threading

    from api_helpers import FakeMix

    gate = threading.Event()
    with open_api("app", tmp_path, job_fn=FakeMix(gate=gate)) as api:
        sid = api.post().json()["session_id"]
        for suffix in ("audio", "stems", "plan"):
            r = api.client.get(f"/api/remix/{sid}/{suffix}")
            assert r.status_code == 409 and "still being made" in r.json()["detail"]
        r = api.client.post(f"/api/remix/{sid}/rerender", json={}, headers=api.owner(sid))
        assert r.status_code == 409
        gate.set()
        assert api.wait(sid)["status"] == "complete"
