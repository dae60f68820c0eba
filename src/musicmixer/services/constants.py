"""The spec's shared-constant location; re-exports the stem vocabulary."""

from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS, VOCAL_STEM_NAMES

__all__ = ["ALL_STEMS", "FOUR_STEMS", "SEVEN_STEMS", "VOCAL_STEM_NAMES"]
