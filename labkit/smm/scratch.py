"""Scratch memory for kernel temporaries (LIBXSMM's ``libxsmm_aligned_scratch``): a linear
allocator that hands out cache-line-aligned numpy views of one reserved buffer and
forgets them all at once when the scope that took them ends.

Why: a temporary allocated per kernel call costs an allocation and, when large, fresh
pages (numpy's ``empty`` above glibc's mmap threshold maps and unmaps memory every time,
and the first touch of each page faults). A bump allocator reuses memory that is already
mapped and touched. Each thread has its own arena (thread-safe without a lock, as the
sample's allocator is). When a scope needs more than the arena holds, the arena grows to
a buffer that fits (the old buffer lives until the views taken from it are gone).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory, check_time
from labkit.smm.spec import positive_int
from labkit.smm.workload import BYTE_S, PYTHON_CALL_S

ALIGNMENT = 64


class Arena:
    """One thread's linear allocator."""

    def __init__(self, capacity: int):
        self.capacity = positive_int("capacity", capacity)
        check_memory(f"a scratch arena of {self.capacity} bytes", self.capacity + ALIGNMENT)
        self._raw = np.empty(self.capacity + ALIGNMENT, dtype=np.uint8)
        self._base = -self._raw.ctypes.data % ALIGNMENT
        self._typed = {}                  # the buffer viewed as each dtype asked for
        self.offset = 0
        self.high_water = 0
        self.grown = 0

    def take(self, shape, dtype=np.float64) -> np.ndarray:
        """An uninitialized array of ``shape`` whose first element is 64-byte aligned."""
        if type(shape) is int and shape > 0:           # the common case, without the checks' cost
            count, shape = shape, None
        else:
            shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            count = 1
            for extent in shape:
                count *= positive_int("scratch shape", extent)
        typed = self._typed.get(dtype)
        if typed is None:
            typed = self._typed[dtype] = self._view(dtype)
        itemsize = typed.itemsize
        start = self.offset
        end = start + count * itemsize
        if end > self.capacity:
            self._grow(end)
            typed = self._typed[dtype] = self._view(dtype)
            start, end = 0, count * itemsize
        self.offset = (end + ALIGNMENT - 1) & -ALIGNMENT
        if self.offset > self.high_water:
            self.high_water = self.offset
        first = start // itemsize
        view = typed[first:first + count]
        return view if shape is None else view.reshape(shape)

    def _view(self, dtype) -> np.ndarray:
        """The aligned buffer as ``dtype`` elements (whole elements only)."""
        dtype = np.dtype(dtype)
        usable = (self._raw.size - self._base) // dtype.itemsize * dtype.itemsize
        return self._raw[self._base:self._base + usable].view(dtype)

    def _grow(self, need: int) -> None:
        capacity = max(2 * self.capacity, need + self.offset)
        check_memory(f"growing a scratch arena to {capacity} bytes", capacity + ALIGNMENT)
        self._raw = np.empty(capacity + ALIGNMENT, dtype=np.uint8)   # old views keep the old one
        self._base = -self._raw.ctypes.data % ALIGNMENT
        self._typed = {}
        self.capacity, self.offset = capacity, 0
        self.grown += 1

    @contextmanager
    def scope(self):
        """Everything taken inside the block is given back at its end (LIFO, like a stack)."""
        mark, raw = self.offset, self._raw
        try:
            yield self
        finally:
            self.offset = mark if self._raw is raw else 0


class ScratchPool:
    """Per-thread arenas of ``capacity`` bytes each (created on a thread's first use)."""

    def __init__(self, capacity: int = 1 << 20):
        self.capacity = positive_int("capacity", capacity)
        self._local = threading.local()

    def arena(self) -> Arena:
        arena = getattr(self._local, "arena", None)
        if arena is None:
            arena = self._local.arena = Arena(self.capacity)
        return arena


def _calls(calls: int, temporaries: int, size: int) -> int:
    """Calls timed for one size: at most ``calls``, fewer for big temporaries (about 2 GB
    touched per method and round), at least 10."""
    return max(10, min(calls, int(2e9 // (temporaries * size + 1))))


def bench(sizes=(256, 16 << 10, 1 << 20, 8 << 20), temporaries: int = 4, calls: int = 2000,
          touch: bool = True, repeat: int = 3):
    """Nanoseconds per kernel call that takes ``temporaries`` buffers of each size (bytes)
    and, with ``touch``, writes every page of them, as a kernel would: scratch scopes vs
    ``numpy.empty`` vs ``numpy.zeros`` (best of ``repeat``, alternating). Tidy rows."""
    import pandas as pd

    temporaries, calls, repeat = (positive_int("temporaries", temporaries),
                                  positive_int("calls", calls), positive_int("repeat", repeat))
    sizes = [positive_int("size", size) for size in sizes]
    for size in sizes:
        check_memory(f"{temporaries} temporaries of {size} bytes", 2 * temporaries * size)
    check_time(f"--calls {calls} with {temporaries} temporaries, 3 methods, {repeat} times",
               sum(3 * repeat * _calls(calls, temporaries, size) * temporaries
                   * (PYTHON_CALL_S + size * BYTE_S) for size in sizes))
    rows = []
    for size in sizes:
        count = max(1, size // 8)
        arena = Arena(temporaries * (size + ALIGNMENT))
        stride = 512                       # one write per 4 KB page of doubles
        calls_here = _calls(calls, temporaries, size)

        def with_scratch():
            with arena.scope():
                for _ in range(temporaries):
                    buf = arena.take(count)
                    if touch:
                        buf[::stride] = 1.0

        def with_numpy(make):
            def call():
                for _ in range(temporaries):
                    buf = make(count)
                    if touch:
                        buf[::stride] = 1.0
            return call

        methods = {"scratch": with_scratch, "numpy.empty": with_numpy(np.empty),
                   "numpy.zeros": with_numpy(np.zeros)}
        best = {name: float("inf") for name in methods}
        for _ in range(repeat):
            for name, fn in methods.items():
                start = time.perf_counter()
                for _ in range(calls_here):
                    fn()
                best[name] = min(best[name], (time.perf_counter() - start) / calls_here)
        for name, seconds in best.items():
            rows.append({"size_bytes": size, "method": name, "temporaries": temporaries,
                         "touch": touch, "ns_per_call": seconds * 1e9,
                         "speedup_vs_empty": best["numpy.empty"] / seconds})
    return pd.DataFrame(rows)
