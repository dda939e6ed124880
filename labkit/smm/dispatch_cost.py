"""The dispatch microbenchmark of the LIBXSMM samples: what calling a kernel, finding
one again and generating a new one cost, from Python, on one thread or several."""

from __future__ import annotations

import os
import tempfile
import threading
import time

import numba
import numpy as np

from labkit.smm.spec import positive_int


@numba.njit(cache=True)
def _empty():
    pass


def _per_call_ns(fn, calls: int, batches: int = 5) -> float:
    """Nanoseconds per call: the best of ``batches`` batches' means (the cost when no
    neighbour on a shared machine interrupts; a mean over all calls would measure them)."""
    per = max(1, calls // batches)
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per):
            fn()
        best = min(best, (time.perf_counter() - start) / per)
    return best * 1e9


def lookup_ns(calls: int = 100_000, threads: int = 1) -> float:
    """Wall time per cached ``dispatch`` (a registry hit): with several Python threads
    looking up at once, the total wall time over the total number of lookups (their
    throughput; the GIL serialises the Python part, the registry itself never locks)."""
    from labkit.smm.registry import dispatch

    dispatch(8, 8, 8)                              # make sure it is cached
    if threads == 1:
        return _per_call_ns(lambda: dispatch(8, 8, 8), calls)
    barrier = threading.Barrier(threads + 1)

    def worker():
        barrier.wait()
        _per_call_ns(lambda: dispatch(8, 8, 8), calls)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return (time.perf_counter() - start) / (calls * threads) * 1e9


def generation_s(kernels: int = 2) -> float:
    """Mean seconds to generate and compile a kernel nobody has built before (a private
    cache folder, so neither memory nor disk has it): what ``dispatch`` costs, the
    single-product function. Its batched driver compiles on first use, not counted here
    (see :attr:`labkit.smm.registry.Kernel.run`)."""
    from labkit.smm.registry import Registry

    old = os.environ.get("LABKIT_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LABKIT_CACHE"] = tmp
        try:
            reg = Registry()
            for i in range(kernels):
                reg.dispatch(6, 6, 6, 6 + i + 1, None, None, 1.0, 0.0)   # a fresh lda each
            return reg.stats()["generation_s"] / kernels
        finally:
            if old is None:
                os.environ.pop("LABKIT_CACHE", None)
            else:
                os.environ["LABKIT_CACHE"] = old


def costs(threads: int = 1, calls: int = 100_000, generate: int = 1):
    """Tidy rows ``measure, threads, ns``: empty jitted call, kernel call (1x1x1),
    cached dispatch lookup, and JIT generation."""
    import pandas as pd

    from labkit.smm.registry import dispatch
    from labkit.smm.streaming import check_threads

    threads = check_threads(threads)
    calls = positive_int("calls", calls)
    _empty()
    tiny = dispatch(1, 1, 1, beta=0.0)
    a = np.ones(1)
    gemm = tiny.gemm
    rows = [
        {"measure": "empty call", "threads": 1, "ns": _per_call_ns(_empty, calls)},
        {"measure": "kernel call 1x1x1", "threads": 1, "ns": _per_call_ns(lambda: gemm(a, a, a), calls)},
        {"measure": "cached lookup", "threads": 1, "ns": lookup_ns(calls, 1)},
    ]
    if threads > 1:
        rows.append({"measure": "cached lookup", "threads": threads, "ns": lookup_ns(calls, threads)})
    if generate:
        rows.append({"measure": "JIT generation", "threads": 1, "ns": generation_s(generate) * 1e9})
    return pd.DataFrame(rows)
