"""DSP building blocks for the mix engine (steps 7.7-15).

Each module is one idea; effects are small callables `(audio, sr) -> audio` on
float32 arrays shaped (channels, n), so a chain reads top to bottom:

    chain = Chain([HighPass(120), PeakFilter(250, -2.5), LowPass(16000)])
    out = chain(audio, 44100)

Everything here is numpy/scipy only: pedalboard and matchering are GPL-3.0
and are not used. The functions below are the pipeline's entry points, by step.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from .chain import Chain, Gain
from .ducking import duck_instrumental  # 12.5
from .dynamics import compress_vocal  # 11
from .eq import apply_corrective_eq  # 7.75
from .filters import bandpass_filter, vocal_bandpass  # 7.7
from .level_match import (  # 11.5
    cross_song_level_match,
    level_match_vocal_stems,
    level_match_vocal_stems_with_gain,
)
from .leveler import auto_level, leveler_tuning  # 13.7
from .mastering import apply_fades, master  # 14, 15
from .multiband import multiband_compress  # 13.3
from .reference import reference_master  # 14.5
from .resonance import notch_resonances  # 9.5

__all__ = [
    "Chain", "Gain", "apply_corrective_eq", "apply_fades", "auto_level", "bandpass_filter",
    "compress_vocal", "cross_song_level_match", "duck_instrumental", "level_match_vocal_stems",
    "level_match_vocal_stems_with_gain",
    "leveler_tuning", "master", "multiband_compress", "notch_resonances", "reference_master",
    "vocal_bandpass",
]
