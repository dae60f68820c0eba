"""Audio I/O: formats, resampling, atomic saves, loudness, and bad files."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicmixer import audio
from musicmixer.errors import AudioDecodeError

SR = audio.SAMPLE_RATE


def tone(seconds=2.0, freq=440.0, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg"])
def test_soundfile_formats_load_as_stereo_441(tmp_path, ext):
    path = tmp_path / f"x{ext}"
    sf.write(path, tone(1.0), SR)
    x = audio.load_audio(path)
    assert x.dtype == np.float32 and x.shape[0] == 2
    assert abs(x.shape[1] - SR) < 2048
    assert np.allclose(x[0], x[1])  # mono duplicated


@pytest.mark.parametrize("ext", [".mp3", ".m4a"])
def test_compressed_formats_load(tmp_path, ext):
    wav = tmp_path / "src.wav"
    sf.write(wav, tone(1.0), SR)
    out = tmp_path / f"x{ext}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), str(out)], check=True)
    x = audio.load_audio(out)
    assert x.shape[0] == 2 and x.shape[1] > 0.9 * SR
    assert 0.3 < np.max(np.abs(x)) < 0.7


def test_resamples_to_44100(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, np.stack([tone(1.0, sr=48000), tone(1.0, sr=48000)], 1), 48000)
    x = audio.load_audio(path)
    assert abs(x.shape[1] - SR) <= 1


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty"):
        audio.load_audio(path)


def test_text_file_renamed_to_mp3(tmp_path):
    path = tmp_path / "song.mp3"
    path.write_text("this is not a song\n" * 100)
    with pytest.raises(AudioDecodeError, match=r"song\.mp3"):
        audio.load_audio(path)


def test_zero_length_wav(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros((0, 2), dtype=np.float32), SR)
    with pytest.raises(AudioDecodeError, match=r"zero length|no audio"):
        audio.load_audio(path)


def test_truncated_wav(tmp_path):
    path = tmp_path / "t.wav"
    sf.write(path, np.stack([tone(), tone()], 1), SR, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioDecodeError, match="truncated"):
        audio.load_audio(path)


def test_missing_file(tmp_path):
    with pytest.raises(AudioDecodeError, match="no such file"):
        audio.load_audio(tmp_path / "nope.wav")


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3"])
def test_save_roundtrip_and_atomic(tmp_path, ext):
    x = np.stack([tone(1.0), tone(1.0, 660.0)])
    out = audio.save_audio(tmp_path / f"o{ext}", x)
    assert out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [f"o{ext}"]  # no temp file left
    y = audio.load_audio(out)
    n = min(x.shape[1], y.shape[1])
    if ext != ".mp3":
        assert np.allclose(x[:, :n], y[:, :n], atol=1e-4)


def test_failed_save_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        audio.save_audio(tmp_path / "o.xyz", np.zeros((2, 100)))
    assert list(tmp_path.iterdir()) == []


def test_lufs_of_full_scale_sine():
    # A 997 Hz sine at 0 dBFS in both channels reads about +3 LUFS... per BS.1770,
    # -3.01 LUFS for one channel; stereo sums channel powers (+3 dB) -> ~0 LUFS.
    x = np.stack([tone(3.0, 997.0, amp=1.0)] * 2)
    assert audio.integrated_lufs(x) == pytest.approx(0.0, abs=0.3)
    assert audio.integrated_lufs(x * 0.1) == pytest.approx(-20.0, abs=0.3)
    assert audio.integrated_lufs(np.zeros((2, SR))) == float("-inf")


def test_true_peak_catches_intersample_peaks():
    # A sine at fs/4 sampled at 45 degrees never hits its crest on a sample.
    n = np.arange(SR)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float32)
    sample_peak = 20 * np.log10(np.max(np.abs(x)))
    assert sample_peak == pytest.approx(-3.01, abs=0.05)
    assert audio.true_peak_db(x) == pytest.approx(0.0, abs=0.2)


@pytest.mark.parametrize("n", [3000, 300_000])  # under and over the threaded size
def test_true_peak_reads_every_channel(n):
    from musicmixer.dsp.limiter import sample_true_peaks_db

    # Channel 0: a click at 0.25. Channel 1, from n/2 on: the fs/4 sine at 45
    # degrees, whose crests (0 dBTP) fall between its samples (-3 dBFS).
    x = np.zeros((2, n), np.float32)
    x[0, 100] = 0.25
    k = np.arange(n - n // 2)
    x[1, n // 2:] = 0.5 * np.sin(2 * np.pi * k / 4 + np.pi / 4)
    assert audio.true_peak_db(x) == pytest.approx(-6.02, abs=0.2)
    per_sample = sample_true_peaks_db(x)
    assert per_sample.shape == (n,)
    assert per_sample[n // 2 + 200] == pytest.approx(-6.02, abs=0.2)
    assert per_sample[100] == pytest.approx(-12.04, abs=0.05)


def test_true_peak_agrees_with_a_polyphase_meter():
    # Band-limited noise bursts: the meter reads what scipy's 4x FIR reads.
    from scipy.signal import butter, resample_poly, sosfilt

    rng = np.random.default_rng(5)
    x = sosfilt(butter(4, 16000, fs=SR, output="sos"), rng.standard_normal((2, 3 * SR)))
    x = (x * np.repeat(rng.uniform(0.1, 0.6, (2, 30)), SR // 10, axis=1)).astype(np.float32)
    polyphase = 20 * np.log10(np.abs(resample_poly(x, 4, 1, axis=-1)).max())
    assert audio.true_peak_db(x) == pytest.approx(polyphase, abs=0.05)
    assert audio.true_peak_db(x) > 20 * np.log10(np.abs(x).max())


def test_saved_file_has_normal_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = audio.save_audio(tmp_path / "o.wav", np.zeros((2, 100)))
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


@pytest.mark.parametrize("sr", [44100, 48000, 32000])
@pytest.mark.parametrize("shape", ["noise", "quiet_half", "gap", "mono", "short"])
def test_lufs_agrees_with_pyloudnorm(sr, shape):
    """The vectorised meter reads what pyloudnorm reads, gates included."""
    import pyloudnorm

    rng = np.random.default_rng(sr + len(shape))
    n = int(sr * (0.45 if shape == "short" else 7.3))
    x = rng.standard_normal((1 if shape == "mono" else 2, n)) * 0.2
    if shape == "quiet_half":  # blocks under the relative gate
        x[:, : n // 2] *= 1e-3
    if shape == "gap":  # blocks under the absolute gate
        x[:, n // 3 : 2 * n // 3] = 0.0
    expected = pyloudnorm.Meter(sr).integrated_loudness(x.T.copy())
    assert audio.integrated_lufs(x, sr) == pytest.approx(expected, abs=1e-4)


def test_lufs_of_audio_under_the_absolute_gate_is_minus_infinity():
    assert audio.integrated_lufs(np.full((2, SR), 1e-5)) == float("-inf")


def test_cli_on_text_renamed_mp3_prints_only_our_one_line_error(tmp_path):
    """Issue 18, found #9: libmpg123's "Illegal Audio-MPEG-Header ... Trying to
    resync" lines came out above our error."""
    import sys

    fake = tmp_path / "fake.mp3"
    fake.write_text("hello, this is text and not audio\n" * 200)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-m", "musicmixer", "analyze", str(fake)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("musicmixer: error: fake.mp3"), proc.stderr
