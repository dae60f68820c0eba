"""Shared bits of the pipeline tests: short generated songs and a separator
that returns their exact ground-truth stems (keeps CI fast; the modal
configurations go through `separation_fakes.FakeModalFunction` instead)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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


class TruthBackend:
    """A dispatcher backend: the generated song's own stems, in the mode's vocabulary."""

    def __init__(self, *songs):
        self.by_path = {Path(s.mix_path).resolve(): s for s in songs}
        self.calls = 0

    def __call__(self, job):
        self.calls += 1
        song = self.by_path[Path(job.source_path).resolve()]
        stems = song.truth_stems(stems_for_settings(job.settings))
        n = job.audio.shape[1]
        return {k: np.ascontiguousarray(v[:, :n]) for k, v in stems.items()}
