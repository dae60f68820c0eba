"""per_channel: the same result as the whole-array call, without deadlocks."""

from __future__ import annotations

import numpy as np
from scipy.signal import sosfilt

from musicmixer.channels import MIN_SAMPLES, in_parallel, per_channel


def test_same_result_as_the_whole_array_with_the_channels_at_the_same_time():
    import threading

    x = np.random.default_rng(0).standard_normal((2, 2 * MIN_SAMPLES))
    sos = np.array([[0.2, 0.4, 0.2, 1.0, -0.3, 0.1]])
    both_running = threading.Barrier(2, timeout=10)  # breaks if the channels run one by one

    def filt(c):
        both_running.wait()
        return sosfilt(sos, c, axis=-1)

    assert np.array_equal(per_channel(filt, x), sosfilt(sos, x, axis=-1))


def test_nested_calls_run_inline_instead_of_waiting_on_the_pool():
    x = np.ones((2, 2 * MIN_SAMPLES))
    inner = lambda c: per_channel(lambda d: d * 2.0, np.repeat(c, 2, axis=0))[:1]  # noqa: E731
    for _ in range(4):  # more nested calls than pool threads
        assert np.array_equal(per_channel(inner, x), x * 2.0)


def test_mono_and_short_input_run_inline():
    assert per_channel(lambda c: c + 1, np.zeros(10)).tolist() == [1.0] * 10
    assert per_channel(lambda c: c.sum(axis=-1, keepdims=True), np.ones((2, 8))).shape == (2, 1)


def test_in_parallel_runs_items_at_once_in_order():
    """Two items meet at a barrier (a serial loop would time out there); results keep
    the items' order, and an item may use per_channel inside."""
    import threading

    barrier = threading.Barrier(2, timeout=10)

    def work(k):
        barrier.wait()
        return per_channel(lambda c: c * k, np.ones((2, MIN_SAMPLES)))[:, :1]

    out = in_parallel(work, [2.0, 3.0])
    assert [o.ravel().tolist() for o in out] == [[2.0, 2.0], [3.0, 3.0]]
    assert in_parallel(lambda k: k + 1, [5]) == [6]
