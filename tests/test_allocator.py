"""allocator.retained_memory: freed song-length arrays' pages are reused, not re-faulted."""

import resource
import threading

import numpy as np
import pytest

from musicmixer import allocator

pytestmark = pytest.mark.skipif(not allocator.available(), reason="glibc's malloc only")
SONG_LENGTH = 16_000_000  # 64 MB of float32: over glibc's largest mmap threshold


def fresh_page_faults() -> int:
    """Page faults taken while a new song-length array is first written."""
    a = np.empty(SONG_LENGTH, np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a.fill(1.0)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_freed_arrays_pages_are_reused_inside_and_returned_after():
    assert fresh_page_faults() > 16  # glibc's default: fresh pages every time
    with allocator.retained_memory():
        fresh_page_faults()
        assert fresh_page_faults() == 0
        with allocator.retained_memory():  # nested: still retained
            assert fresh_page_faults() == 0
        assert fresh_page_faults() == 0
    assert fresh_page_faults() > 16  # defaults back once the last user left


def test_retained_while_any_thread_is_inside():
    inside, leave = threading.Event(), threading.Event()

    def job():
        with allocator.retained_memory():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=job)
    t.start()
    inside.wait(10)
    try:
        with allocator.retained_memory():
            fresh_page_faults()
        assert fresh_page_faults() == 0  # the other job is still running
    finally:
        leave.set()
        t.join()
    assert fresh_page_faults() > 16
