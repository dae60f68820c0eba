"""The spec's `services/separation_modal.py`: re-exports the Modal app
(`musicmixer.separation.modal_app`) and its pure logic. Importing this does not
need `modal`; `app` is None without it."""

from musicmixer.separation.modal_app import app, image, run_separation, separate_stems_remote
from musicmixer.separation.stem_files import (
    KARAOKE_CKPT,
    KARAOKE_STEM_MAP,
    MODEL_CKPT,
    _tokenize_stem_filename,
    match_stem_files,
    undo_peak_normalisation,
)

__all__ = ["KARAOKE_CKPT", "KARAOKE_STEM_MAP", "MODEL_CKPT", "_tokenize_stem_filename", "app",
           "image", "match_stem_files", "run_separation", "separate_stems_remote",
           "undo_peak_normalisation"]
