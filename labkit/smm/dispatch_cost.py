"""The dispatch microbenchmark of the LIBXSMM samples: what calling a kernel, finding
one again and generating a new one cost, from Python, on one thread or several."""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
import time
from contextlib import contextmanager

import numba
import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.limits import check_threads as check_os_threads
from labkit.lab.limits import check_time
from labkit.smm.spec import positive_int
from labkit.smm.workload import GENERATION_S, PYTHON_CALL_S, THREAD_S


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
    wall, _ = _concurrently(threads, lambda i: _per_call_ns(lambda: dispatch(8, 8, 8), calls))
    return wall / (calls * threads) * 1e9


@contextmanager
def fresh_cache():
    """A private, empty kernel cache folder for the block (neither memory nor disk has
    any kernel generated inside it before)."""
    old = os.environ.get("LABKIT_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LABKIT_CACHE"] = tmp
        try:
            yield tmp
        finally:
            if old is None:
                os.environ.pop("LABKIT_CACHE", None)
            else:
                os.environ["LABKIT_CACHE"] = old


def generation_s(kernels: int = 2) -> float:
    """Mean seconds to generate and compile a kernel nobody has built before (a private
    cache folder, so neither memory nor disk has it): what ``dispatch`` costs, the
    single-product function. Its batched driver compiles on first use, not counted here
    (see :attr:`labkit.smm.registry.Kernel.run`)."""
    from labkit.smm.registry import Registry

    with fresh_cache():
        reg = Registry()
        for i in range(kernels):
            reg.dispatch(6, 6, 6, 6 + i + 1, None, None, 1.0, 0.0)   # a fresh lda each
        return reg.stats()["generation_s"] / kernels


_FRESH = itertools.count(100)


def fresh_lda(m: int) -> int:
    """A leading dimension no kernel of this process has used (generated modules stay
    importable by name, so a repeated spec would not be generated again)."""
    return m + next(_FRESH)


NONCACHED_SHAPES = [(m, n, k) for m in (1, 2) for n in (1, 2) for k in (1, 2)]


def noncached_lookup_ns(calls: int = 100_000, seed: int = 0) -> dict:
    """Nanoseconds per lookup of existing kernels: ``cached``, the same kernel every time,
    and ``non-cached``, a different one of :data:`NONCACHED_SHAPES` each time in random
    order (the sample's non-cached case: every lookup misses whatever the last one
    warmed). The same loop drives both, so the difference is the lookup's own."""
    from labkit.smm.registry import dispatch

    for shape in NONCACHED_SHAPES:
        dispatch(*shape)
    rng = np.random.default_rng(seed)
    order = [NONCACHED_SHAPES[i] for i in rng.integers(0, len(NONCACHED_SHAPES), calls)]
    same = [NONCACHED_SHAPES[0]] * calls

    def per_lookup(seq):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for m, n, k in seq:
                dispatch(m, n, k)
            best = min(best, time.perf_counter() - start)
        return best / len(seq) * 1e9

    return {"cached": per_lookup(same), "non-cached": per_lookup(order)}


def _concurrently(threads: int, work) -> tuple[float, list]:
    """Run ``work(i)`` on ``threads`` Python threads released together; the wall time from
    the release to the last one's end, and each thread's own duration."""
    barrier = threading.Barrier(threads + 1)
    own = [0.0] * threads

    def worker(i):
        barrier.wait()
        start = time.perf_counter()
        work(i)
        own[i] = time.perf_counter() - start

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - start, own


def check_thread_counts(threads) -> tuple[int, ...]:
    """Thread counts (positive, at most what the OS lets one process start), sorted
    and without repeats."""
    counts = tuple(sorted({positive_int("threads", t) for t in threads}))
    if not counts:
        raise InputError("contention needs at least one thread count")
    check_os_threads("--threads", counts[-1])
    return counts


def contention(threads=(1, 2), lookups: int = 20_000):
    """The sample's contended case: ``T`` threads at once either looking up a cached
    kernel ``lookups`` times each, or each generating one new kernel (a private cache,
    distinct specs). Tidy rows ``operation, threads, wall_s, per_op_ns, thread_ns``:
    ``per_op_ns`` is wall time over all operations, ``thread_ns`` one thread's mean
    duration per operation. Generation is serialized when ``wall_s`` grows as T
    (numba compiles one function at a time); lookups stay flat in ``per_op_ns`` (no lock;
    the GIL interleaves the threads' Python)."""
    import pandas as pd

    from labkit.smm.registry import Registry, dispatch

    lookups = positive_int("lookups", lookups)
    threads = check_thread_counts(threads)
    check_time(f"--lookups {lookups} on each of {sum(threads)} threads, and a kernel generated "
               "per thread", sum(threads) * (lookups * PYTHON_CALL_S + GENERATION_S + THREAD_S))
    dispatch(8, 8, 8)
    rows = []
    for t in threads:
        wall, own = _concurrently(t, lambda i: [dispatch(8, 8, 8) for _ in range(lookups)])
        rows.append({"operation": "lookup", "threads": t, "wall_s": wall,
                     "per_op_ns": wall / (t * lookups) * 1e9,
                     "thread_ns": float(np.mean(own)) / lookups * 1e9})
    for t in threads:
        with fresh_cache():
            reg = Registry()
            specs = [fresh_lda(6) for _ in range(t)]            # distinct, never generated
            wall, own = _concurrently(t, lambda i: reg.dispatch(6, 6, 7, specs[i], None, None, 1.0, 0.0))
        rows.append({"operation": "generation", "threads": t, "wall_s": wall,
                     "per_op_ns": wall / t * 1e9, "thread_ns": float(np.mean(own)) * 1e9})
    return pd.DataFrame(rows)


def serialization(frame) -> float:
    """How serialized generation was in :func:`contention`'s rows: wall time with the most
    threads over (threads x wall time with one). 1: fully serialized; 1/T: fully parallel."""
    gen = frame[frame["operation"] == "generation"].set_index("threads")["wall_s"]
    most = gen.index.max()
    return float(gen.loc[most] / (most * gen.loc[gen.index.min()]))


def costs(threads: int = 1, calls: int = 100_000, generate: int = 1):
    """Tidy rows ``measure, threads, ns``: empty jitted call, kernel call (1x1x1),
    cached dispatch lookup, and JIT generation."""
    import pandas as pd

    from labkit.smm.registry import dispatch
    from labkit.smm.streaming import check_threads

    threads = check_threads(threads)
    calls = positive_int("calls", calls)
    if isinstance(generate, bool) or not hasattr(generate, "__index__") or generate < 0:
        raise InputError(f"generate must be a non-negative integer (0: skip), got {generate!r}")
    check_time(f"--calls {calls} (4 measures, {threads} threads) and --generate {generate} "
               "new kernels", calls * (3 + threads) * PYTHON_CALL_S + generate * GENERATION_S)
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
