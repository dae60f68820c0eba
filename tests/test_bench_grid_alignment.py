"""The measuring stick of bench/mix.py's vocal-onset alignment: notes on the
grid read as aligned, notes half an eighth off read as the control does."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from grid_alignment import alignment, division_for, eighth_grid, grid_distances

SR = 44100


def _plucks(times, n):
    """Short decaying 440 Hz notes at `times`, as a (2, n) signal."""
    x = np.zeros(n)
    k = np.arange(int(0.08 * SR))
    note = np.sin(2 * np.pi * 440 * k / SR) * np.exp(-k / (0.02 * SR))
    for t in times:
        i = int(t * SR)
        x[i:i + len(note)] += note[: max(0, min(len(note), n - i))]
    return np.stack([x, x]).astype(np.float32)


def test_grid_distances_are_fractions_of_the_local_step():
    beats = np.array([0.0, 0.5, 1.1, 1.7])  # a drifting beat
    grid = eighth_grid(beats, 2)
    assert np.allclose(grid, [0, 0.25, 0.5, 0.8, 1.1, 1.4, 1.7])
    d = grid_distances(np.array([0.25, 0.65, 1.25, 5.0]), grid)
    assert np.allclose(d, [0.0, 0.5, 0.5])  # 5.0 is outside the grid: not counted
    assert division_for(170, 150) == 2 and division_for(190, 95) == 4 and division_for(88, 172) == 1


def test_on_grid_notes_are_aligned_and_shifted_notes_are_not():
    beats = np.cumsum(np.full(24, 60 / 150.0))
    n = int((beats[-1] + 1) * SR)
    grid = eighth_grid(beats, 2)
    notes = grid[::3][:-1]  # a sparse rhythm on the eighths
    source = _plucks(notes, n)
    on = alignment(_plucks(notes, n), beats, source, beats, 2)
    assert on["aligned"] and on["median"] < 0.1 and on["control"] > 0.4
    step = 30 / 150.0
    off = alignment(_plucks(notes + step / 2, n), beats, source, beats, 2)
    assert not off["aligned"] and off["median"] > 0.4 and off["control"] > 0.4
