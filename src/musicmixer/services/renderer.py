"""The spec's `services/renderer.py` import path (bus routing, step 12)."""

from musicmixer.renderer import RenderResult, gain_curve, render_sections
from musicmixer.stems import VOCAL_STEM_NAMES

__all__ = ["VOCAL_STEM_NAMES", "RenderResult", "gain_curve", "render_sections"]
