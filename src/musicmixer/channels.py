"""Run an array function on each channel of a signal, one thread per channel.

numpy's and scipy's filtering and resampling loops release the GIL, so a
stereo mix filtered channel by channel on two threads keeps both cores of a
laptop busy; the mix stages spend most of their time in such calls. Results
are the same as calling the function on the whole array, for any function
that treats channels independently (the caller's promise).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_SAMPLES = 1 << 16  # below this, a thread hand-off costs more than it saves
CACHE_CHUNK = 1 << 16  # samples per piece in song-long loops, so float64 temporaries stay in cache

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_inside = threading.local()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(2, min(8, os.cpu_count() or 2)),
                                       thread_name_prefix="channel")
        return _pool


def per_channel(fn: Callable[[np.ndarray], np.ndarray], audio: np.ndarray) -> np.ndarray:
    """`fn(audio)` computed as `fn` of each (1, n) channel, stacked back on axis 0.
    Runs inline for mono, short input, or when already on a channel thread
    (nested calls must not wait on the pool they occupy)."""
    x = np.asarray(audio)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[-1] < MIN_SAMPLES or getattr(_inside, "on", False):
        return fn(x)

    def one(c: int) -> np.ndarray:
        _inside.on = True
        try:
            return fn(x[c:c + 1])
        finally:
            _inside.on = False

    return np.concatenate(list(_executor().map(one, range(x.shape[0]))), axis=0)


_task_pool: ThreadPoolExecutor | None = None


def in_parallel(fn: Callable, items) -> list:
    """`[fn(item) for item in items]`, the items on the cores at once (for numpy
    work that releases the GIL, such as the bands of a multiband compressor).
    Its own pool, so `fn` may itself call `per_channel`."""
    global _task_pool
    items = list(items)
    if len(items) < 2:
        return [fn(item) for item in items]
    with _pool_lock:
        if _task_pool is None:
            _task_pool = ThreadPoolExecutor(max(2, min(8, os.cpu_count() or 2)),
                                            thread_name_prefix="task")
    return list(_task_pool.map(fn, items))
