"""The spec's `eq.py` import path (per-stem corrective EQ, step 7.75)."""

from musicmixer.dsp.eq import EQ_PRESETS, _get_eq_preset, apply_corrective_eq
from musicmixer.stems import VOCAL_STEM_NAMES

__all__ = ["EQ_PRESETS", "VOCAL_STEM_NAMES", "_get_eq_preset", "apply_corrective_eq"]
