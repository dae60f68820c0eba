"""The spec's `services/separation.py` (dispatcher): re-exports
`musicmixer.separation.dispatcher`."""

from musicmixer.separation.dispatcher import (
    BACKENDS,
    RANGE_MARGIN_S,
    SeparationResult,
    _separate_local,
    _separate_modal,
    separate_stems,
    validate_stem_set,
)

__all__ = ["BACKENDS", "RANGE_MARGIN_S", "SeparationResult", "_separate_local",
           "_separate_modal", "separate_stems", "validate_stem_set"]
