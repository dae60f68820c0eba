"""An API safe to expose (issue 18, found #8): cross-site writes refused, a
per-client rate limit, security headers on every answer, and the share link
view-only (Apply, Cancel and delete need the owner token)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from api_helpers import FakeMix, open_api

from musicmixer.service.security import RateLimited, RateLimiter, cross_site_reason

STATIC = Path(__file__).parents[1] / "src" / "musicmixer" / "service" / "static"


@pytest.fixture(scope="module", params=["app", "server"])
def api(request, tmp_path_factory):
    with open_api(request.param, tmp_path_factory.mktemp(f"sec-{request.param}")) as a:
        yield a


@pytest.fixture(scope="module")
def done(api):
    sid = api.post().json()["session_id"]
    assert api.wait(sid)["status"] == "complete"
    return sid


def own_origin(api) -> str:
    return "http://testserver" if api.kind == "app" else str(api.client.base_url).rstrip("/")


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/page"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_cross_site_upload_is_refused_and_leaves_nothing(api, headers):
    before = api.remix_dirs()
    r = api.client.post("/api/remix", headers=headers, data={"prompt": "x"},
                        files={"song_a": ("a.wav", b"RIFF"), "song_b": ("b.wav", b"RIFF")})
    assert r.status_code == 403 and "Cross-site request refused" in r.json()["detail"]
    assert api.remix_dirs() == before


def test_same_site_and_headerless_uploads_are_accepted(api):
    assert api.post().status_code == 202  # curl or a script: no Origin, no Referer
    r = api.client.post("/api/remix", headers={"Origin": own_origin(api)},
                        data={"prompt": "her voice"},
                        files={"song_a": ("a.wav", _wav()), "song_b": ("b.wav", _wav())})
    assert r.status_code == 202, r.text


def test_cross_site_cancel_and_rerender_are_refused_even_with_the_token(api, done):
    evil = {"Origin": "http://evil.example", **api.owner(done)}
    assert api.client.post(f"/api/remix/{done}/rerender", json={}, headers=evil).status_code == 403
    assert api.client.post(f"/api/remix/{done}/cancel", headers=evil).status_code == 403


def test_reads_from_other_sites_are_not_refused(api, done):
    assert api.client.get(f"/api/remix/{done}/status",
                          headers={"Origin": "http://evil.example"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/health", "/static/app.js", "/api/remix/{done}/status",
                                  "/api/remix/{done}/audio", "/api/remix/{done}/progress",
                                  "/api/remix/not-a-uuid/status"])
def test_security_headers_on_every_answer(api, done, path):
    r = api.client.get(path.format(done=done))
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


def test_page_has_no_inline_script_or_style():
    """The CSP allows scripts and styles from files only; the page must not need more."""
    for page in STATIC.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert "<style" not in html and not re.search(r"\sstyle=", html), page.name
        assert not re.search(r"\son[a-z]+=", html), page.name  # onclick= and the like
        assert "javascript:" not in html, page.name


def test_share_link_cannot_apply_cancel_or_delete(api, done):
    before = api.client.get(f"/api/remix/{done}/status").json()
    for headers in ({}, {"X-Owner-Token": "guess"}, {"X-Owner-Token": api.owner(done)["X-Owner-Token"][:-1]}):
        r = api.client.post(f"/api/remix/{done}/rerender", json={"stem_gains": {"drums": 0.0}},
                            headers=headers)
        assert r.status_code == 403 and "owner token" in r.json()["detail"]
        assert api.client.post(f"/api/remix/{done}/cancel", headers=headers).status_code == 403
        assert api.client.delete(f"/api/remix/{done}", headers=headers).status_code == 403
    after = api.client.get(f"/api/remix/{done}/status").json()
    assert after["renders"] == before["renders"] and after["status"] == "complete"
    assert "owner_token" not in after and "owner_hash" not in str(after)


def test_owner_can_delete_and_then_it_is_gone(api):
    sid = api.post().json()["session_id"]
    api.wait(sid)
    other = api.post().json()["session_id"]
    api.wait(other)
    # one remix's token is not another's
    r = api.client.delete(f"/api/remix/{sid}", headers=api.owner(other))
    assert r.status_code == 403
    r = api.client.delete(f"/api/remix/{sid}", headers=api.owner(sid))
    assert r.status_code == 200, r.text
    assert sid not in api.remix_dirs()
    assert api.client.get(f"/api/remix/{sid}/status").status_code == 410
    assert api.client.get(f"/api/remix/{other}/audio").status_code == 200


def test_delete_while_running_asks_to_cancel_first(tmp_path):
    gate = threading.Event()
    with open_api("app", tmp_path, job_fn=FakeMix(gate=gate)) as api:
        sid = api.post().json()["session_id"]
        api.wait(sid, until=("running",))
        r = api.client.delete(f"/api/remix/{sid}", headers=api.owner(sid))
        assert r.status_code == 409 and "cancel it first" in r.json()["detail"]
        gate.set()
        api.wait(sid)


@pytest.mark.parametrize("kind", ["app", "server"])
def test_rate_limit_on_uploads_and_rerenders_gives_429_with_retry_after(tmp_path, kind):
    with open_api(kind, tmp_path, web_rate_limit=3) as api:
        first = api.post()
        assert first.status_code == 202
        sid = first.json()["session_id"]
        api.wait(sid)
        assert api.post().status_code == 202
        r = api.client.post(f"/api/remix/{sid}/rerender", json={"stem_gains": {"drums": 0.5}},
                            headers=api.owner(sid))
        assert r.status_code == 202
        api.wait(sid, until=("complete",))
        for attempt in (lambda: api.post(),
                        lambda: api.client.post(f"/api/remix/{sid}/rerender", json={},
                                                headers=api.owner(sid))):
            r = attempt()
            assert r.status_code == 429, r.text
            assert 1 <= int(r.headers["retry-after"]) <= 600
            assert "Too many remixes" in r.json()["detail"]
        assert api.client.get(f"/api/remix/{sid}/status").status_code == 200  # reads are free


def test_rate_limiter_window_slides():
    limiter = RateLimiter(2, 60.0)
    limiter.hit("a", now=0.0)
    limiter.hit("a", now=10.0)
    limiter.hit("b", now=10.0)  # per client
    with pytest.raises(RateLimited) as exc:
        limiter.hit("a", now=30.0)
    assert exc.value.retry_after_s == 30
    limiter.hit("a", now=60.5)  # the first hit left the window
    RateLimiter(0, 60.0).hit("a")  # 0: no limit


@pytest.mark.parametrize("headers, refused", [
    ({"host": "mix.example:8000", "origin": "http://mix.example:8000"}, False),
    ({"host": "mix.example", "origin": "https://mix.example:80"}, False),
    ({"host": "mix.example", "origin": "http://mix.example.evil.example"}, True),
    ({"host": "mix.example", "referer": "http://mix.example/r/x"}, False),
    ({"host": "mix.example", "origin": "http://front.example"}, False),  # allowed by setting
    ({"host": "mix.example", "origin": "file://"}, True),
    ({"host": "mix.example"}, False),
])
def test_cross_site_rule(headers, refused):
    reason = cross_site_reason("POST", headers, "http", ("http://front.example",))
    assert (reason is not None) == refused
    assert cross_site_reason("GET", headers, "http", ()) is None


def _wav() -> bytes:
    from api_helpers import wav_bytes

    return wav_bytes()
