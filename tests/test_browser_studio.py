"""The studio page in headless Chromium, against a real server with a fast fake
mix (issue 18): one player whose version is what Download gives, Apply making
versions that a reload and the share link show the same way, going back to a
version, mute/solo/undo/shortcuts changing the audio graph, the stems zip and
the plan downloads, song cards, recent remixes surviving a reload, a too-short
song keeping the form filled, "try again" after a failure, and the page at
390 px. Screenshots go to the brief's bench-out folder (ui-*.png)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from api_helpers import FakeMix, settings_for, wav_bytes
from browser_helpers import chromium, served
from playwright.sync_api import expect

from musicmixer.errors import MusicMixerError
from musicmixer.service import create_app
from musicmixer.stems import BACKING_VOCAL_STEM, SEVEN_STEMS

SHOTS = Path("/work/wt/brief/bench-out")
BV = BACKING_VOCAL_STEM


class FailsOnce(FakeMix):
    """The fake mix, except that a prompt saying "fail once" fails the first time."""

    def __init__(self):
        super().__init__(seconds=8.0, explanation="Night Drive's voice over Groove's band.")
        self.failed: set[str] = set()

    def __call__(self, request, settings, progress):
        if "fail once" in (request.prompt or "") and request.prompt not in self.failed:
            self.failed.add(request.prompt)
            raise MusicMixerError("the test's mix failed on purpose")
        return super().__call__(request, settings, progress)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(settings_for(tmp_path_factory.mktemp("studio")), job_fn=FailsOnce(),
                     heartbeat_s=1.0)
    with served(app) as base:
        yield base


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("songs")
    out = {}
    for name, seconds in (("Night Drive.wav", 7.0), ("Groove.wav", 7.0), ("Tiny.wav", 2.0)):
        (folder / name).write_bytes(wav_bytes(seconds))
        out[name] = folder / name
    return out


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ui-{name}.png"), full_page=True)


def ready(page) -> None:
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=30_000)


def make_remix(page, base, songs, prompt="her voice over their groove") -> str:
    page.goto(base + "/")
    page.set_input_files("#song_a", str(songs["Night Drive.wav"]))
    page.set_input_files("#song_b", str(songs["Groove.wav"]))
    page.fill("#prompt", prompt)
    page.click("#submit")
    ready(page)
    return page.url.rsplit("/", 1)[1]


def page_state(page) -> dict:
    return page.evaluate(f"""() => ({{
        version: document.body.dataset.version, mode: musicmixer.mode,
        bv: parseFloat(document.querySelector('#fader-{BV}').value),
        bvGain: musicmixer.gains.{BV}.gain.value,
        masterBus: musicmixer.masterBus.gain.value, stemBus: musicmixer.stemBus.gain.value,
        download: document.querySelector('#download').getAttribute('href'),
        applyHidden: document.querySelector('#apply').hidden,
    }})""")


def test_apply_reload_share_and_going_back_show_one_version(server, songs, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    sid = make_remix(page, server, songs)
    expect(page.locator("#now-playing")).to_contain_text("Version 0")
    first = page_state(page)
    assert first["mode"] == "version" and first["masterBus"] == 1 and first["stemBus"] == 0
    # the song cards: titles from the file names, tempo, key, length; the result and mapping
    expect(page.locator("[data-card=song_a]")).to_contain_text("Night Drive")
    expect(page.locator("[data-card=song_a]")).to_contain_text("60 BPM · C major · 0:07")
    expect(page.locator("[data-card=result]")).to_contain_text("120 BPM · Bb minor")
    expect(page.locator("[data-card=result]")).to_contain_text("2:1")
    expect(page.locator("[data-card=result]")).to_contain_text("-3 semitones")

    # a fader move is a draft: the live stems play, not the master
    page.focus(f"#fader-{BV}")
    page.keyboard.press("Home")
    draft = page_state(page)
    assert draft["mode"] == "draft" and draft["bvGain"] == 0
    assert draft["masterBus"] == 0 and draft["stemBus"] > 0
    expect(page.locator("#now-playing")).to_contain_text("Draft")
    shot(page, "draft")
    page.click("#apply")
    page.wait_for_function("() => document.body.dataset.version === '1'", timeout=30_000)
    expect(page.locator("#apply-status")).to_contain_text("fader settings")
    applied = page_state(page)
    assert applied["mode"] == "version" and applied["bv"] == 0 and applied["masterBus"] == 1
    assert "version=1" in applied["download"]
    expect(page.locator("#versions li")).to_have_count(2)
    shot(page, "applied")

    # a reload and the share link show the same version and fader state
    page.reload()
    ready(page)
    assert page_state(page) == applied
    viewer = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    viewer.goto(page.input_value("#share-url"))
    ready(viewer)
    shared = page_state(viewer)
    assert {k: shared[k] for k in ("version", "mode", "bv", "masterBus", "download")} == \
        {k: applied[k] for k in ("version", "mode", "bv", "masterBus", "download")}
    assert shared["applyHidden"]  # the share link is view-only
    expect(viewer.locator("#delete")).to_be_hidden()
    expect(viewer.locator("#versions button")).to_have_count(0)
    expect(viewer.locator(".viewer-only").first).to_be_visible()
    shot(viewer, "shared")

    # the owner goes back to version 0: faders, audio and the share link follow
    page.click("#versions button[data-version='0']")
    page.wait_for_function("() => document.body.dataset.version === '0'")
    back = page_state(page)
    assert back["bv"] == 1 and back["mode"] == "version" and "version=0" in back["download"]
    status = page.evaluate(f"fetch('/api/remix/{sid}/status').then(r => r.json())")
    assert status["version"] == 0
    viewer.reload()
    ready(viewer)
    assert page_state(viewer)["version"] == "0"
    context.close()


def test_mute_solo_undo_and_shortcuts_change_what_plays(server, songs, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    make_remix(page, server, songs)
    gains = "() => Object.fromEntries(Object.entries(musicmixer.gains).map(([k, g]) => [k, g.gain.value]))"
    page.focus("#wave")
    page.keyboard.press(" ")
    page.wait_for_function("() => musicmixer.playing && musicmixer.ctx.state === 'running'")
    page.focus("#fader-drums")
    page.keyboard.press("m")  # mute the focused stem
    g = page.evaluate(gains)
    assert g["drums"] == 0 and all(v == 1 for k, v in g.items() if k != "drums")
    assert page.evaluate("musicmixer.mode") == "draft"
    page.wait_for_function("() => musicmixer.stemLevel('drums') === 0")
    page.wait_for_function("() => musicmixer.stemLevel('bass') > 1e-4")
    page.click(".fader[data-stem=bass] .solo")  # solo by button
    g = page.evaluate(gains)
    assert g["bass"] == 1 and all(v == 0 for k, v in g.items() if k != "bass")
    expect(page.locator(".fader[data-stem=bass] .solo")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".fader.silent")).to_have_count(len(SEVEN_STEMS) - 1)  # shown, too
    page.wait_for_function("() => musicmixer.stemLevel('lead_vocals') === 0")
    shot(page, "solo")
    page.keyboard.press("Control+z")  # undo the solo
    g = page.evaluate(gains)
    assert g["drums"] == 0 and g["bass"] == 1 and g["lead_vocals"] == 1
    page.click("#undo")  # undo the mute: back to the version, the master plays
    assert all(v == 1 for v in page.evaluate(gains).values())
    assert page.evaluate("musicmixer.mode") == "version"
    expect(page.locator("#undo")).to_be_disabled()
    page.focus("#fader-lead_vocals")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("musicmixer.gains.lead_vocals.gain.value") == pytest.approx(0.98)
    page.keyboard.press("u")
    assert page.evaluate("musicmixer.gains.lead_vocals.gain.value") == pytest.approx(0.99)
    page.focus("#wave")
    page.keyboard.press(" ")
    assert page.evaluate("musicmixer.playing") is False
    expect(page.locator(".keys")).to_contain_text("Mute the stem whose fader has focus")
    context.close()


def test_stems_zip_and_plan_download(server, songs, browser, tmp_path):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    make_remix(page, server, songs)
    with page.expect_download() as info:
        page.click("#download-stems")
    info.value.save_as(tmp_path / "stems.zip")
    assert info.value.suggested_filename.endswith("-stems.zip")
    with zipfile.ZipFile(tmp_path / "stems.zip") as z:
        assert sorted(z.namelist()) == sorted(f"{s}.flac" for s in SEVEN_STEMS)
        z.extractall(tmp_path / "stems")
    assert all((tmp_path / "stems" / f"{s}.flac").stat().st_size > 1000 for s in SEVEN_STEMS)
    with page.expect_download() as info:
        page.click("#download-plan")
    info.value.save_as(tmp_path / "plan.json")
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["stem_names"] == SEVEN_STEMS and len(plan["sections"]) == 2
    context.close()


def test_recent_remixes_survive_a_reload(server, songs, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    sid = make_remix(page, server, songs, prompt="a recent one to find again")
    page.goto(server + "/")
    page.reload()
    item = page.locator("#recent-list li").filter(has_text="a recent one")
    expect(item).to_have_count(1)
    expect(item.locator("a")).to_have_text("Night Drive \u00d7 Groove")
    shot(page, "recent")
    item.locator("a").click()
    ready(page)
    assert page.url.endswith(sid)
    # the owner deletes it: gone from the server and from the list
    page.on("dialog", lambda d: d.accept())
    page.click("#delete")
    expect(page.locator("#create")).to_be_visible()
    expect(page.locator("#recent-list li").filter(has_text="a recent one")).to_have_count(0)
    assert page.evaluate(f"fetch('/api/remix/{sid}/status').then(r => r.status)") == 410
    context.close()


def test_too_short_song_keeps_the_form_and_try_again_works(server, songs, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(server + "/")
    page.set_input_files("#song_a", str(songs["Tiny.wav"]))
    page.set_input_files("#song_b", str(songs["Groove.wav"]))
    page.fill("#prompt", "fail once, then her voice over their groove")
    page.click("#submit")
    expect(page.locator("#error-text")).to_contain_text("Song A: 'Tiny.wav'")
    expect(page.locator("#error-text")).to_contain_text("at least 6 seconds")
    assert page.input_value("#prompt") == "fail once, then her voice over their groove"
    expect(page.locator("#name-a")).to_contain_text("Tiny.wav")
    expect(page.locator("#name-b")).to_contain_text("Groove.wav")
    expect(page.locator("#retry")).to_be_visible()
    shot(page, "too-short")
    # a longer song in its place, then "try again": the job fails once (the fake)...
    page.set_input_files("#song_a", str(songs["Night Drive.wav"]))
    page.click("#retry")
    expect(page.locator("#error-text")).to_contain_text("failed on purpose", timeout=20_000)
    expect(page.locator("#retry")).to_be_visible()
    shot(page, "failed")
    # the failed remix's link, opened after a reload: "try again" keeps the prompt
    other = context.new_page()
    other.goto(page.url)
    expect(other.locator("#retry")).to_be_visible()
    other.click("#retry")
    expect(other.locator("#error-text")).to_contain_text("Choose the two songs again")
    assert other.input_value("#prompt") == "fail once, then her voice over their groove"
    other.close()
    # ... and "try again" uploads the same files and prompt, which now works
    page.click("#retry")
    ready(page)
    status = page.evaluate("fetch(`/api/remix/${location.pathname.split('/').pop()}/status`)"
                           ".then(r => r.json())")
    assert status["prompt"] == "fail once, then her voice over their groove"
    assert status["songs"]["song_a"]["file"] == "Night Drive.wav"
    context.close()


def test_phone_width_has_usable_faders(server, songs, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    make_remix(page, server, songs)
    widths = page.evaluate("() => [...document.querySelectorAll('.fader input[type=range]')]"
                           ".map(e => e.getBoundingClientRect().width)")
    assert len(widths) == len(SEVEN_STEMS) and min(widths) >= 300
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390
    shot(page, "phone-390")
    context.close()
