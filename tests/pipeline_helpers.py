"""Shared bits of the pipeline tests: short generated songs and a separator
that returns their exact ground-truth stems (keeps CI fast; the modal
configurations go through `separation_fakes.FakeModalFunction` instead)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from musicmixer.audio import save_audio
from musicmixer.stems import stems_for_settings
from musicmixer.testsongs import SongSpec, generate_song

SONG_CACHE = Path("/tmp/musicmixer-test-songs")


def short_pair(bars: int = 8, drift: float = 0.0):
    """Vocal song A (120 BPM, C major) and instrumental song B (100 BPM, D minor)."""
    a = generate_song(SongSpec(tempo=120.0, key="C", mode="major", bars=bars, seed=3,
                               title="Pipe A", voices="gm", tempo_drift=drift), SONG_CACHE)
    b = generate_song(SongSpec(tempo=100.0, key="D", mode="minor", bars=bars, seed=4,
                               title="Pipe B", voices="gm", feel="straight"), SONG_CACHE)
    return a, b


def onset_pulses(times: np.ndarray, n: int, strength: float = 1.0) -> np.ndarray:
    """An onset envelope of `n` frames with a pulse of `strength` where each of
    `times` (seconds) sounds, as the analysis reads it (flux lags the note)."""
    from musicmixer.analysis.beats import ONSET_LAG_S
    from musicmixer.analysis.features import FPS

    env = np.zeros(n)
    for t in times:
        f = int(round((t + ONSET_LAG_S) * FPS))
        if 0 <= f < n:
            env[f] += strength
    return env


def drum_pulse(bpm: float, n: int, sr: int = 44100) -> np.ndarray:
    """A drum stem that is only noise bursts at `bpm`: a bad split of the drums,
    with a periodicity of its own."""
    out = np.zeros((2, n), np.float32)
    burst = (np.hanning(400) * np.random.default_rng(0).standard_normal(400)).astype(np.float32)
    for t in np.arange(0, n / sr, 60.0 / bpm):
        i = int(t * sr)
        if i + 400 < n:
            out[:, i:i + 400] += 0.8 * burst
    return out


class TruthBackend:
    """A dispatcher backend: the generated song's own stems, in the mode's vocabulary.

    Like the local model, it writes them into the job's `stem_dir` when there
    is one, one stem at a time, so a benchmark of a long song measures the
    pipeline's memory rather than this stand-in's."""

    def __init__(self, *songs):
        self.by_path = {Path(s.mix_path).resolve(): s for s in songs}
        self.calls = 0

    def __call__(self, job):
        self.calls += 1
        song = self.by_path[Path(job.source_path).resolve()]
        names = stems_for_settings(job.settings)
        n = job.audio.shape[1]
        if job.stem_dir is None:
            return {k: np.ascontiguousarray(v[:, :n]) for k, v in song.truth_stems(names).items()}
        return {k: save_audio(Path(job.stem_dir) / f"{k}.wav", song.truth_stem(k, names)[:, :n])
                for k in names}


class TruthModalFunction:
    """The fake Modal function with a perfect separator behind it: pass 1 gives the
    songs' six ground-truth stems, the karaoke pass their lead and backing vocals.
    Everything around the model (files, names, peak normalisation, the two-pass
    logic) is the real code, as in `FakeModalFunction`; benchmarks of what comes
    after separation use it, since band splits are not what a separator returns."""

    PRIMARY: ClassVar[dict[str, str]] = {"Bass": "bass", "Drums": "drums", "Piano": "piano", "Guitar": "guitar",
               "Other": "other", "Vocals": "vocals"}

    def __init__(self, *songs):
        from separation_fakes import FakeModalFunction

        self.songs = songs
        self._fake = FakeModalFunction(karaoke_rate=44100, primary_split=self._primary,
                                       karaoke_split=self._karaoke)
        self.calls = self._fake.calls

    def remote(self, **kwargs) -> dict:
        return self._fake.remote(**kwargs)

    def _closest(self, audio: np.ndarray, reference) -> tuple:
        """(song, its reference audio) most like `audio` over the first 10 s."""
        n = min(audio.shape[-1], 441000)
        best = None
        for song in self.songs:
            ref = reference(song)
            a, b = audio[0, :n].astype(np.float64), ref[0, :n].astype(np.float64)
            score = abs(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)
            if best is None or score > best[0]:
                best = (score, song, ref)
        return best[1], best[2]

    def _primary(self, audio: np.ndarray, sr: int) -> dict:
        song, _ = self._closest(audio, lambda s: s.load_mix())
        truth = song.truth_stems(list(self.PRIMARY.values()))
        return {model: _fit(truth[ours], audio.shape[-1]) for model, ours in self.PRIMARY.items()}

    def _karaoke(self, audio: np.ndarray, sr: int) -> dict:
        song, _ = self._closest(audio, lambda s: s.load_stem("lead_vocals")
                                + s.load_stem("backing_vocals"))
        n = audio.shape[-1]
        return {"Vocals": _fit(song.load_stem("lead_vocals"), n),
                "Instrumental": _fit(song.load_stem("backing_vocals"), n)}


def _fit(audio: np.ndarray, n: int) -> np.ndarray:
    return np.pad(audio[:, :n], ((0, 0), (0, max(0, n - audio.shape[-1]))))
