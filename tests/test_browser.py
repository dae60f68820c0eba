"""The player page in headless Chromium (Debian's, through Playwright): two
generated songs in, progress to complete, play, the backing-vocals fader
moved by keyboard changes the Web Audio gain (and silences that stem's
signal), apply re-renders the master, download, share link. Screenshots of
each stage go to build/screenshots/.

The job is the real pipeline in 7-stem mode; only separation is replaced by
the songs' ground-truth stems (as in the pipeline tests), to keep it fast.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from api_helpers import settings_for
from browser_helpers import chromium, served
from pipeline_helpers import short_pair
from playwright.sync_api import expect

from musicmixer.pipeline import run_mix
from musicmixer.service import create_app
from musicmixer.stages import web_steps
from musicmixer.stems import BACKING_VOCAL_STEM, stems_for_settings

SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
FADER = f"#fader-{BACKING_VOCAL_STEM}"


class UploadedTruth:
    """Separation backend: the generated songs' true stems, found by upload slot."""

    def __init__(self, a, b):
        self.songs = {"song_a": a, "song_b": b}

    def __call__(self, job):
        song = self.songs[Path(job.source_path).stem]
        stems = song.truth_stems(stems_for_settings(job.settings))
        n = job.audio.shape[1]
        return {k: np.ascontiguousarray(v[:, :n]) for k, v in stems.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    a, b = short_pair(bars=8)

    def job(request, settings, progress):
        request.backends = {"modal": UploadedTruth(a, b)}
        return run_mix(request, settings, progress)

    app = create_app(settings_for(tmp_path_factory.mktemp("browser")), job_fn=job,
                     heartbeat_s=2.0)
    with served(app) as base:
        yield base, a, b


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_remix_in_the_browser(server, browser, tmp_path):
    base, song_a, song_b = server
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(base + "/")
    expect(page.locator("#create")).to_be_visible()
    shot(page, "1-start")

    # an API error shows as a sentence: a text file named like an MP3
    page.set_input_files("#song_a", files=[{"name": "notes.mp3", "mimeType": "audio/mpeg",
                                            "buffer": b"not a song at all\n" * 400}])
    page.set_input_files("#song_b", str(song_b.mix_path))
    page.fill("#prompt", "her voice over their groove")
    page.click("#submit")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-text")).to_contain_text("is not audio")
    shot(page, "2-readable-error")
    page.click("#error-close")

    # the real upload, submitted from the keyboard
    page.set_input_files("#song_a", str(song_a.mix_path))
    page.focus("#prompt")
    page.keyboard.press("Control+A")
    page.keyboard.type("her voice over their groove, backing vocals all the way through")
    page.focus("#submit")
    page.keyboard.press("Enter")
    expect(page.locator("#progress")).to_be_visible()
    # the step list is the server's stage table (GET /api/stages), one line per step
    expect(page.locator("#stages li")).to_have_text([s["label"] for s in web_steps()])
    shot(page, "3-progress")
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=80_000)
    expect(page.locator("#stages li.current")).to_have_text(web_steps()[-1]["label"])
    assert page.get_attribute("#progress-bar", "aria-valuenow") == "100"
    assert page.url.startswith(base + "/r/")
    session = page.url.rsplit("/", 1)[1]
    expect(page.locator(FADER)).to_be_visible()
    assert page.locator("#timeline .section").count() >= 2
    # the song cards carry the real analysis: tempo and key of each song and the result
    for card in ("song_a", "song_b", "result"):
        expect(page.locator(f"[data-card={card}]")).to_contain_text(" BPM")
    expect(page.locator("[data-card=result]")).to_contain_text(re.compile(r"tempo (1:1|2:1|1:2)"))
    shot(page, "4-player")

    # play from where the backing vocals are loudest
    page.evaluate("""() => {
        const d = musicmixer.buffers.backing_vocals.getChannelData(0);
        let best = 0; for (let i = 0; i < d.length; i += 64) if (Math.abs(d[i]) > Math.abs(d[best])) best = i;
        musicmixer.seek(Math.max(0, best / musicmixer.buffers.backing_vocals.sampleRate - 0.5));
    }""")
    page.focus("#play")
    page.keyboard.press("Enter")
    page.wait_for_function("() => musicmixer.playing && musicmixer.ctx.state === 'running'")
    page.wait_for_function(f"() => musicmixer.stemLevel('{BACKING_VOCAL_STEM}') > 1e-4",
                           timeout=10_000)
    assert page.evaluate(f"musicmixer.gains.{BACKING_VOCAL_STEM}.gain.value") == 1.0

    # the backing-vocals fader, by keyboard: Home = off
    page.focus(FADER)
    page.keyboard.press("Home")
    page.wait_for_function(f"() => musicmixer.gains.{BACKING_VOCAL_STEM}.gain.value === 0")
    page.wait_for_function(f"() => musicmixer.stemLevel('{BACKING_VOCAL_STEM}') === 0")
    expect(page.locator(f"output[for='fader-{BACKING_VOCAL_STEM}']")).to_have_text("off")
    page.keyboard.press("ArrowRight")  # and back up a notch, live
    page.wait_for_function(
        f"() => Math.abs(musicmixer.gains.{BACKING_VOCAL_STEM}.gain.value - 0.01) < 1e-6")
    page.keyboard.press("Home")
    shot(page, "5-fader-moved")

    # apply: the master is rendered again with the faders
    page.focus("#apply")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.dataset.renders === '1'", timeout=60_000)
    expect(page.locator("#apply-status")).to_contain_text("fader settings")
    shot(page, "6-rerendered")
    plan = page.evaluate(f"fetch('/api/remix/{session}/plan').then(r => r.json())")
    assert all(s["stem_gains"][BACKING_VOCAL_STEM] == 0 for s in plan["plan"]["sections"])

    # download the new master
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "remix.mp3"
    info.value.save_as(path)
    audio, sr = sf.read(io.BytesIO(path.read_bytes()))
    assert sr == 44100 and audio.shape[0] > 5 * sr and np.max(np.abs(audio)) > 0.05

    # the share link opens the same remix in a fresh page
    share = page.input_value("#share-url")
    assert share == f"{base}/r/{session}"
    other = context.new_page()
    other.goto(share)
    other.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=30_000)
    expect(other.locator(FADER)).to_be_visible()
    shot(other, "7-shared-link")
    context.close()


def test_docs_page_renders_offline_under_the_csp(server, browser):
    """Found #6: /docs was blank offline. Every request the page makes must stay on
    this server, and the CSP must not block Swagger UI."""
    base = server[0]
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    foreign, blocked = [], []
    page.on("request", lambda r: None if r.url.startswith(base) else foreign.append(r.url))
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text
            else None)
    page.goto(base + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("musicmixer")
    expect(page.locator("#operations-remix-create_remix_api_remix_post")).to_be_visible()
    shot(page, "8-api-docs")
    assert foreign == [] and blocked == []
    context.close()
