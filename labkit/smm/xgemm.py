"""XGEMM (LIBXSMM's ``xgemm`` sample): big GEMMs, 192 to 8K, built from labkit's small
kernels, tiled and threaded, with every BLAS argument.

``xgemm(m, n, k, a, lda, b, ldb, c, ldc, alpha, beta, transa, transb)`` computes
``C = alpha op(A) op(B) + beta C`` on column-major storage, exactly as ``dgemm`` does. The
work is GotoBLAS's: panels of B (``kc x nc``) and blocks of A (``mc x kc``) are packed, and
a register-blocked micro-kernel (:mod:`labkit.smm.tiled_codegen`) multiplies them; threads
split C's rows. Tile sizes come from :mod:`labkit.smm.tiles` (tuned ones when a search
stored some). Every argument is checked in Python, before any allocation or compiled code.
"""

from __future__ import annotations

import hashlib
import math
import time
from functools import lru_cache

import numpy as np

from labkit.lab.errors import InputError
from labkit.smm.spec import TRANS, normalize_dtype, positive_int
from labkit.smm.tiles import GemmTiles, tiles_for
from labkit.smm.workload import GEMM_FLOP_S, check_runs

LARGEST = 8192 * 4          # no dimension beyond this (the sample goes to 8K)


@lru_cache(maxsize=None)
def driver(vectors: int, nr: int, dtype: str):
    """The compiled module for one micro-tile (generated once, then found on disk)."""
    from labkit.smm import codegen, tiled_codegen

    text = tiled_codegen.source(vectors, nr, dtype)
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return codegen.load_file(codegen.cache_dir() / f"tiled_{dtype}_{vectors}x{nr}_{digest}.py", text)


