"""The measuring stick of bench/mix.py's vocal-onset alignment: notes on the
grid read as aligned, notes half an eighth off read as the control does."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from grid_alignment import alignment, division_for, eighth_grid, grid_distances, vocal_grids

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


def test_a_singer_read_late_is_judged_against_their_own_lag():
    """Loose onsets that the detector reads ~0.4 of an eighth late: the median
    stick calls the late-read reference worse than the control, the phase check
    still tells placed-on-the-grid from pushed half an eighth."""
    rng = np.random.default_rng(3)
    beats = np.cumsum(np.full(40, 60 / 190.0))
    n = int((beats[-1] + 1) * SR)
    step = 30 / 190.0
    grid = eighth_grid(beats, 2)
    notes = grid[rng.choice(len(grid) - 2, 50, replace=False)]
    lag = notes + 0.42 * step + rng.normal(0, 0.06 * step, len(notes))
    source = _plucks(lag, n)
    on = alignment(_plucks(lag, n), beats, source, beats, 2)
    assert on["reference"] > on["control"]  # what the median alone gets wrong
    assert on["eighth"]["judgeable"] and abs(on["eighth"]["offset"]) < 0.1
    assert abs(on["eighth"]["control_offset"]) > 0.4 and on["aligned"]
    off = alignment(_plucks(lag + step / 2, n), beats, source, beats, 2)
    assert abs(off["eighth"]["offset"]) > 0.4 and not off["aligned"]


def test_vocals_on_the_off_beat_fail_the_beat_check():
    """Notes on the beats pushed half a beat lie on the eighths again: only the
    beat level (its control: the half-beat push) sees it."""
    beats = np.cumsum(np.full(32, 60 / 150.0))
    n = int((beats[-1] + 1) * SR)
    notes = beats[1:-2]
    source = _plucks(notes, n)
    off = alignment(_plucks(notes + 0.2, n), beats, source, beats, 2)
    assert off["median"] < 0.1  # on the eighth grid
    assert off["beat"]["judgeable"] and not off["beat"]["aligned"] and not off["aligned"]
    assert alignment(_plucks(notes, n), beats, source, beats, 2)["aligned"]


def test_unlocked_onsets_get_no_verdict():
    """Onsets at random times: no level can be judged, so the pair is not aligned
    (no verdict is not a pass)."""
    rng = np.random.default_rng(5)
    beats = np.cumsum(np.full(40, 60 / 150.0))
    n = int((beats[-1] + 1) * SR)
    notes = np.sort(rng.uniform(beats[0], beats[-2], 40))
    notes = notes[np.concatenate([[True], np.diff(notes) > 0.12])]
    res = alignment(_plucks(notes, n), beats, _plucks(notes, n), beats, 2)
    assert res["judged_by"] == [] and not res["aligned"]


def test_at_one_to_two_the_vocal_beats_are_the_instrumentals_beats_one_and_three():
    beats = np.arange(17) * 0.4
    grids = vocal_grids(beats, 0.5, np.array([0.4, 2.0]))
    assert np.allclose(grids["beat"][:3], [0.4, 1.2, 2.0]) and len(grids["eighth"]) == 17
    assert np.allclose(vocal_grids(beats, 2.0)["beat"][:3], [0.0, 0.2, 0.4])


def test_a_render_with_too_few_onsets_gets_no_verdict():
    """Well-placed but only a handful of rendered onsets (a voice the separator
    lost): no level is judged, so the pair is not counted as aligned."""
    beats = np.cumsum(np.full(32, 60 / 150.0))
    n = int((beats[-1] + 1) * SR)
    notes = beats[1:-2]
    res = alignment(_plucks(notes[:5], n), beats, _plucks(notes, n), beats, 2)
    assert res["judged_by"] == [] and not res["aligned"]
