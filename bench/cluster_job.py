"""The job `bench/cluster.py` runs in each job process (named by import path):
the real pipeline on two generated 8-bar songs, their ground-truth stems
standing in for separation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pipeline_helpers import short_pair

from musicmixer.pipeline import run_mix
from musicmixer.stems import stems_for_settings


def truth_mix(request, settings, progress):
    a, b = short_pair(bars=8)
    songs = {"song_a": a, "song_b": b}

    def truth(job):
        stems = songs[Path(job.source_path).stem].truth_stems(stems_for_settings(job.settings))
        return {k: np.ascontiguousarray(v[:, :job.audio.shape[1]]) for k, v in stems.items()}

    request.backends = {"modal": truth}
    return run_mix(request, settings, progress)
