"""Matrix transposes of the LIBXSMM ``transpose`` sample: out-of-place (``m n ldi ldo``)
and in-place, reported as memory bandwidth (one read and one write of each element).

A column-major ``m x n`` input with leading dimension ``ldi`` becomes an ``n x m`` output
with leading dimension ``ldo``. The out-of-place kernel walks tiles so that both the
reads and the writes stay within a few cache lines. In place, a square matrix swaps
across the diagonal; a rectangular one (``ldi == m``) follows the permutation's cycles.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from labkit.lab.errors import InputError
from labkit.smm.simd import tile_transpose
from labkit.smm.spec import normalize_dtype, positive_int
from labkit.smm.workload import check_runs



@numba.njit(nogil=True)
def _block(src, dst, i0, i1, j0, j1, ldi, ldo, buf):
    """One block. A whole one (sides multiples of the vector width ``W``) is first copied
    column by column into ``buf`` (contiguous reads of whole lines), then written out in
    ``W x W`` tiles through registers (:func:`tile_transpose`: whole lines written). Why
    the buffer: with a power-of-two leading dimension every line of a block falls in one
    cache set, and reading tiles straight from the matrix ran 2-3x slower (measured,
    4096^2 and 8192^2). A ragged block goes element by element."""
    w = 64 // src.itemsize
    rows, cols = i1 - i0, j1 - j0
    if rows % w or cols % w:
        for i in range(i0, i1):
            out = i * ldo
            for j in range(j0, j1):
                dst[out + j] = src[i + j * ldi]
        return
    for j in range(cols):
        at = i0 + (j0 + j) * ldi
        for i in range(rows):
            buf[i + j * rows] = src[at + i]
    for i in range(0, rows, w):
        for j in range(0, cols, w):
            tile_transpose(buf, i + j * rows, rows, dst, j0 + j + (i0 + i) * ldo, ldo)


@numba.njit(cache=True, nogil=True, parallel=True)
def _oop(src, dst, m, n, ldi, ldo, rows, cols, threads):
    """Blocks of ``rows x cols`` of the input; each thread owns a band of the input's rows
    (the output's columns), so no two threads write one cache line of the output."""
    bands = (m + rows - 1) // rows
    buffers = np.empty((threads, rows * cols), dtype=src.dtype)
    for t in numba.prange(threads):
        for band in range(t * bands // threads, (t + 1) * bands // threads):
            i0 = band * rows
            for j0 in range(0, n, cols):
                _block(src, dst, i0, min(i0 + rows, m), j0, min(j0 + cols, n), ldi, ldo,
                       buffers[t])


@numba.njit(cache=True, nogil=True, parallel=True)
def _copy(src, dst, m, n, ldi, ldo, threads):
    """The copy the transpose is measured against: the same bytes read and written, in
    storage order, with the same threads (each a band of columns)."""
    for t in numba.prange(threads):
        for j in range(t * n // threads, (t + 1) * n // threads):
            for i in range(m):
                dst[i + j * ldo] = src[i + j * ldi]


@numba.njit(cache=True, nogil=True, parallel=True)
def _inplace_square(a, m, ld, block, threads):
    """Swap across the diagonal, block pair by block pair (the pairs above the diagonal
    dealt round-robin to the threads, so the triangle's work is shared evenly)."""
    blocks = (m + block - 1) // block
    pairs = blocks * (blocks + 1) // 2
    for t in numba.prange(threads):
        for q in range(t, pairs, threads):
            bj = int((np.sqrt(8.0 * q + 1.0) - 1.0) / 2.0)      # q -> (bi <= bj)
            while bj * (bj + 1) // 2 > q:
                bj -= 1
            while (bj + 1) * (bj + 2) // 2 <= q:
                bj += 1
            bi = q - bj * (bj + 1) // 2
            j0, i0 = bj * block, bi * block
            for j in range(j0, min(j0 + block, m)):
                for i in range(i0, min(i0 + block, m) if bi < bj else j):
                    x = a[i + j * ld]
                    a[i + j * ld] = a[j + i * ld]
                    a[j + i * ld] = x


@numba.njit(cache=True, nogil=True)
def _inplace_cycles(a, m, n, seen):
    """Element at ``p = i + j*m`` goes to ``j + i*n``; follow each cycle once."""
    size = m * n
    for start in range(1, size - 1):
        if seen[start]:
            continue
        p = start
        value = a[p]
        while True:
            q = (p % m) * n + p // m
            nxt = a[q]
            a[q] = value
            seen[q] = True
            value = nxt
            p = q
            if p == start:
                break


def _check(a, m, n, ldi, ldo=None):
    for name, v in (("m", m), ("n", n), ("ldi", ldi)) + ((("ldo", ldo),) if ldo is not None else ()):
        positive_int(name, v)
    if ldi < m:
        raise InputError(f"ldi={ldi} is smaller than m={m}")
    if ldo is not None and ldo < n:
        raise InputError(f"ldo={ldo} is smaller than n={n}")
    if not isinstance(a, np.ndarray) or a.ndim != 1 or not a.flags.c_contiguous:
        raise InputError("the matrix must be a contiguous 1-D numpy array (column-major storage)")
    if a.dtype.name not in ("float64", "float32"):
        raise InputError(f"dtype {a.dtype.name} is not supported (float64 or float32)")
    if a.size < ldi * n:
        raise InputError(f"the input holds {a.size} elements, ldi*n = {ldi * n} are needed")


def _threads(threads) -> int:
    from labkit.smm.streaming import check_threads

    return numba.get_num_threads() if threads is None else check_threads(threads)


def _tiles(tiles, dtype: str, threads: int, m: int, n: int):
    from labkit.smm.tiles import tiles_for

    return (tiles_for("transpose", dtype, threads, m, n) if tiles is None else tiles).checked(dtype)


def _out(out, a, ldo, m):
    if out is None:
        return np.zeros(ldo * m, dtype=a.dtype)
    if (not isinstance(out, np.ndarray) or out.dtype != a.dtype or out.ndim != 1
            or not out.flags.c_contiguous or out.size < ldo * m):
        raise InputError(f"out must be a contiguous 1-D {a.dtype.name} array of at least ldo*m = {ldo * m}")
    if np.shares_memory(out, a):
        raise InputError("out overlaps the input (use transpose_inplace)")
    return out


def check_size(m, n, ldi=None, ldo=None, dtype="float64", outputs: int = 1) -> tuple[int, int]:
    """Sizes validated, and an input plus ``outputs`` outputs checked against the memory
    limit, before anything is allocated."""
    from labkit.lab.limits import check_memory

    m, n = positive_int("m", m), positive_int("n", n)
    ldi = m if ldi is None else positive_int("ldi", ldi)
    ldo = n if ldo is None else positive_int("ldo", ldo)
    if ldi < m:
        raise InputError(f"ldi={ldi} is smaller than m={m}")
    if ldo < n:
        raise InputError(f"ldo={ldo} is smaller than n={n}")
    itemsize = np.dtype(normalize_dtype(dtype)).itemsize
    check_memory(f"a {m}x{n} transpose", (ldi * n + outputs * ldo * m) * itemsize)
    return m, n


def transpose(a: np.ndarray, m: int, n: int, ldi: int | None = None, ldo: int | None = None,
              out: np.ndarray | None = None, threads: int | None = None, tiles=None) -> np.ndarray:
    """Out-of-place: the ``n x m`` transpose of ``a`` (``m x n``, leading dims ldi/ldo), on
    ``threads`` threads (default: numba's), blocks from ``tiles`` (default: tuned ones
    when :mod:`labkit.smm.tile_tuning` stored some, else 32 x 32)."""
    ldi = m if ldi is None else ldi
    ldo = n if ldo is None else ldo
    _check(a, m, n, ldi, ldo)
    threads = _threads(threads)
    tiles = _tiles(tiles, a.dtype.name, threads, m, n)
    out = _out(out, a, ldo, m)
    _oop(a, out, m, n, ldi, ldo, tiles.rows, tiles.cols, threads)
    return out


def copy(a: np.ndarray, m: int, n: int, ldi: int | None = None, ldo: int | None = None,
         out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
    """Out-of-place copy of the ``m x n`` matrix (``ldi`` to ``ldo``): the transpose's
    yardstick, the same bytes moved in storage order."""
    ldi = m if ldi is None else ldi
    ldo = m if ldo is None else ldo
    _check(a, m, n, ldi)
    if ldo < m:
        raise InputError(f"ldo={ldo} is smaller than m={m}")
    out = _out(out, a, ldo, n)
    _copy(a, out, m, n, ldi, ldo, _threads(threads))
    return out


def transpose_inplace(a: np.ndarray, m: int, n: int, ld: int | None = None,
                      threads: int | None = None, block: int = 32) -> np.ndarray:
    """In place: square matrices with any ``ld`` (blocks of ``block``, threaded);
    rectangular ones need ``ld == m`` (one thread: the permutation's cycles)."""
    ld = m if ld is None else ld
    _check(a, m, n, ld)
    block = positive_int("block", block)
    if m == n:
        _inplace_square(a, m, ld, block, _threads(threads))
    elif ld != m:
        raise InputError(f"in-place transpose of a {m}x{n} (non-square) matrix needs ld == m, got ld={ld}")
    else:
        _inplace_cycles(a, m, n, np.zeros(m * n, dtype=np.bool_))
    return a


def reference(a: np.ndarray, m: int, n: int, ldi: int) -> np.ndarray:
    """numpy's transpose of the stored matrix, as an ``n x m`` array."""
    return a[:ldi * n].reshape(n, ldi)[:, :m]          # rows of this view are C's columns


def bench(m: int, n: int, ldi: int | None = None, ldo: int | None = None, inplace: bool = False,
          dtype: str = "float64", repeat: int = 5, threads: int | None = None) -> dict:
    """Best-of-``repeat`` seconds and bandwidth (2 x m x n x itemsize bytes), validated."""
    ldi = m if ldi is None else ldi
    ldo = n if ldo is None else ldo
    if dtype not in ("float64", "float32"):
        raise InputError(f"dtype {dtype!r} is not supported (float64 or float32)")
    for name, v in (("repeat", repeat), ("m", m), ("n", n), ("ldi", ldi), ("ldo", ldo)):
        positive_int(name, v)
    if inplace and m != n and ldi != m:
        raise InputError(f"in-place transpose of a {m}x{n} (non-square) matrix needs ld == m, got ld={ldi}")
    check_size(m, n, ldi, ldo, dtype, outputs=2)          # the result and numpy's
    check_runs(f"--repeat {repeat} runs of a {m}x{n} transpose", repeat + 1,
               nbytes=(ldi * n + ldo * m) * np.dtype(dtype).itemsize)
    threads = _threads(threads)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(ldi * n).astype(dtype)
    want = reference(a, m, n, ldi).copy()
    times = []
    if inplace:
        work = a.copy()
        transpose_inplace(work, m, n, ldi, threads=threads)
        # the result is n x m with leading dimension n (ld for a square matrix)
        agrees = np.array_equal(reference(work, n, m, ldi if m == n else n), want.T)
        for _ in range(repeat):
            start = time.perf_counter()
            transpose_inplace(work, m, n, ldi, threads=threads)
            times.append(time.perf_counter() - start)
    else:
        out = transpose(a, m, n, ldi, ldo, threads=threads)
        agrees = np.array_equal(out.reshape(m, ldo)[:, :n], want.T)
        for _ in range(repeat):
            start = time.perf_counter()
            transpose(a, m, n, ldi, ldo, out, threads=threads)
            times.append(time.perf_counter() - start)
    best = min(times)
    return {"m": m, "n": n, "ldi": ldi, "ldo": ldo, "inplace": inplace, "dtype": dtype,
            "threads": threads,
            "seconds": best, "gbps": 2 * m * n * np.dtype(dtype).itemsize / best / 1e9,
            "agrees": bool(agrees)}


def sweep(sizes, dtype: str = "float64", repeat: int = 5, progress: bool = False):
    """The transpose sample's three cases per size ``s``, as a tidy DataFrame with a
    ``kind`` column: out of place with padded leading dimensions (``s x s``, ldi = s + 3,
    ldo = s + 1), in place square, and in place ``s x s/2``."""
    import pandas as pd
    from tqdm.auto import tqdm

    cases = [("out-of-place", lambda s: dict(m=s, n=s, ldi=s + 3, ldo=s + 1)),
             ("in-place", lambda s: dict(m=s, n=s, inplace=True)),
             ("in-place m x m/2", lambda s: dict(m=s, n=max(1, s // 2), inplace=True))]
    rows = [{"kind": kind, **bench(**shape(s), dtype=dtype, repeat=repeat)}
            for s in tqdm(list(sizes), disable=not progress, desc="transpose")
            for kind, shape in cases]
    return pd.DataFrame(rows)


def versus_copy(m: int, n: int, threads: int = 1, repeat: int = 5, dtype: str = "float64",
                tiles=None):
    """The out-of-place transpose and a copy of the same matrix (:func:`copy`: the same
    bytes, storage order, same threads), alternating run by run. Returns a tidy DataFrame
    (``side``, ``seconds``, ``gbps`` per run) and whether the transpose equals numpy's."""
    import pandas as pd

    from labkit.smm.streaming import thread_limits

    m, n = check_size(m, n, dtype=dtype, outputs=2)
    positive_int("repeat", repeat)
    check_runs(f"--repeat {repeat} runs of a {m}x{n} transpose and copy", 2 * repeat + 2,
               nbytes=2 * m * n * np.dtype(normalize_dtype(dtype)).itemsize)
    a = np.random.default_rng(0).standard_normal(m * n).astype(dtype)
    out_t, out_c = np.empty(m * n, dtype=dtype), np.empty(m * n, dtype=dtype)
    rows = []
    with thread_limits(threads):
        transpose(a, m, n, out=out_t, threads=threads, tiles=tiles)
        copy(a, m, n, out=out_c, threads=threads)
        agrees = bool(np.array_equal(out_t.reshape(m, n), a.reshape(n, m).T)
                      and np.array_equal(out_c, a))
        for run in range(repeat):
            for side in ("transpose", "copy"):
                start = time.perf_counter()
                if side == "transpose":
                    transpose(a, m, n, out=out_t, threads=threads, tiles=tiles)
                else:
                    copy(a, m, n, out=out_c, threads=threads)
                took = time.perf_counter() - start
                rows.append({"m": m, "n": n, "threads": threads, "run": run, "side": side,
                             "seconds": took, "gbps": 2 * m * n * a.itemsize / took / 1e9})
    return pd.DataFrame(rows), agrees


def copy_summary(frame, agrees: bool) -> dict:
    """Median bandwidth of each side and the median per-run ratio copy time / transpose
    time (1.0: the transpose moves data as fast as a copy), with its spread."""
    pivot = frame.pivot(index="run", columns="side", values="seconds")
    ratios = pivot["copy"] / pivot["transpose"]
    first = frame.iloc[0]
    return {"m": int(first.m), "n": int(first.n), "threads": int(first.threads),
            "transpose_gbps": float(frame[frame.side == "transpose"].gbps.median()),
            "copy_gbps": float(frame[frame.side == "copy"].gbps.median()),
            "ratio": float(ratios.median()), "ratio_min": float(ratios.min()),
            "ratio_max": float(ratios.max()), "agrees": agrees}
