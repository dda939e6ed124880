"""CP2K's matrix stacks (the LIBXSMM ``cp2k`` artificial benchmark): ``C[ic] += A[ia] @ B[ib]``
for a batch ("stack") of index triples into shared pools of blocks, as DBCSR hands them
to its small-matrix library.

Many triples of a stack update the same C block, so processing a stack in parallel must
not let two threads add into one C at once. Two ways, the two code paths the sample
describes:

- ``host`` (DBCSR's main path): the stack is ordered by C block and cut between C blocks,
  so each thread owns the Cs it updates and adds into them directly; no synchronisation.
- ``offload`` (the path the sample models, the additional level of parallelism that
  drives a device): the stack is cut into fixed-size pieces regardless of C (parallel
  slack, the sample's ``CP2K_MIN_NLOCAL`` products per piece); each piece sums its runs of
  equal C into private partial blocks (the sample's thread-local ``tmp``) and a second
  pass, owner-partitioned by C, adds the partials into C (where the sample uses atomics,
  which numba does not offer for floats).

Every product is a labkit kernel (``dispatch(m, n, k, beta=1)``) called through a function
pointer from one compiled driver, as DBCSR calls its library's kernels.
"""

from __future__ import annotations

import time
from functools import lru_cache

import numba
import numpy as np
from numba import types

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.operands import check_stack
from labkit.smm.spec import GemmSpec, make_spec, positive_int
from labkit.smm.workload import check_runs

PATHS = ("host", "offload")
NLOCAL = 160                 # the sample's CP2K_MIN_NLOCAL: products per offload piece


def _host_driver(f, a, b, c, ia, ib, ic, bounds, asz, bsz, csz):
    for t in numba.prange(bounds.size - 1):
        for e in range(bounds[t], bounds[t + 1]):
            ao = ia[e] * asz
            bo = ib[e] * bsz
            co = ic[e] * csz
            f(a[ao:ao + asz], b[bo:bo + bsz], c[co:co + csz])


def _offload_driver(f, a, b, c, ia, ib, ic, pieces, runs, slots, owners, partial,
                    asz, bsz, csz):
    # phase 1: each piece sums its runs of equal C into partial blocks (runs[r]..runs[r+1])
    for p in numba.prange(pieces.size - 1):
        for r in range(pieces[p], pieces[p + 1]):
            out = partial[r * csz:(r + 1) * csz]
            out[:] = 0.0
            for e in range(runs[r], runs[r + 1]):
                ao = ia[e] * asz
                bo = ib[e] * bsz
                f(a[ao:ao + asz], b[bo:bo + bsz], out)
    # phase 2: partials grouped by C (slots in C order), each C added by one thread
    for g in numba.prange(owners.size - 1):
        first = slots[owners[g]]
        co = ic[runs[first]] * csz
        for s in range(owners[g], owners[g + 1]):
            po = slots[s] * csz
            for x in range(csz):
                c[co + x] += partial[po + x]


@lru_cache(maxsize=None)
def _drivers(dtype: str):
    """The two drivers compiled for ``dtype`` (once per process; cached on disk)."""
    elem = getattr(types, dtype)
    arr, idx = elem[::1], types.int64[::1]
    fn = types.FunctionType(types.void(arr, arr, arr))
    i = types.int64
    host = numba.njit(types.void(fn, arr, arr, arr, idx, idx, idx, idx, i, i, i),
                      parallel=True, nogil=True, cache=True)(_host_driver)
    offload = numba.njit(types.void(fn, arr, arr, arr, idx, idx, idx, idx, idx, idx, idx, arr, i, i, i),
                         parallel=True, nogil=True, cache=True)(_offload_driver)
    return host, offload


