"""How well the vocals sit on the beat, measured on rendered audio (bench and tests).

For each output bar, the vocal song's own vocal stem over the matching bar
(true downbeat to true downbeat) is scaled to the output bar's length and slid
along the rendered vocal bus around the instrumental's true downbeat; the lag
where their energy envelopes agree best is that bar's vocal-to-instrumental
downbeat offset. Bars with nothing sung on the downbeat's beat are skipped (NaN). The same
measure on the instrumental bus against the instrumental's own stem gives its
offset; their difference is the vocal-to-instrumental offset.
"""

from __future__ import annotations

import numpy as np

HOP = 128  # 2.9 ms at 44.1 kHz
SEARCH_S = 0.12


def energy_envelope(audio: np.ndarray, hop: int = HOP) -> np.ndarray:
    """Log frame energy (dB), floored 40 dB under the peak: the shape of the phrases."""
    x = np.asarray(audio, dtype=np.float64)
    mono = x.mean(axis=0) if x.ndim == 2 else x
    n = len(mono) // hop
    rms = np.sqrt(np.mean(mono[: n * hop].reshape(n, hop) ** 2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-9))
    return np.maximum(db, db.max() - 40.0) if n else db


def downbeat_offsets(vocal_bus: np.ndarray, vocal_source: np.ndarray, source_downbeats,
                     output_downbeats, sr: int, min_level: float = 0.05,
                     search_s: float = SEARCH_S) -> np.ndarray:
    """Seconds the rendered material sits late (+) or early (-) on each output
    downbeat; NaN for bars that cannot be measured.

    source_downbeats[k] (seconds in the vocal song) should land on
    output_downbeats[k] (seconds in the output). Each bar of the source
    (downbeat to downbeat) is scaled to the output bar's length and matched
    (normalised cross-correlation of energy envelopes) within +-`search_s`
    (120 ms). `min_level` 0 measures bars with nothing sung on the downbeat too.
    """
    out_env, src_env = energy_envelope(vocal_bus), energy_envelope(vocal_source)
    fps = sr / HOP
    peak = float(np.abs(vocal_source).max()) or 1.0
    search = int(search_s * fps)
    offsets = []
    sd, od = np.asarray(source_downbeats, float), np.asarray(output_downbeats, float)
    for k in range(min(len(sd), len(od)) - 1):
        offsets.append(np.nan)
        src_len, out_len = sd[k + 1] - sd[k], od[k + 1] - od[k]
        a, b = int(sd[k] * fps), int(sd[k + 1] * fps)
        if src_len <= 0 or out_len <= 0 or a < 0 or b > len(src_env):
            continue
        head = vocal_source[:, int(sd[k] * sr):int((sd[k] + src_len / 4) * sr)]
        if not head.size or np.abs(head).max() < min_level * peak:
            continue  # nothing sung on this downbeat's beat
        ratio = out_len / src_len
        seg = src_env[a:b]
        scaled = np.interp(np.arange(int(len(seg) * ratio)) / ratio, np.arange(len(seg)), seg)
        start = int(od[k] * fps)
        if start - search < 0 or start + search + len(scaled) > len(out_env) or scaled.std() < 1e-6:
            continue
        sounding = scaled > scaled.min() + 1.0  # compare where the source sings
        if sounding.sum() < 0.25 * len(scaled):
            continue
        z = scaled[sounding]
        z = (z - z.mean()) / (z.std() + 1e-9)
        scores = []
        for lag in range(-search, search + 1):
            w = out_env[start + lag: start + lag + len(scaled)][sounding]
            scores.append(float(np.dot(z, (w - w.mean()) / (w.std() + 1e-9))) / len(z))
        if max(scores) < 0.5:
            continue  # the bar does not look like its source: not measurable
        offsets[-1] = (int(np.argmax(scores)) - search) / fps
    return np.asarray(offsets)


def paired_downbeats(vocal_truth: dict, inst_truth: dict, plan, instrumental_ratio: float = 1.0,
                     vocal_beats_per_beat: float = 1.0):
    """(vocal song downbeats, their output times) from two songs' truth and the plan.

    Under `mix.tempo`'s mapping vocal downbeat k lands on instrumental beat
    4k / vocal_beats_per_beat after the first: every output downbeat at 1:1,
    every half bar at 2:1 (two vocal bars per bar), every second one at 1:2."""
    vd, ib = np.asarray(vocal_truth["downbeats"]), np.asarray(inst_truth["beats"])
    v0 = int(np.argmin(np.abs(vd - plan.vocal_range.start)))
    b0 = int(np.argmin(np.abs(ib - plan.instrumental_range.start)))
    beats = plan.sections[-1].end_beat - plan.sections[0].start_beat
    k = np.arange(len(vd) - v0)
    pos = b0 + 4.0 * k / vocal_beats_per_beat
    k = k[pos <= min(len(ib) - 1, b0 + beats) + 1e-9]
    src = vd[v0 + k]
    out = (np.interp(b0 + 4.0 * k / vocal_beats_per_beat, np.arange(len(ib)), ib)
           - plan.instrumental_range.start) * instrumental_ratio
    return src, out
