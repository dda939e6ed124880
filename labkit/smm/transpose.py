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
from labkit.smm.spec import positive_int

TILE = 32


@numba.njit(cache=True, nogil=True)
def _oop(src, dst, m, n, ldi, ldo):
    for j0 in range(0, n, TILE):
        for i0 in range(0, m, TILE):
            for i in range(i0, min(i0 + TILE, m)):
                for j in range(j0, min(j0 + TILE, n)):
                    dst[j + i * ldo] = src[i + j * ldi]


@numba.njit(cache=True, nogil=True)
def _inplace_square(a, m, ld):
    for j in range(m):
        for i in range(j + 1, m):
            t = a[i + j * ld]
            a[i + j * ld] = a[j + i * ld]
            a[j + i * ld] = t


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


def transpose(a: np.ndarray, m: int, n: int, ldi: int | None = None, ldo: int | None = None,
              out: np.ndarray | None = None) -> np.ndarray:
    """Out-of-place: the ``n x m`` transpose of ``a`` (``m x n``, leading dims ldi/ldo)."""
    ldi = m if ldi is None else ldi
    ldo = n if ldo is None else ldo
    _check(a, m, n, ldi, ldo)
    if out is None:
        out = np.zeros(ldo * m, dtype=a.dtype)
    elif (not isinstance(out, np.ndarray) or out.dtype != a.dtype or out.ndim != 1
          or not out.flags.c_contiguous or out.size < ldo * m):
        raise InputError(f"out must be a contiguous 1-D {a.dtype.name} array of at least ldo*m = {ldo * m}")
    _oop(a, out, m, n, ldi, ldo)
    return out


def transpose_inplace(a: np.ndarray, m: int, n: int, ld: int | None = None) -> np.ndarray:
    """In place: square matrices with any ``ld``; rectangular ones need ``ld == m``."""
    ld = m if ld is None else ld
    _check(a, m, n, ld)
    if m == n:
        _inplace_square(a, m, ld)
    elif ld != m:
        raise InputError(f"in-place transpose of a {m}x{n} (non-square) matrix needs ld == m, got ld={ld}")
    else:
        _inplace_cycles(a, m, n, np.zeros(m * n, dtype=np.bool_))
    return a


def reference(a: np.ndarray, m: int, n: int, ldi: int) -> np.ndarray:
    """numpy's transpose of the stored matrix, as an ``n x m`` array."""
    return a[:ldi * n].reshape(n, ldi)[:, :m]          # rows of this view are C's columns


def bench(m: int, n: int, ldi: int | None = None, ldo: int | None = None, inplace: bool = False,
          dtype: str = "float64", repeat: int = 5) -> dict:
    """Best-of-``repeat`` seconds and bandwidth (2 x m x n x itemsize bytes), validated."""
    ldi = m if ldi is None else ldi
    ldo = n if ldo is None else ldo
    if dtype not in ("float64", "float32"):
        raise InputError(f"dtype {dtype!r} is not supported (float64 or float32)")
    for name, v in (("repeat", repeat), ("m", m), ("n", n), ("ldi", ldi), ("ldo", ldo)):
        positive_int(name, v)
    if inplace and m != n and ldi != m:
        raise InputError(f"in-place transpose of a {m}x{n} (non-square) matrix needs ld == m, got ld={ldi}")
    rng = np.random.default_rng(0)
    a = rng.standard_normal(ldi * n).astype(dtype)
    want = reference(a, m, n, ldi).copy()
    times = []
    if inplace:
        work = a.copy()
        transpose_inplace(work, m, n, ldi)
        # the result is n x m with leading dimension n (ld for a square matrix)
        agrees = np.array_equal(reference(work, n, m, ldi if m == n else n), want.T)
        for _ in range(repeat):
            start = time.perf_counter()
            transpose_inplace(work, m, n, ldi)
            times.append(time.perf_counter() - start)
    else:
        out = transpose(a, m, n, ldi, ldo)
        agrees = np.array_equal(out.reshape(m, ldo)[:, :n], want.T)
        for _ in range(repeat):
            start = time.perf_counter()
            transpose(a, m, n, ldi, ldo, out)
            times.append(time.perf_counter() - start)
    best = min(times)
    return {"m": m, "n": n, "ldi": ldi, "ldo": ldo, "inplace": inplace, "dtype": dtype,
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
