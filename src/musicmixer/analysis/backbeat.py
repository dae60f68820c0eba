"""How much a drum band alternates beat to beat: the backbeat (step 2).

A snare on 2 and 4 sounds on every other beat, never between beats, so the
grid it alternates on is the beat's phase; the same snare read half a beat
off does not alternate there. Shared by the whole-song phase decision
(`meter`) and the slip repair (`slips`), with the snare's phase cue that
reads a skank (kick and snare taking turns) by the kick.
"""

from __future__ import annotations

import numpy as np

ALTERNATION_SPAN = 16  # positions (four bars of beats) over which the alternation is read
KICK_SURE = 0.15  # a kick contrast this far from even is sure of its side; nearer, in proportion


def alternation(x: np.ndarray) -> float:
    """How differently every other position sounds (a backbeat: 2 and 4 vs 1 and 3),
    read four bars at a time and averaged: a bar of two or six beats, a fill or a
    dropped beat swaps which beats are 2 and 4, and read over the whole song the
    two halves cancel (a real song's snare read +0.08 and -0.13 either side of
    such a break, 0.00 over the song, while its off-beat ghost notes, never
    broken, read 0.08 and moved its correct grid half a beat off)."""
    n = len(x) - len(x) % 2
    if n < 2:
        return 0.0
    spans = [x[a:min(a + ALTERNATION_SPAN, n)] for a in range(0, n, ALTERNATION_SPAN)]
    spans = [s for s in spans if len(s) >= 4] or [x[:n]]
    return float(np.mean([abs(float(s[0::2].mean() - s[1::2].mean())) for s in spans]))


def backbeat_contrast(on: np.ndarray, off: np.ndarray) -> float | None:
    """+1: the band alternates on the beats (2 and 4); -1: it alternates
    between them. A band on every position of either grid (a grid at half
    tempo, whose off-beats are 2 and 4; a skank beat) does not alternate and
    says little."""
    a, b = alternation(on), alternation(off)
    scale = a + b + 0.25 * float(on.mean() + off.mean())
    return (a - b) / scale if scale > 1e-9 else None


def contrast(on: np.ndarray, off: np.ndarray) -> float | None:
    """(on - off) / (on + off) of the means: +1 all on the beats, -1 all between."""
    a, b = float(on.mean()), float(off.mean())
    return (a - b) / (a + b) if a + b > 1e-9 else None


def snare_cue(on: np.ndarray, off: np.ndarray, kick: float | None) -> float | None:
    """The snare's phase evidence: its backbeat (`backbeat_contrast`), or,
    where it does not alternate but the kick and the snare take turns (a
    skank, kick-snare eighths: one sits on the beats, the other between),
    the kick's side. The more the snare sits on one grid without alternating
    (backbeat contrast small against its plain contrast), the more the turns
    decide: on the hard dev set's skank songs (separated drums) the backbeat
    reads -0.13 and -0.06 on the snare's grid against a plain +0.74 and
    +0.79; on its backbeat songs the backbeat reads at least the plain contrast.
    The turns count only as far as the kick is sure of its side (KICK_SURE):
    taken on its sign alone, a kick 0.004 below even read a snare on every
    beat as a skank, and one 0.004 above as no evidence (no song of any bench
    set changed when this was made continuous)."""
    backbeat = backbeat_contrast(on, off)
    plain = contrast(on, off)
    if backbeat is None or plain is None or kick is None or kick * plain >= 0:
        return backbeat
    turns = float(np.clip(1.0 - abs(backbeat) / abs(plain), 0.0, 1.0))
    turns *= min(1.0, abs(kick) / KICK_SURE)
    return (1.0 - turns) * backbeat + turns * (kick - plain) / 2.0
