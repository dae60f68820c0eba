"""The stem vocabularies and the one function that says which stems a
configuration produces (DESIGN.md, "Stem modes").

Nothing else in musicmixer spells a stem list or compares to "vocals": it asks
this module.
"""

from __future__ import annotations

import logging

from musicmixer.config import Settings

logger = logging.getLogger(__name__)

FOUR_STEMS = ["vocals", "drums", "bass", "other"]
ALL_STEMS = ["vocals", "drums", "bass", "guitar", "piano", "other"]
SEVEN_STEMS = ["lead_vocals", "backing_vocals", "drums", "bass", "guitar", "piano", "other"]
VOCAL_STEM_NAMES = frozenset({"vocals", "lead_vocals", "backing_vocals"})
LEAD_VOCAL_STEM = "lead_vocals"
BACKING_VOCAL_STEM = "backing_vocals"
MIXED_VOCAL_STEM = "vocals"


def stems_for(stem_backend: str, vocal_sub_separation: bool) -> list[str]:
    """The stems a configuration produces, in canonical order.

    local  + flag -> the 4 local stems; the flag is ignored with a warning,
    because the local model has no karaoke pass.
    """
    if stem_backend == "local":
        if vocal_sub_separation:
            _warn_flag_ignored()
        return list(FOUR_STEMS)
    if stem_backend == "modal":
        return list(SEVEN_STEMS if vocal_sub_separation else ALL_STEMS)
    raise ValueError(f"unknown stem backend {stem_backend!r} (expected 'local' or 'modal')")


def _warn_flag_ignored() -> None:
    logger.warning(
        "VOCAL_SUB_SEPARATION is ignored with the local stem backend: "
        "it produces 4 stems (vocals, drums, bass, other)"
    )


def stems_for_settings(settings: Settings) -> list[str]:
    """`stems_for` on a Settings object."""
    return stems_for(settings.stem_backend, settings.vocal_sub_separation)


def is_vocal(stem_name: str) -> bool:
    """True for every stem that goes to the vocal bus."""
    return stem_name in VOCAL_STEM_NAMES


def vocal_stems(stem_names) -> list[str]:
    """The vocal members of a stem list, order kept."""
    return [s for s in stem_names if s in VOCAL_STEM_NAMES]


def instrumental_stems(stem_names) -> list[str]:
    """The non-vocal members of a stem list, order kept."""
    return [s for s in stem_names if s not in VOCAL_STEM_NAMES]
