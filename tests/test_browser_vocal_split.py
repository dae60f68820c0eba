"""The 5-stem mode in the browser: a server on the local backend with
LOCAL_VOCAL_SPLIT offers "Split lead and backing vocals (offline split)";
ticked, the remix gets lead/backing faders, and moving the backing fader
changes its Web Audio gain; where the server cannot split, the option is
absent. Separation is the songs' own 4 true stems
(`local_backend`), so the real offline split makes the lead/backing stems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from api_helpers import settings_for
from browser_helpers import chromium, served
from pipeline_helpers import short_pair
from playwright.sync_api import expect

from musicmixer.pipeline import run_mix
from musicmixer.separation.dispatcher import local_backend
from musicmixer.service import create_app
from musicmixer.stems import BACKING_VOCAL_STEM, FOUR_STEMS

FADER = f"#fader-{BACKING_VOCAL_STEM}"


class UploadedFour:
    """HTDemucs' stand-in: the generated songs' 4 true stems, by upload slot."""

    def __init__(self, a, b):
        self.songs = {"song_a": a, "song_b": b}

    def __call__(self, job):
        stems = self.songs[Path(job.source_path).stem].truth_stems(FOUR_STEMS)
        return {k: np.ascontiguousarray(v[:, : job.audio.shape[1]]) for k, v in stems.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    a, b = short_pair(bars=8)

    def job(request, settings, progress):
        request.backends = {"local": local_backend(UploadedFour(a, b))}
        return run_mix(request, settings, progress)

    settings = settings_for(tmp_path_factory.mktemp("browser-split"), stem_backend="local",
                            vocal_sub_separation=False, local_vocal_split=True)
    app = create_app(settings, job_fn=job, heartbeat_s=2.0)
    with served(app) as base:
        yield base, a, b


def test_the_offline_split_in_the_browser(server):
    base, song_a, song_b = server
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base + "/")
        expect(page.locator("#opt-split")).to_be_visible()
        expect(page.locator("#split-method")).to_have_text("offline split")
        page.set_input_files("#song_a", str(song_a.mix_path))
        page.set_input_files("#song_b", str(song_b.mix_path))
        page.fill("#prompt", "her voice over their groove, backing vocals all the way through")
        page.check("#opt-7stem")
        page.click("#submit")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=80_000)
        expect(page.locator(FADER)).to_be_visible()
        expect(page.locator("#fader-lead_vocals")).to_be_visible()
        assert page.locator("#fader-vocals").count() == 0
        assert page.evaluate(f"musicmixer.gains.{BACKING_VOCAL_STEM}.gain.value") == 1.0
        page.focus(FADER)
        page.keyboard.press("Home")
        page.wait_for_function(f"() => musicmixer.gains.{BACKING_VOCAL_STEM}.gain.value === 0")
        expect(page.locator(f"output[for='fader-{BACKING_VOCAL_STEM}']")).to_have_text("off")

        # a server that cannot split (its /health says so): the option is absent
        other = browser.new_page()
        other.route("**/health", lambda route: route.fulfill(json={
            "status": "ok", "limits": {"max_upload_mb": 50, "max_song_minutes": 15,
                                       "max_prompt_chars": 2000},
            "vocal_split": {"available": False, "method": None, "why_not": "no split here"}}))
        other.goto(base + "/")
        other.wait_for_function("() => document.body.dataset.server === 'ok'")
        expect(other.locator("#opt-split")).to_be_hidden()

