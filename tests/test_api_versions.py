"""Versions, downloads and song cards through the API (issue 18, the page's
part): each Apply is a version with its gains; going back needs the owner
token and changes what the audio, plan and status serve; the stems zip holds
exactly the job's stems; the plan downloads as a file; nothing names a path."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from api_helpers import open_api

from musicmixer.stems import BACKING_VOCAL_STEM, SEVEN_STEMS


@pytest.fixture(scope="module", params=["app", "server"])
def api(request, tmp_path_factory):
    with open_api(request.param, tmp_path_factory.mktemp(f"versions-{request.param}")) as a:
        yield a


def _finished(api) -> str:
    sid = api.post(a=("Night Drive.wav", None)).json()["session_id"]
    assert api.wait(sid)["status"] == "complete"
    return sid


def _apply(api, sid, gains) -> dict:
    r = api.client.post(f"/api/remix/{sid}/rerender", headers=api.owner(sid),
                        json={"stem_gains": gains})
    assert r.status_code == 202, r.text
    return api.wait(sid, until=("complete",))


def test_each_apply_is_a_version_and_the_owner_can_go_back(api):
    sid = _finished(api)
    first = api.client.get(f"/api/remix/{sid}/audio").content
    status = api.client.get(f"/api/remix/{sid}/status").json()
    assert status["version"] == 0 and status["stem_gains"] == {s: 1.0 for s in SEVEN_STEMS}
    _apply(api, sid, {BACKING_VOCAL_STEM: 0.0})
    status = _apply(api, sid, {"drums": 0.5})
    assert status["version"] == 2 and status["version_count"] == 3
    assert status["stem_gains"]["drums"] == 0.5 and status["stem_gains"][BACKING_VOCAL_STEM] == 1.0
    listing = api.client.get(f"/api/remix/{sid}/versions").json()
    assert listing["current"] == 2 and [v["n"] for v in listing["versions"]] == [0, 1, 2]
    assert listing["versions"][1]["stem_gains"][BACKING_VOCAL_STEM] == 0.0
    second = api.client.get(f"/api/remix/{sid}/audio").content
    assert second != first
    assert api.client.get(f"/api/remix/{sid}/audio?version=0").content == first

    # switching needs the owner token (the share link is view-only)
    assert api.client.post(f"/api/remix/{sid}/version", json={"version": 1}).status_code == 403
    wrong = {"X-Owner-Token": "x" * 43}
    assert api.client.post(f"/api/remix/{sid}/version", json={"version": 1},
                           headers=wrong).status_code == 403
    r = api.client.post(f"/api/remix/{sid}/version", json={"version": 1}, headers=api.owner(sid))
    assert r.status_code == 200 and r.json()["current"] == 1
    status = api.client.get(f"/api/remix/{sid}/status").json()
    assert status["version"] == 1 and status["stem_gains"][BACKING_VOCAL_STEM] == 0.0
    plan = api.client.get(f"/api/remix/{sid}/plan").json()["plan"]
    assert all(s["stem_gains"][BACKING_VOCAL_STEM] == 0.0 for s in plan["sections"])
    served = api.client.get(f"/api/remix/{sid}/audio").content
    assert served == api.client.get(f"/api/remix/{sid}/audio?version=1").content != second
    assert api.client.post(f"/api/remix/{sid}/version", json={"version": 9},
                           headers=api.owner(sid)).status_code == 404
    # a new Apply after going back is version 3, and 2 is still there
    assert _apply(api, sid, {"bass": 0.5})["version"] == 3
    assert api.client.get(f"/api/remix/{sid}/audio?version=2").content == second


def test_stems_zip_holds_exactly_the_stems(api):
    sid = _finished(api)
    r = api.client.get(f"/api/remix/{sid}/stems.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"]
    if api.kind == "server":  # streamed as written: no length known up front
        assert r.headers.get("transfer-encoding") == "chunked"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == sorted(f"{s}.flac" for s in SEVEN_STEMS)
        drums = z.read("drums.flac")
    assert drums == api.client.get(f"/api/remix/{sid}/stems/drums").content


def test_plan_download_and_cards_carry_no_paths(api):
    sid = _finished(api)
    r = api.client.get(f"/api/remix/{sid}/plan.json")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.json()["stem_names"] == SEVEN_STEMS
    status = api.client.get(f"/api/remix/{sid}/status").json()
    a, b = status["songs"]["song_a"], status["songs"]["song_b"]
    assert a["title"] == "Night Drive" and a["file"] == "Night Drive.wav" and b["title"] == "b"
    assert (a["bpm"], a["key"], a["duration_s"], a["role"]) == (60.0, "C major", 7.0, "vocals")
    assert b["role"] == "instrumental"
    music = status["music"]
    assert music["bpm"] == 120.0 and music["mapping"] == "2:1" and music["key_shift"] == -3
    assert music["key"] == "Bb minor"  # A minor moved up one semitone
    _apply(api, sid, {"drums": 0.5})
    for path in ("status", "versions", "plan", "stems"):
        text = api.client.get(f"/api/remix/{sid}/{path}").text
        assert str(api.data_dir) not in text and "renders/" not in text and "base/" not in text


def test_downloads_of_unknown_or_unfinished_remixes(api):
    missing = "3f2b6c1e-8a4d-4e2b-9c1a-2b3c4d5e6f70"
    for path in ("stems.zip", "plan.json", "versions"):
        assert api.client.get(f"/api/remix/{missing}/{path}").status_code == 404
    bad = api.client.post(f"/api/remix/{missing}/version", json={"version": -1},
                          headers={"X-Owner-Token": "x"})
    assert bad.status_code in (404, 422)
    assert json.loads(bad.text)["detail"]


def test_versions_past_the_cap_are_removed_with_their_folders(tmp_path, monkeypatch):
    from musicmixer.service import versions

    monkeypatch.setattr(versions, "MAX_VERSIONS", 3)
    with open_api("app", tmp_path) as api:
        sid = _finished(api)
        for gain in (0.2, 0.4, 0.6):
            _apply(api, sid, {"drums": gain})
        listing = api.client.get(f"/api/remix/{sid}/versions").json()
        assert [v["n"] for v in listing["versions"]] == [0, 2, 3] and listing["current"] == 3
        renders = tmp_path / "web" / "remixes" / sid / "renders"
        assert sorted(p.name for p in renders.iterdir()) == ["2", "3"]
        assert not (renders / "3" / "stems").exists()  # re-renders start from base/
        assert (renders / "3" / "plan.json").is_file()


def test_a_result_from_before_versions_reads_as_base_and_the_render_served():
    from musicmixer.service.versions import current_version, kept_folders, versions_of

    old = {"mix": "renders/2/remix.mp3", "renders": 2, "stems": ["drums", "bass"]}
    assert [v["n"] for v in versions_of(old)] == [0, 2] and current_version(old) == 2
    assert kept_folders(old) == {"2"}
    fresh = {"mix": "base/remix.mp3", "renders": 0, "stems": ["drums"]}
    assert [v["n"] for v in versions_of(fresh)] == [0] and current_version(fresh) == 0