def check_indices(stack, pools: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``stack`` as three int64 index arrays, each checked against its pool's size."""
    arr = np.asarray(stack)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0:
        raise InputError(f"a stack is an (entries, 3) array of (a, b, c) indices, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"stack indices must be integers, got dtype {arr.dtype}")
    cols = []
    for j, name in enumerate("abc"):
        col = np.ascontiguousarray(arr[:, j], dtype=np.int64)
        size = pools[name]
        bad = np.flatnonzero((col < 0) | (col >= size))
        if bad.size:
            e = int(bad[0])
            raise InputError(f"stack entry {e}: {name} index {int(col[e])} is outside the "
                             f"{name.upper()} pool (0..{size - 1})")
        cols.append(col)
    return tuple(cols)


def _spec(m, n, k, dtype) -> GemmSpec:
    return make_spec(m, n, k, beta=1.0, dtype=dtype)


def process(A, B, C, stack, m, n, k, path: str = "host", threads: int = 1,
            nlocal: int = NLOCAL) -> np.ndarray:
    """``C[ic] += A[ia] @ B[ib]`` for every entry of ``stack``, in place; returns C.

    Pools in labkit's batch layout (:mod:`labkit.smm.operands`): ``A`` is
    ``(pool, k, m)``, ``B`` ``(pool, n, k)``, ``C`` ``(pool, n, m)``, column-major items."""
    from labkit.smm.registry import dispatch
    from labkit.smm.streaming import check_threads, thread_limits

    if path not in PATHS:
        raise InputError(f"path {path!r} is not a stack path: choose one of {', '.join(PATHS)}")
    threads = check_threads(threads)
    nlocal = positive_int("nlocal", nlocal)
    spec = _spec(m, n, k, getattr(A, "dtype", "float64"))
    a = check_stack("A pool", A, spec, "a", None)
    b = check_stack("B pool", B, spec, "b", None)
    c = check_stack("C pool", C, spec, "c", None, writable=True)
    ia, ib, ic = check_indices(stack, {"a": A.shape[0], "b": B.shape[0], "c": C.shape[0]})
    f = dispatch(m, n, k, beta=1.0, dtype=spec.dtype).gemm
    host, offload = _drivers(spec.dtype)
    sizes = (spec.a_size, spec.b_size, spec.c_size)
    with thread_limits(threads):
        if path == "host":
            order = np.argsort(ic, kind="stable")
            ia, ib, ic = ia[order], ib[order], ic[order]
            host(f, a, b, c, ia, ib, ic, owner_bounds(ic, threads), *sizes)
        else:
            pieces, runs, slots, owners = offload_plan(ic, nlocal)
            partial = np.empty((runs.size - 1) * spec.c_size, spec.dtype)
            offload(f, a, b, c, ia, ib, ic, pieces, runs, slots, owners, partial, *sizes)
    return C


def owner_bounds(ic_sorted: np.ndarray, parts: int) -> np.ndarray:
    """Cut points of a C-sorted stack into at most ``parts`` nearly equal pieces, each cut
    moved to the next change of C, so no C block is split between two pieces."""
    n = ic_sorted.size
    change = np.flatnonzero(np.diff(ic_sorted)) + 1          # where a new C block starts
    cuts = [0]
    for want in np.linspace(0, n, parts + 1)[1:-1].astype(int):
        at = change[np.searchsorted(change, want)] if np.searchsorted(change, want) < change.size else n
        if at > cuts[-1]:
            cuts.append(int(at))
    if cuts[-1] != n:
        cuts.append(n)
    return np.asarray(cuts, dtype=np.int64)


def offload_plan(ic: np.ndarray, nlocal: int):
    """For the offload path, with the stack in its given order: ``runs`` (the entry
    bounds of each run of equal C inside a piece of ``nlocal`` entries), ``pieces`` (the
    run bounds of each piece), ``slots`` (runs ordered by C) and ``owners`` (the slot
    bounds of each distinct C)."""
    n = ic.size
    starts = np.union1d(np.arange(0, n, nlocal), np.flatnonzero(np.diff(ic)) + 1)
    runs = np.append(starts, n).astype(np.int64)
    pieces = np.searchsorted(runs, np.arange(0, n, nlocal)).astype(np.int64)
    pieces = np.append(pieces, runs.size - 1).astype(np.int64)
    run_c = ic[runs[:-1]]
    slots = np.argsort(run_c, kind="stable").astype(np.int64)
    sorted_c = run_c[slots]
    owners = np.append(np.flatnonzero(np.r_[True, np.diff(sorted_c) != 0]), slots.size).astype(np.int64)
    return pieces, runs, slots, owners


def reference(A, B, C, stack) -> np.ndarray:
    """numpy: gather, one batched ``matmul`` and ``np.add.at`` (which adds repeated
    indices one after another): the result ``process`` must reproduce."""
    arr = np.asarray(stack)
    ia, ib, ic = arr[:, 0], arr[:, 1], arr[:, 2]
    out = C.copy()
    products = np.matmul(B[ib], A[ia])                  # (A B)^T per item, batch layout
    np.add.at(out, ic, products)
    return out


def make_problem(m, n, k, entries: int, pool: int, cpool: int, seed: int = 0,
                 dtype: str = "float64"):
    """Random pools and a stack of ``entries`` triples: A and B indices over ``pool``
    blocks, C indices over ``cpool`` blocks (fewer C blocks than entries: collisions)."""
    spec = _spec(m, n, k, dtype)
    entries, pool, cpool = (positive_int("entries", entries), positive_int("pool", pool),
                            positive_int("cpool", cpool))
    per_entry = spec.a_size + spec.b_size + spec.c_size    # numpy's gathered A, B and products
    need = spec.itemsize * (pool * (spec.a_size + spec.b_size) + 3 * cpool * spec.c_size
                            + entries * (per_entry + spec.c_size)) + 24 * entries
    check_memory(f"a stack of {entries} products of {m}x{n}x{k} over pools of {pool}/{cpool}", need)
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((pool, k, m)).astype(dtype)
    B = rng.standard_normal((pool, n, k)).astype(dtype)
    C = rng.standard_normal((cpool, n, m)).astype(dtype)
    stack = np.stack([rng.integers(0, pool, entries), rng.integers(0, pool, entries),
                      rng.integers(0, cpool, entries)], axis=1)
    return A, B, C, stack


def bench(m, n, k, entries=20_000, pool=1000, cpool=100, path="host", threads=1,
          repeat=5, seed=0) -> dict:
    """GFLOPS of :func:`process` and of numpy's :func:`reference` on the same stack (best
    of ``repeat`` each, alternating), whether they agree, and the speedup."""
    repeat = positive_int("repeat", repeat)
    entries = positive_int("entries", entries)
    if path not in PATHS:
        raise InputError(f"path {path!r} is not a stack path: choose one of {', '.join(PATHS)}")
    check_runs(f"--repeat {repeat} runs of a stack of {entries} products of {m}x{n}x{k} "
               "(labkit and numpy)", 2 * repeat + 2, 2.0 * m * n * k * entries)
    A, B, C, stack = make_problem(m, n, k, entries, pool, cpool, seed)
    want = reference(A, B, C, stack)
    got = process(A, B, C.copy(), stack, m, n, k, path=path, threads=threads)
    scale = max(1.0, float(np.max(np.abs(want))))
    error = float(np.max(np.abs(got - want)) / scale)
    ours, theirs = [], []
    for _ in range(repeat):
        work = C.copy()
        start = time.perf_counter()
        process(A, B, work, stack, m, n, k, path=path, threads=threads)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference(A, B, C, stack)
        theirs.append(time.perf_counter() - start)
    flops = 2.0 * m * n * k * stack.shape[0]
    return {"m": m, "n": n, "k": k, "entries": int(stack.shape[0]), "pool": pool, "cpool": cpool,
            "path": path, "threads": threads, "seconds": min(ours),
            "gflops": flops / min(ours) / 1e9, "numpy_gflops": flops / min(theirs) / 1e9,
            "speedup": min(theirs) / min(ours), "max_error": error, "agrees": error < 1e-12}


def sweep(shapes=((5, 5, 5), (13, 13, 13), (23, 23, 23)), paths=PATHS, threads=(1,), **options):
    """:func:`bench` per shape, path and thread count (tidy rows)."""
    import pandas as pd

    rows = [bench(*shape, path=p, threads=t, **options)
            for shape in shapes for p in paths for t in threads]
    frame = pd.DataFrame(rows)
    frame["shape"] = frame["m"].astype(str) + "x" + frame["n"].astype(str) + "x" + frame["k"].astype(str)
    return frame
