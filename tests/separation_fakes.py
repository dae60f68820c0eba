"""Fakes of audio-separator and of the deployed Modal function, for the
separation tests.

They write real WAV files named the way audio-separator names them
(`{input}_({Stem})_{model}.wav`), peak-normalised per stem as audio-separator
does by default, and the karaoke fake writes at another sample rate. The
"separation" is an exact band split of whatever audio comes in (FFT masks
that sum to one), so stems sum to the mix for a whole song or any slice of it,
and a test song made of one tone per stem separates back into its tones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import soundfile as sf

from musicmixer.audio import SAMPLE_RATE, resample
from musicmixer.separation.karaoke import separate_two_pass
from musicmixer.separation.stem_files import KARAOKE_CKPT, MODEL_CKPT

# stem -> (low Hz, high Hz) of its band, and the tone the test song gives it
PRIMARY_BANDS = {"Bass": (0, 150), "Drums": (150, 300), "Piano": (300, 600),
                 "Guitar": (600, 1200), "Vocals": (1200, 4000), "Other": (4000, 1e9)}
KARAOKE_BANDS = {"Vocals": [(1200, 2000)], "Instrumental": [(0, 1200), (2000, 1e9)]}
TONES = {"bass": 80.0, "drums": 220.0, "piano": 440.0, "guitar": 880.0,
         "lead_vocals": 1500.0, "backing_vocals": 2500.0, "other": 6000.0}
FOUR_TONE_STEMS = {"bass": ["bass"], "drums": ["drums"],
                   "vocals": ["lead_vocals", "backing_vocals"],
                   "other": ["piano", "guitar", "other"]}


def tone(freq: float, seconds: float, sr: int = SAMPLE_RATE, amp: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    left = amp * np.sin(2 * np.pi * freq * t)
    right = amp * 0.8 * np.sin(2 * np.pi * freq * t + 0.3)
    return np.stack([left, right]).astype(np.float32)


# Loud enough that bass, vocals and lead peak above audio-separator's 0.9 and get scaled.
AMPS = {"bass": 1.2, "lead_vocals": 1.1}


def ground_truth(seconds: float = 2.0) -> dict[str, np.ndarray]:
    return {name: tone(f, seconds, amp=AMPS.get(name, 0.1)) for name, f in TONES.items()}


def write_song(path: Path, seconds: float = 2.0) -> np.ndarray:
    """A test song (one tone per stem) as a float32 WAV; returns the mix."""
    mix = sum(ground_truth(seconds).values())
    sf.write(str(path), mix.T, SAMPLE_RATE, subtype="FLOAT")
    return mix


def band_split(audio: np.ndarray, sr: int, bands: dict) -> dict[str, np.ndarray]:
    spec = np.fft.rfft(audio.astype(np.float64), axis=-1)
    freqs = np.fft.rfftfreq(audio.shape[-1], 1.0 / sr)
    out = {}
    for name, spans in bands.items():
        spans = [spans] if isinstance(spans, tuple) else spans
        mask = np.zeros(freqs.shape, bool)
        for lo, hi in spans:
            mask |= (freqs >= lo) & (freqs < hi)
        out[name] = np.fft.irfft(spec * mask, n=audio.shape[-1], axis=-1).astype(np.float32)
    return out


class FakeSeparatorPass:
    """A `karaoke.Runner` standing in for audio-separator with one model."""

    def __init__(self, model: str, bands: dict, *, out_rate: int | None = None,
                 normalise_peak: float | None = 0.9, behaviour: str = "ok", events=None,
                 split=None):
        self.model, self.bands, self.out_rate = model, bands, out_rate
        self.split = split or (lambda audio, sr: band_split(audio, sr, bands))
        self.normalise_peak, self.behaviour = normalise_peak, behaviour
        self.events = events if events is not None else []
        self.calls = 0

    def __call__(self, input_path: Path, out_dir: Path) -> list[Path]:
        self.calls += 1
        self.events.append(f"run {self.model}")
        if self.behaviour == "raise":
            raise RuntimeError("CUDA out of memory (fake)")
        data, sr = sf.read(str(input_path), dtype="float32", always_2d=True)
        stems = self.split(data.T, sr)
        written = []
        model_tag = Path(self.model).stem
        for name, audio in stems.items():
            out_sr = self.out_rate or sr
            if out_sr != sr:
                audio = resample(audio, sr, out_sr)
            peak = float(np.abs(audio).max()) if audio.size else 0.0
            if self.normalise_peak and peak > self.normalise_peak:  # audio-separator's normalize()
                audio = audio * (self.normalise_peak / peak)
            path = Path(out_dir) / f"{Path(input_path).stem}_({name})_{model_tag}.wav"
            if self.behaviour == "empty" and name == "Instrumental":
                path.write_bytes(b"")
            elif self.behaviour == "empty_audio" and name == "Instrumental":
                sf.write(str(path), np.zeros((0, 2), np.float32), out_sr, subtype="FLOAT")
            elif self.behaviour == "missing" and name == "Instrumental":
                continue
            else:
                sf.write(str(path), audio.T, out_sr, subtype="FLOAT")
            written.append(path)
        (Path(out_dir) / "separation.log").write_text("not audio\n")
        return sorted(Path(out_dir).iterdir())

    def release(self) -> None:
        self.events.append(f"release {self.model}")


class FakeModalFunction:
    """Stands in for `modal.Function.from_name(...)`: `.remote(**kwargs)` runs
    the real two-pass logic over `FakeSeparatorPass` runners (band splits, or
    the given `primary_split`/`karaoke_split`: audio, sr -> model stem names)."""

    def __init__(self, karaoke_behaviour: str = "ok", karaoke_rate: int = 32000,
                 drop: tuple[str, ...] = (), add: dict | None = None,
                 primary_split=None, karaoke_split=None):
        self.calls: list[dict] = []
        self.events: list[str] = []
        self.karaoke_behaviour, self.karaoke_rate = karaoke_behaviour, karaoke_rate
        self.drop, self.add = drop, add or {}
        self.primary_split, self.karaoke_split = primary_split, karaoke_split

    def remote(self, *, audio_bytes: bytes, filename: str, vocal_sub_separation: bool) -> dict:
        self.calls.append({"filename": filename, "vocal_sub_separation": vocal_sub_separation,
                           "n_bytes": len(audio_bytes)})
        primary = FakeSeparatorPass(MODEL_CKPT, PRIMARY_BANDS, events=self.events,
                                    split=self.primary_split)
        karaoke = FakeSeparatorPass(KARAOKE_CKPT, KARAOKE_BANDS, out_rate=self.karaoke_rate,
                                    behaviour=self.karaoke_behaviour, events=self.events,
                                    split=self.karaoke_split)
        with tempfile.TemporaryDirectory() as tmp:
            stems = separate_two_pass(audio_bytes, filename, vocal_sub_separation,
                                      primary=primary, karaoke=karaoke,
                                      release=primary.release, workdir=Path(tmp))
        for name in self.drop:
            stems.pop(name, None)
        stems.update(self.add)
        return stems


class FakeLocalBackend:
    """A dispatcher backend giving the 4 local stems by band split; counts calls."""

    BANDS: ClassVar[dict[str, tuple[float, float]]] = {"bass": (0, 150), "drums": (150, 300), "other": (300, 1200),
             "vocals": (1200, 4000), "other_hi": (4000, 1e9)}

    def __init__(self, delay: float = 0.0):
        self.calls = 0
        self.lengths: list[int] = []
        self.delay = delay

    def __call__(self, job) -> dict[str, np.ndarray]:
        import time

        self.calls += 1
        self.lengths.append(job.audio.shape[1])
        if self.delay:
            time.sleep(self.delay)
        parts = band_split(job.audio, SAMPLE_RATE, self.BANDS)
        parts["other"] = parts["other"] + parts.pop("other_hi")
        return parts
