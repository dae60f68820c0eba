"""Cross-song level match, step 11.5: the vocals of one song sit 2 dB above
the instrumental of the other (integrated LUFS), a move of at most +-12 dB.

With vocal sub-stems (step 11.5, "summed LUFS approach") the match is
made on the sum of the sub-stems, and the one resulting gain is applied to
each of them, so the lead/backing balance the plan relies on is kept.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import numpy as np

from musicmixer.audio import integrated_lufs

from .chain import match_length

VOCAL_OVER_INSTRUMENTAL_DB = 2.0
MAX_MATCH_DB = 12.0


def measure_lufs(audio: np.ndarray, sr: int) -> float:
    return integrated_lufs(audio, sr)


def cross_song_level_match(vocal: np.ndarray, inst: np.ndarray, sr: int,
                           offset_db: float = VOCAL_OVER_INSTRUMENTAL_DB,
                           max_gain_db: float = MAX_MATCH_DB) -> np.ndarray:
    """Step 11.5: the vocal, gained to instrumental LUFS + `offset_db` (clamped).

    Returns the gained audio (not the gain), as callers expect;
    silence on either side leaves the vocal as it is.
    """
    vocal_lufs, inst_lufs = measure_lufs(vocal, sr), measure_lufs(inst, sr)
    if not (np.isfinite(vocal_lufs) and np.isfinite(inst_lufs)):
        return np.asarray(vocal, dtype=np.float32)
    gain_db = float(np.clip(inst_lufs + offset_db - vocal_lufs, -max_gain_db, max_gain_db))
    return (np.asarray(vocal) * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)


def sum_stems(stems) -> np.ndarray:
    """Sum arrays of possibly different lengths (zero-padded to the longest)."""
    stems = [np.asarray(s, dtype=np.float32) for s in stems]
    n = max(s.shape[-1] for s in stems)
    return np.sum([match_length(s, n) for s in stems], axis=0).astype(np.float32)


def level_match_vocal_stems(vocal_audio: dict[str, np.ndarray], inst_sum: np.ndarray,
                            sr: int) -> dict[str, np.ndarray]:
    """Step 11.5 for one or more vocal stems (`vocals`, or `lead_vocals` + `backing_vocals`);
    see `level_match_vocal_stems_with_gain`. Returns a new dict."""
    return level_match_vocal_stems_with_gain(vocal_audio, inst_sum, sr)[0]


def level_match_vocal_stems_with_gain(vocal_audio: dict[str, np.ndarray], inst_sum: np.ndarray,
                                      sr: int) -> tuple[dict[str, np.ndarray], float]:
    """Step 11.5, also returning the gain (dB) applied, for the report.

    The summed LUFS approach: (1) sum the sub-stems, (2) pre_lufs of the sum,
    (3) `cross_song_level_match` on the sum, (4) post_lufs of the result,
    (5) gain_db = post_lufs - pre_lufs, (6) the same linear gain on every sub-stem.
    The input is not modified.
    """
    if not vocal_audio:
        return {}, 0.0
    vocal_sum = sum_stems(vocal_audio.values())                   # (1)
    pre_lufs = measure_lufs(vocal_sum, sr)                        # (2)
    gained_sum = cross_song_level_match(vocal_sum, inst_sum, sr)  # (3)
    post_lufs = measure_lufs(gained_sum, sr)                      # (4)
    if not (np.isfinite(pre_lufs) and np.isfinite(post_lufs)):
        return {name: np.asarray(a, dtype=np.float32) for name, a in vocal_audio.items()}, 0.0
    gain_db = post_lufs - pre_lufs                                # (5)
    gain_linear = np.float32(10.0 ** (gain_db / 20.0))            # (6)
    return ({name: (np.asarray(a) * gain_linear).astype(np.float32)
             for name, a in vocal_audio.items()}, float(gain_db))
