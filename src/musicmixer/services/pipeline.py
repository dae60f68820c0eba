"""The spec's `services/pipeline.py` import path (the main job's stage order)."""

from musicmixer.pipeline import STAGES, MixRequest, MixResult, run_mix
from musicmixer.stems import VOCAL_STEM_NAMES

__all__ = ["STAGES", "VOCAL_STEM_NAMES", "MixRequest", "MixResult", "run_mix"]
