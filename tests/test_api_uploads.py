"""Bad uploads: each refused with a 4xx and a sentence a person understands,
nothing left on disk, no job created. Run against the in-process client and
a real server process over loopback."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile as sf
from api_helpers import mp3_bytes, open_api, wav_bytes


@pytest.fixture(scope="module", params=["app", "server"])
def api(request, tmp_path_factory):
    with open_api(request.param, tmp_path_factory.mktemp(f"up-{request.param}")) as a:
        yield a


def refused(api, response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    for word in words:
        assert word.lower() in detail.lower(), detail
    assert api.remix_dirs() == set(), "a refused upload left files behind"
    assert api.client.get("/health").json()["queued"] == 0


def truncated_mp3() -> bytes:
    whole = mp3_bytes(4.0)
    return whole[: len(whole) // 2]


def truncated_wav() -> bytes:
    whole = wav_bytes(4.0)
    return whole[: len(whole) // 2]


def long_wav(minutes: float) -> bytes:
    """A real, valid WAV that long: 8 kHz, 8-bit mono keeps it small."""
    buf = io.BytesIO()
    n = int(minutes * 60 * 8000)
    sf.write(buf, np.zeros(n, dtype=np.float32) + 0.01, 8000, format="WAV", subtype="PCM_U8")
    return buf.getvalue()


def test_good_upload_is_accepted(api):
    r = api.post(a=("song a.mp3", mp3_bytes(7.0)))
    assert r.status_code == 202
    sid = r.json()["session_id"]
    assert api.wait(sid)["status"] == "complete"
    api.cancel(sid)  # finished: nothing to cancel
    # later tests check for leftovers: remove this remix's files through expiry-like cleanup
    import shutil

    shutil.rmtree(api.data_dir / "web" / "remixes" / sid)


@pytest.mark.parametrize("name, content, status, words", [
    ("notes.mp3", b"this is not a song\n" * 500, 415, ["not audio"]),
    ("notes.wav", b"RIFF but not really" * 500, 415, ["not audio"]),
    ("song.txt", b"hello", 415, ["not an mp3 or wav"]),
    ("song", b"hello", 415, ["not an mp3 or wav"]),
    ("song.mp3", b"", 422, ["empty"]),
    ("song.wav", b"", 422, ["empty"]),
    ("tiny.mp3", b"ID3", 422, ["could not be decoded"]),
])
def test_bad_files(api, name, content, status, words):
    refused(api, api.post(a=(name, content)), status, "song_a", *words)


def test_wav_renamed_to_mp3_is_refused(api):
    refused(api, api.post(b=("song.mp3", wav_bytes(2.0))), 415, "song_b", "named .mp3",
            "wav audio")


def test_truncated_mp3(api):
    refused(api, api.post(a=("cut.mp3", truncated_mp3())), 422, "truncated")


def test_truncated_wav(api):
    refused(api, api.post(b=("cut.wav", truncated_wav())), 422, "truncated")


@pytest.mark.parametrize("name, content, words", [
    ("Short Song.wav", lambda: wav_bytes(3.0), ["too short to mix", "3.0 s", "at least 6 seconds"]),
    ("Short Song.mp3", lambda: mp3_bytes(2.0), ["too short to mix"]),
    ("Quiet Song.wav", lambda: silent_wav(8.0), ["is silent"]),
])
def test_too_short_or_silent_song_is_refused_while_uploading(api, name, content, words):
    """Found #4: these were accepted (202) and failed a second later."""
    refused(api, api.post(b=(name, content())), 422, "song_b", repr(name), *words)


def silent_wav(seconds: float) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.zeros(int(seconds * 8000), dtype=np.float32), 8000, format="WAV",
             subtype="PCM_16")
    return buf.getvalue()


def test_song_over_15_minutes(api):
    refused(api, api.post(a=("long.wav", long_wav(16))), 422, "16.0 minutes", "15 minutes")


def test_song_just_under_15_minutes_passes_the_upload_checks(api):
    r = api.post(a=("long.wav", long_wav(14.9)))
    assert r.status_code == 202
    sid = r.json()["session_id"]
    api.wait(sid)
    import shutil

    shutil.rmtree(api.data_dir / "web" / "remixes" / sid, ignore_errors=True)


def test_oversized_upload_is_stopped_at_the_limit(api):
    header = wav_bytes(1.0)
    big = header + b"\0" * (51_000_000 - len(header))  # 51 MB, valid header up front
    refused(api, api.post(a=("big.wav", big)), 413, "50 MB")


def test_declared_body_far_over_the_limits_is_refused_before_reading(api):
    big = b"\0" * 101_500_000
    refused(api, api.post(a=("big.wav", big), b=("b.wav", b"x")), 413, "50 MB")


@pytest.mark.parametrize("name", ["../../etc/passwd.wav", "a/b.wav", "..\\..\\x.wav",
                                  "/abs/song.wav", ".."])
def test_path_like_file_names(api, name):
    refused(api, api.post(a=(name, wav_bytes())), 400, "plain file name")


def test_100kb_prompt(api):
    refused(api, api.post(prompt="a" * 100_000), 413, "too long")


def test_long_but_allowed_prompt_passes(api):
    r = api.post(prompt="b" * 1999)
    assert r.status_code == 202
    sid = r.json()["session_id"]
    api.wait(sid)
    import shutil

    shutil.rmtree(api.data_dir / "web" / "remixes" / sid, ignore_errors=True)


def test_empty_prompt(api):
    refused(api, api.post(prompt="   "), 422, "type a prompt")


def test_missing_prompt(api):
    refused(api, api.post(prompt=None), 422, "type a prompt")


def test_missing_song(api):
    refused(api, api.post(b=(None, None)), 422, "song_b is missing")


def test_not_multipart(api):
    r = api.client.post("/api/remix", json={"song_a": "x"})
    refused(api, r, 415, "multipart/form-data")


def test_malformed_multipart(api):
    r = api.client.post("/api/remix", content=b"--xyz\r\nnonsense",
                        headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert 400 <= r.status_code < 500
    refused(api, r, r.status_code)


def test_unknown_option(api):
    refused(api, api.post(colour="blue"), 422, "invalid options", "colour")


def test_bad_options_json(api):
    refused(api, api.post(options="{nope"), 422, "invalid options")


def test_out_of_range_option(api):
    refused(api, api.post(options='{"target_lufs": 3}'), 422, "target_lufs")


def test_unexpected_file_field(api):
    files = {"song_a": ("a.wav", wav_bytes()), "song_b": ("b.wav", wav_bytes()),
             "song_c": ("c.wav", wav_bytes())}
    r = api.client.post("/api/remix", files=files, data={"prompt": "x"})
    refused(api, r, 400, "song_c")


def test_duplicate_field(api):
    body, boundary = b"", "b0undary"
    for name in ("prompt", "prompt"):
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 "hello\r\n").encode()
    body += f"--{boundary}--\r\n".encode()
    r = api.client.post("/api/remix", content=body,
                        headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    refused(api, r, 400, "sent twice")


def test_wav_header_duration_is_checked_while_streaming():
    from musicmixer.service.uploads import sniff, wav_seconds

    head = wav_bytes(2.0, sr=8000)[:64]
    assert sniff(head) == ".wav" and wav_seconds(head) == pytest.approx(2.0)
    fake = head[:40] + struct.pack("<I", 8000 * 2 * 60 * 20) + head[44:]  # claims 20 minutes
    assert wav_seconds(fake) == pytest.approx(20 * 60)
