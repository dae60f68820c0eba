"""Per-stem corrective EQ presets, step 7.75 (`ab_per_stem_eq_v1`).

Mostly cuts (mud at 250-800 Hz, where stems from two songs pile up), with
small presence boosts that never exceed +0.75 dB (the table in docs/architecture.md). Every
vocal stem name - `vocals`, `lead_vocals`, `backing_vocals` - takes the
"vocals" preset (docs/architecture.md, "EQ preset mapping"); unknown stems "other".
"""

from __future__ import annotations

import numpy as np

from musicmixer.stems import VOCAL_STEM_NAMES

from .chain import Chain
from .filters import HighPass, HighShelf, LowPass, PeakFilter, apply_sos

PEAK_Q = 1.4  # about one octave wide: broad corrective moves, little overlap
MAX_BOOST_DB = 0.75

# Per stem: high-pass Hz, peaks (Hz, dB), optional high shelf (Hz, dB), optional low-pass Hz.
EQ_PRESETS: dict[str, dict] = {
    "vocals": {"highpass": 120.0, "peaks": [(250.0, -2.5), (800.0, -1.5), (3000.0, 0.75)],
               "lowpass": 16000.0},
    "drums": {"highpass": 30.0, "peaks": [(400.0, -3.0), (800.0, -2.0), (5000.0, 0.75)],
              "high_shelf": (12000.0, -1.0)},
    "bass": {"highpass": 30.0, "peaks": [(60.0, 0.75), (250.0, -2.0), (800.0, -3.0)],
             "lowpass": 8000.0},
    "guitar": {"highpass": 80.0, "peaks": [(200.0, -2.0), (1200.0, -1.5), (3500.0, 0.75)]},
    "piano": {"highpass": 60.0, "peaks": [(300.0, -1.5), (2500.0, 0.75)]},
    "other": {"highpass": 80.0, "peaks": [(400.0, -2.0), (2500.0, 0.5)]},
}
assert all(g <= MAX_BOOST_DB for p in EQ_PRESETS.values() for _, g in p["peaks"])


def get_eq_preset(stem_type: str) -> dict:
    """The preset for a stem: any vocal stem -> "vocals", unknown -> "other"."""
    if stem_type in VOCAL_STEM_NAMES:
        preset_key = "vocals"
    else:
        preset_key = stem_type
    return EQ_PRESETS.get(preset_key, EQ_PRESETS["other"])


def preset_chain(preset: dict) -> Chain:
    """The filters of a preset, in signal order."""
    chain = Chain([HighPass(preset["highpass"])])
    chain += [PeakFilter(freq, gain, PEAK_Q) for freq, gain in preset["peaks"]]
    if "high_shelf" in preset:
        chain.append(HighShelf(*preset["high_shelf"]))
    if "lowpass" in preset:
        chain.append(LowPass(preset["lowpass"]))
    return chain


def preset_sos(preset: dict, sr: int) -> np.ndarray:
    """The whole preset as one cascade of second-order sections (for `sosfreqz`)."""
    return np.concatenate([f.sos(sr) for f in preset_chain(preset)])


def apply_corrective_eq(audio: np.ndarray, sr: int, stem_type: str) -> np.ndarray:
    """Step 7.75: clean a stem up before it is mixed with the other song's stems.
    The preset's filters run as one cascade: one pass over the audio, not one per filter."""
    return apply_sos(audio, preset_sos(get_eq_preset(stem_type), sr))