def _dims(m, n, k) -> tuple[int, int, int]:
    m, n, k = (positive_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    for name, v in (("m", m), ("n", n), ("k", k)):
        if v > LARGEST:
            raise InputError(f"{name}={v} is beyond the largest supported size {LARGEST}")
    return m, n, k


def _trans(name: str, value) -> bool:
    text = str(value).upper()
    if text not in TRANS:
        raise InputError(f"{name} must be 'N' or 'T', got {value!r}")
    return text == "T"


def _leading(name: str, ld, rows: int) -> int:
    ld = positive_int(name, ld)
    if ld < rows:
        raise InputError(f"{name}={ld} is smaller than the matrix's {rows} rows")
    return ld


def _operand(name: str, array, ld: int, rows: int, cols: int, dtype, writable=False) -> np.ndarray:
    """A flat view of a column-major operand, checked (size as BLAS needs it)."""
    from labkit.smm.operands import flat

    need = ld * (cols - 1) + rows
    if isinstance(array, np.ndarray) and array.ndim == 2 and not array.flags.f_contiguous \
            and array.size > 1 and min(array.shape) > 1:
        raise InputError(f"{name} is a 2-D array that is not Fortran-ordered (column-major)")
    return flat(name, array, need, dtype, writable=writable)


def _scalar(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {value}")
    return value


def _threads(threads) -> int:
    import numba

    from labkit.smm.streaming import check_threads

    return numba.get_num_threads() if threads is None else check_threads(threads)


def xgemm(m, n, k, a, lda, b, ldb, c, ldc, alpha=1.0, beta=0.0, transa="N", transb="N",
          threads=None, tiles: GemmTiles | None = None) -> np.ndarray:
    """``C = alpha op(A) op(B) + beta C`` (BLAS ``xgemm`` arguments; arrays hold column-major
    storage: 1-D, or 2-D Fortran-ordered). Returns ``c``, updated in place."""
    m, n, k = _dims(m, n, k)
    ta, tb = _trans("transa", transa), _trans("transb", transb)
    (lda, cols_a), (ldb, cols_b), (ldc, _) = _shapes(m, n, k, lda, ldb, ldc, transa, transb)
    rows_a, rows_b = (k if ta else m), (n if tb else k)
    alpha, beta = _scalar("alpha", alpha), _scalar("beta", beta)
    if not isinstance(c, np.ndarray):
        raise InputError(f"c must be a numpy array, got {type(c).__name__}")
    dtype = normalize_dtype(c.dtype)
    fa = _operand("a", a, lda, rows_a, cols_a, dtype)
    fb = _operand("b", b, ldb, rows_b, cols_b, dtype)
    fc = _operand("c", c, ldc, m, n, dtype, writable=True)
    if np.shares_memory(fc, fa) or np.shares_memory(fc, fb):
        raise InputError("c overlaps a or b (the product would read what it overwrites)")
    threads = _threads(threads)
    tiles = (tiles_for("gemm", dtype, threads, m, n, k) if tiles is None else tiles).checked(dtype)
    module = driver(tiles.vectors, tiles.nr, dtype)
    module.gemm(m, n, k, alpha, fa, lda, ta, fb, ldb, tb, beta, fc, ldc,
                tiles.mc, tiles.kc, tiles.nc, threads)
    return c


def _shapes(m, n, k, lda, ldb, ldc, transa, transb):
    """Validated leading dimensions and the stored shapes ``(ld, cols)`` of A, B and C."""
    ta, tb = _trans("transa", transa), _trans("transb", transb)
    rows_a, cols_a = (k, m) if ta else (m, k)
    rows_b, cols_b = (n, k) if tb else (k, n)
    lda = rows_a if lda is None else _leading("lda", lda, rows_a)
    ldb = rows_b if ldb is None else _leading("ldb", ldb, rows_b)
    ldc = m if ldc is None else _leading("ldc", ldc, m)
    return (lda, cols_a), (ldb, cols_b), (ldc, n)


def check_size(m, n, k, lda=None, ldb=None, ldc=None, transa="N", transb="N",
               dtype="float64", copies: int = 2):
    """Dimensions validated and the operands' memory (A, B and ``copies`` Cs) checked
    against the machine's, before anything is allocated. Returns the stored shapes."""
    from labkit.lab.limits import check_memory

    m, n, k = _dims(m, n, k)
    shapes = _shapes(m, n, k, lda, ldb, ldc, transa, transb)
    sa, sb, sc = (math.prod(s) for s in shapes)
    itemsize = np.dtype(normalize_dtype(dtype)).itemsize
    check_memory(f"a {m}x{n}x{k} GEMM", (sa + sb + copies * sc) * itemsize)
    return (m, n, k), shapes


def random_operands(shapes, dtype="float64", seed=0):
    """Fortran-ordered stored A, B and C (``(ld, cols)`` each) of random values."""
    rng = np.random.default_rng(seed)
    return tuple(np.asfortranarray(rng.standard_normal(shape), dtype=dtype) for shape in shapes)


def numpy_view(stored: np.ndarray, rows: int, trans: str) -> np.ndarray:
    """op(X) as numpy sees it: the stored rows, transposed when ``trans`` is 'T'."""
    view = stored[:rows, :]
    return view.T if str(trans).upper() == "T" else view


def compare_blas(m, n, k, threads=1, repeat=3, dtype="float64", alpha=1.0, beta=0.0,
                 lda=None, ldb=None, ldc=None, transa="N", transb="N",
                 tiles: GemmTiles | None = None, seed=0):
    """labkit's xgemm and numpy's BLAS (``alpha * op(A) @ op(B) + beta * C``) on the same
    operands, ``repeat`` times each, alternating (the machine is shared: both sides see
    the same load). Returns a tidy DataFrame (one row per timed run: ``side``,
    ``seconds``, ``gflops``) and the largest difference of the two results relative to
    ``max |C|``."""
    import pandas as pd

    from labkit.smm.streaming import thread_limits

    (m, n, k), shapes = check_size(m, n, k, lda, ldb, ldc, transa, transb, dtype, copies=3)
    positive_int("repeat", repeat)
    check_runs(f"--repeat {repeat} runs of a {m}x{n}x{k} GEMM (labkit and numpy)",
               2 * repeat + 2, 2.0 * m * n * k, flop_s=GEMM_FLOP_S)
    alpha, beta = _scalar("alpha", alpha), _scalar("beta", beta)
    threads = _threads(threads)
    (lda, _), (ldb, _), (ldc, _) = shapes
    a, b, c0 = random_operands(shapes, dtype, seed)
    opa = numpy_view(a, k if _trans("transa", transa) else m, transa)
    opb = numpy_view(b, n if _trans("transb", transb) else k, transb)
    c = c0.copy(order="F")
    args = dict(alpha=alpha, beta=beta, transa=transa, transb=transb, threads=threads, tiles=tiles)
    rows = []
    with thread_limits(threads):
        xgemm(m, n, k, a, lda, b, ldb, c, ldc, **args)          # compiles once, checked below
        want = alpha * (opa @ opb) + beta * c0[:m]
        error = float(np.abs(c[:m] - want).max() / max(np.abs(want).max(), 1e-300))
        for run in range(repeat):
            for side in ("labkit", "numpy"):
                start = time.perf_counter()
                if side == "labkit":
                    xgemm(m, n, k, a, lda, b, ldb, c, ldc, **args)
                else:
                    out = opa @ opb
                    if alpha != 1.0 or beta != 0.0:   # what dgemm's alpha and beta do, in numpy
                        out *= alpha
                        out += beta * c0[:m]
                took = time.perf_counter() - start
                rows.append({"m": m, "n": n, "k": k, "threads": threads, "run": run,
                             "side": side, "seconds": took, "gflops": 2 * m * n * k / took / 1e9})
    return pd.DataFrame(rows), error


def summary(frame, error: float) -> dict:
    """Median GFLOPS of each side, the median of the per-run ratios labkit/numpy speed, and
    their spread (min, max)."""
    pivot = frame.pivot(index="run", columns="side", values="seconds")
    ratios = pivot["numpy"] / pivot["labkit"]
    first = frame.iloc[0]
    return {"m": int(first.m), "n": int(first.n), "k": int(first.k), "threads": int(first.threads),
            "labkit_gflops": float(frame[frame.side == "labkit"].gflops.median()),
            "numpy_gflops": float(frame[frame.side == "numpy"].gflops.median()),
            "ratio": float(ratios.median()), "ratio_min": float(ratios.min()),
            "ratio_max": float(ratios.max()), "max_rel_error": error}


def sweep(sizes, threads=(1, 2), repeat: int = 3, progress: bool = False):
    """:func:`compare_blas` on square sizes and thread counts: one row per (size, threads)
    with :func:`summary`'s columns, a tidy DataFrame."""
    import pandas as pd
    from tqdm.auto import tqdm

    cases = [(s, t) for s in sizes for t in threads]
    rows = []
    for size, count in tqdm(cases, disable=not progress, desc="xgemm"):
        frame, error = compare_blas(size, size, size, threads=count, repeat=repeat)
        rows.append(summary(frame, error))
    return pd.DataFrame(rows)


def weakest_ratio(table) -> float:
    """The claim's value: the smallest median ratio over the table's largest sizes' rows
    (every thread count)."""
    largest = table[table.m == table.m.max()]
    return float(largest.ratio.min())
