"""What a client sees never holds a server path (issue 18, found #5: an event
showed `.../remixes/<id>/base/remix.mp3`) and names the songs by the user's
file names, not the upload slots (found #3)."""

from __future__ import annotations

import json

import pytest
from api_helpers import FakeMix, open_api, wav_bytes

from musicmixer.errors import AnalysisError
from musicmixer.service.client_text import ClientText, strip_paths

NAMES = ("Night Drive (demo).wav", "Static Bloom.wav")


def everything_a_client_sees(api, sid: str) -> str:
    """Every event and every JSON answer about one remix, as one string."""
    seen = [json.dumps(api.events(sid, headers={"Last-Event-ID": "0"}))]
    for suffix in ("status", "stems", "plan"):
        r = api.client.get(f"/api/remix/{sid}/{suffix}")
        seen.append(r.text)
    return "\n".join(seen)


@pytest.mark.parametrize("kind", ["app", "server"])
def test_no_server_path_in_any_event_or_answer_of_a_full_job(tmp_path, kind):
    with open_api(kind, tmp_path) as api:
        sid = api.post(a=(NAMES[0], None), b=(NAMES[1], None)).json()["session_id"]
        assert api.wait(sid)["status"] == "complete"
        r = api.client.post(f"/api/remix/{sid}/rerender", json={"stem_gains": {"drums": 0.5}},
                            headers=api.owner(sid))
        assert r.status_code == 202
        api.wait(sid, until=("complete",))
        seen = everything_a_client_sees(api, sid)
        assert "remix.mp3" in seen  # the export stage's detail is there, as a name
        for needle in (str(tmp_path), "/remixes/", "/base/", "/uploads/"):
            assert needle not in seen, needle


def test_failed_job_error_has_no_path_and_the_users_file_name(tmp_path):
    fake = FakeMix()

    def job(request, settings, progress):
        fake(request, settings, progress)
        raise AnalysisError(f"{request.song_a} is silent: there is nothing to mix")

    with open_api("app", tmp_path, job_fn=job) as api:
        sid = api.post(a=(NAMES[0], None), b=(NAMES[1], None)).json()["session_id"]
        status = api.wait(sid)
        assert status["status"] == "failed"
        assert status["error"] == f"{NAMES[0]} is silent: there is nothing to mix"
        seen = everything_a_client_sees(api, sid)
        assert str(tmp_path) not in seen and "song_a" not in seen


def test_explanation_and_progress_use_the_users_file_names(tmp_path):
    fake = FakeMix(explanation="The vocals of song A over the groove of song_b.wav.")

    def job(request, settings, progress):
        progress("separate", 0.0, f"decoding {request.song_a.name}")
        return fake(request, settings, progress)

    with open_api("app", tmp_path, job_fn=job) as api:
        sid = api.post(a=(NAMES[0], None), b=(NAMES[1], wav_bytes())).json()["session_id"]
        status = api.wait(sid)
        assert status["explanation"] == ("The vocals of Night Drive (demo) over the groove of "
                                         "Static Bloom.wav.")
        plan = api.client.get(f"/api/remix/{sid}/plan").json()["plan"]
        assert plan["explanation"] == status["explanation"]
        details = [e["detail"] for e in api.events(sid, headers={"Last-Event-ID": "0"})]
        assert f"decoding {NAMES[0]}" in details
        assert not any("song_a" in d or "song_b" in d for d in details)


@pytest.mark.parametrize("text, expected", [
    ("/srv/data/web/remixes/3f2b/base/remix.mp3", "remix.mp3"),
    ("wrote /tmp/x/stems/drums.wav, /tmp/x/plan.json", "wrote drums.wav, plan.json"),
    ("could not read '/a/b/c d.wav'", "could not read '/a/b/c d.wav'".replace("/a/b/c", "c")),
    ("1/2 done, 50/50 split and a ratio 3/4", "1/2 done, 50/50 split and a ratio 3/4"),
    ("tempo 120 BPM", "tempo 120 BPM"),
])
def test_strip_paths(text, expected):
    assert strip_paths(text) == expected


def test_slot_names_but_not_ordinary_words():
    text = ClientText({"song_a": "Mine.mp3", "song_b": "Theirs.wav"})
    assert text("song_a.mp3 failed") == "Mine.mp3 failed"
    assert text("take song A, and song_b") == "take Mine, and Theirs"
    assert text("play the song a bit louder") == "play the song a bit louder"
    assert ClientText({})("song_a") == "song_a"
