"""Step 3.5: sections on the bar grid, per-bar energy per stem, vocal activity.

Boundaries are where the arrangement changes: a novelty curve over per-bar
feature vectors (which stems play and how loud, the mix's spectral balance,
a little harmony) peaks at section lines. Labels come from the arrangement
too: the leading and trailing stretches without vocals are intro and outro,
the loudest repeated material is the chorus, the rest with vocals is verse,
a quiet stretch without drums is a breakdown, a one-off a bridge.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .model import Section

SILENCE_DB = -60.0  # a bar quieter than this (dBFS RMS) is silence
ACTIVE_DB_BELOW_PEAK = 30.0  # a stem plays in a bar within this of its loudest bar
SAME_MATERIAL = 0.25  # sections closer than this (feature distance) are the same material
BREAKDOWN_ENERGY = 0.8  # a middle section this much quieter than the loudest is a breakdown
ENERGY_RANGE_DB = 48.0  # stem_bar_energy maps [-48 dB, 0 dB] re the loudest bar to [0, 1]


def bar_edges(downbeats: np.ndarray, duration: float, beats_per_bar_s: float) -> np.ndarray:
    """Bar start times plus the end of the last bar."""
    if len(downbeats) == 0:
        return np.array([0.0, duration])
    end = min(duration, downbeats[-1] + beats_per_bar_s)
    return np.concatenate([downbeats, [max(end, downbeats[-1] + 1e-3)]])


def bar_rms(audio: np.ndarray, sr: int, edges: np.ndarray) -> np.ndarray:
    """Linear RMS of a (channels, n) or (n,) signal in each bar."""
    y = audio if audio.ndim == 1 else audio.mean(axis=0)
    out = np.zeros(len(edges) - 1)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        seg = y[int(a * sr) : max(int(b * sr), int(a * sr) + 1)]
        out[i] = float(np.sqrt(np.mean(np.square(seg, dtype=np.float64)))) if seg.size else 0.0
    return out


def to_db(x: np.ndarray) -> np.ndarray:
    return 20.0 * np.log10(np.maximum(x, 1e-9))


def stem_bar_energy(stem_rms: Mapping[str, np.ndarray]) -> dict[str, list[float]]:
    """Per-bar energy of each stem on one scale: 0 = silent, 1 = the loudest bar of any stem."""
    if not stem_rms:
        return {}
    ref = max(float(v.max()) for v in stem_rms.values())
    if ref <= 0:
        return {k: [0.0] * len(v) for k, v in stem_rms.items()}
    out = {}
    for name, v in stem_rms.items():
        e = np.clip((to_db(v / ref) + ENERGY_RANGE_DB) / ENERGY_RANGE_DB, 0.0, 1.0)
        e[to_db(v) < SILENCE_DB] = 0.0
        out[name] = [round(float(x), 4) for x in e]
    return out


def stem_active(rms: np.ndarray, song_peak: float) -> np.ndarray:
    """Bars where a stem plays: within ACTIVE_DB_BELOW_PEAK of its own loudest bar
    and not far below the loudest stem (separation bleed is not playing)."""
    if rms.size == 0 or rms.max() <= 0:
        return np.zeros(rms.shape, dtype=bool)
    db = to_db(rms)
    own = db >= to_db(np.array([rms.max()]))[0] - ACTIVE_DB_BELOW_PEAK
    loud_enough = db >= to_db(np.array([song_peak]))[0] - 40.0
    return own & loud_enough & (db > SILENCE_DB)


def bar_features(mix_band_db: np.ndarray, stem_db: np.ndarray | None,
                 bar_chroma: np.ndarray | None) -> np.ndarray:
    """(bars, dims) z-scored feature matrix; stems weigh most."""
    parts = [_z(mix_band_db) * 0.7]
    if stem_db is not None and stem_db.size:
        parts.append(_z(stem_db) * 1.5)
    if bar_chroma is not None:
        parts.append(_z(bar_chroma) * 0.25)
    return np.concatenate(parts, axis=1)


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0, keepdims=True)
    return (x - x.mean(axis=0, keepdims=True)) / np.maximum(sd, 1e-6) * (sd > 1e-3)


def phrase_length(n_bars: int) -> int:
    """Sections are built from 4-bar phrases; a clip under 12 bars from 2-bar ones."""
    return 4 if n_bars >= 12 else 2


def block_distances(feats: np.ndarray, lines: list[int]) -> list[float]:
    """Distance between the mean features of the blocks either side of each line."""
    n = feats.shape[0]
    edges = [0, *lines, n]
    means = [feats[a:b].mean(axis=0) for a, b in zip(edges[:-1], edges[1:])]
    scale = max(np.sqrt(feats.shape[1]), 1e-9)
    return [float(np.linalg.norm(means[k + 1] - means[k]) / scale) for k in range(len(lines))]


# a phrase this different from the one before starts a section; stems make
# arrangement changes stand out, so with them the bar is higher
BLOCK_CHANGE_STEMS = 0.3
BLOCK_CHANGE_MIX = 0.24


def boundaries(feats: np.ndarray, threshold: float = BLOCK_CHANGE_MIX) -> list[int]:
    """Bar indices (excluding 0) where a new section starts.

    Section lines sit on the phrase grid: find the grid's phase from the bar
    novelty, then keep the phrase lines where the phrase after differs enough
    from the phrase before (two similar phrases are one long section).
    """
    n = feats.shape[0]
    p = phrase_length(n)
    if n < 2 * p:
        return []
    best = None
    for phase in range(p):
        lines = [b for b in range(phase if phase else p, n, p) if b >= 2 and n - b >= 2]
        if not lines:
            continue
        dist = block_distances(feats, lines)
        score = float(np.mean(dist)) * (1.15 if phase == 0 else 1.0)  # songs mostly start on a phrase
        if best is None or score > best[0]:
            best = (score, lines, dist)
    if best is None:
        return []
    _, lines, dist = best
    return [b for b, d in zip(lines, dist) if d >= threshold]


def label_sections(spans: list[tuple[int, int]], feats: np.ndarray, energy: np.ndarray,
                   vocal_bars: np.ndarray | None, drum_bars: np.ndarray | None) -> list[str]:
    """One label per (start_bar, end_bar) span; see the module docstring."""
    n = len(spans)
    if n == 0:
        return []
    sec_feat = np.array([feats[a:b].mean(axis=0) for a, b in spans])
    sec_energy = np.array([energy[a:b].mean() for a, b in spans])
    has_vox = np.array([vocal_bars[a:b].mean() > 0.5 if vocal_bars is not None else True
                        for a, b in spans])
    has_drums = np.array([drum_bars[a:b].mean() > 0.5 if drum_bars is not None else True
                          for a, b in spans])
    labels = [""] * n
    if n >= 3:
        if vocal_bars is not None and vocal_bars.any():
            i = 0
            while i < n - 1 and not has_vox[i]:
                labels[i] = "intro"
                i += 1
            j = n - 1
            while j > i and not has_vox[j]:
                labels[j] = "outro"
                j -= 1
        else:
            if sec_energy[0] < np.median(sec_energy):
                labels[0] = "intro"
            if sec_energy[-1] < np.median(sec_energy):
                labels[-1] = "outro"
    # group the rest into repeated material by feature distance
    rest = [i for i in range(n) if not labels[i]]
    if not rest:
        return labels
    dim = np.sqrt(feats.shape[1])
    clusters: list[list[int]] = []
    for i in rest:
        for cl in clusters:
            if np.linalg.norm(sec_feat[i] - sec_feat[cl[0]]) / dim < SAME_MATERIAL:
                cl.append(i)
                break
        else:
            clusters.append([i])
    top = float(max(sec_energy[rest]))
    # quiet stretches in the middle (no drums where we can tell) are breakdowns
    for cl in list(clusters):
        e = float(np.mean(sec_energy[cl]))
        quiet = e < BREAKDOWN_ENERGY * top
        if quiet and (drum_bars is None or not any(has_drums[i] for i in cl)) and len(clusters) > 1:
            for i in cl:
                labels[i] = "breakdown"
            clusters.remove(cl)
    if not clusters:
        return labels
    # the first material to come is the verse; the loudest other material the chorus
    first = clusters[0]
    others = clusters[1:]
    if others:
        chorus = max(others, key=lambda cl: (len(cl) > 1, float(np.mean(sec_energy[cl]))))
        if np.mean(sec_energy[chorus]) < np.mean(sec_energy[first]) * 0.85 and len(first) > 1:
            chorus, first = first, chorus  # the opening material is clearly the big one
    else:
        chorus, first = first, []
    for cl in clusters:
        for i in cl:
            if cl is chorus:
                labels[i] = "chorus"
            elif cl is first:
                labels[i] = "verse"
            elif i > 0 and labels[i - 1] == "breakdown" and not has_vox[i]:
                labels[i] = "drop"
            elif len(cl) == 1:
                labels[i] = "bridge"
            else:
                labels[i] = "verse"
    return labels


def build_sections(edges: np.ndarray, feats: np.ndarray, mix_rms: np.ndarray,
                   vocal_bars: np.ndarray | None, drum_bars: np.ndarray | None,
                   with_stems: bool = False) -> list[Section]:
    """Sections on the bar grid with labels and an energy relative to the loudest section."""
    n_bars = len(edges) - 1
    cuts = [0, *boundaries(feats, BLOCK_CHANGE_STEMS if with_stems else BLOCK_CHANGE_MIX), n_bars]
    spans = [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
    energy = mix_rms
    labels = label_sections(spans, feats, energy, vocal_bars, drum_bars)
    sec_rms = np.array([float(np.sqrt(np.mean(np.square(energy[a:b])))) for a, b in spans])
    top = sec_rms.max() if sec_rms.size and sec_rms.max() > 0 else 1.0
    return [
        Section(label=lab, start_bar=a, end_bar=b, start_time=round(float(edges[a]), 4),
                end_time=round(float(edges[b]), 4), energy=round(float(r / top), 4))
        for (a, b), lab, r in zip(spans, labels, sec_rms)
    ]


def vocal_regions(vocal: np.ndarray, sr: int, hop_s: float = 0.02, below_peak_db: float = 35.0,
                  min_gap_s: float = 0.35, min_len_s: float = 0.15) -> list[tuple[float, float]]:
    """(start, end) seconds where the vocal stem sings, short rests bridged."""
    y = vocal if vocal.ndim == 1 else vocal.mean(axis=0)
    hop = max(1, int(hop_s * sr))
    n = len(y) // hop
    if n == 0:
        return []
    frames = y[: n * hop].astype(np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    peak = rms.max()
    if peak <= 0 or to_db(np.array([peak]))[0] < SILENCE_DB:
        return []
    on = to_db(rms) >= max(to_db(np.array([peak]))[0] - below_peak_db, SILENCE_DB)
    regions: list[list[float]] = []
    i = 0
    while i < n:
        if on[i]:
            j = i
            while j < n and on[j]:
                j += 1
            a, b = i * hop / sr, j * hop / sr
            if regions and a - regions[-1][1] < min_gap_s:
                regions[-1][1] = b
            else:
                regions.append([a, b])
            i = j
        else:
            i += 1
    return [(round(a, 3), round(b, 3)) for a, b in regions if b - a >= min_len_s]
