"""This machine's physical limits, measured: peak FLOPS with a large BLAS GEMM and memory
bandwidth with a STREAM-like triad, so every result can be shown as a fraction of what
the hardware can do (a roofline: ``min(peak, bandwidth x intensity)``). The FMA ceiling
(:func:`fma_gflops`), what one core's vector FMA units issue with nothing else to do, is
the bound no kernel can pass; a good BLAS reaches 90-95% of it."""

from __future__ import annotations

import time
from functools import lru_cache

import numba
import numpy as np

from labkit.smm.simd import lanes, vadd, vfma, vload, vstore, vzero
from labkit.smm.spec import positive_int


@numba.njit(cache=True, parallel=True, nogil=True)
def _triad(a, b, c, scalar):
    for i in numba.prange(a.size):
        a[i] = b[i] + scalar * c[i]


@numba.njit(cache=True, nogil=True)
def _fmas(x, steps):
    """``steps`` rounds of 12 independent vector FMAs (enough chains to cover the FMA
    latency on every current x86 core), summed into ``x`` so nothing is optimised away."""
    a0 = vzero(x); a1 = vzero(x); a2 = vzero(x); a3 = vzero(x); a4 = vzero(x); a5 = vzero(x)
    a6 = vzero(x); a7 = vzero(x); a8 = vzero(x); a9 = vzero(x); a10 = vzero(x); a11 = vzero(x)
    u = vload(x, 0, 8)
    w = vload(x, 8, 8)
    for _ in range(steps):
        a0 = vfma(u, w, a0); a1 = vfma(u, w, a1); a2 = vfma(u, w, a2); a3 = vfma(u, w, a3)
        a4 = vfma(u, w, a4); a5 = vfma(u, w, a5); a6 = vfma(u, w, a6); a7 = vfma(u, w, a7)
        a8 = vfma(u, w, a8); a9 = vfma(u, w, a9); a10 = vfma(u, w, a10); a11 = vfma(u, w, a11)
    s = vadd(vadd(vadd(a0, a1), vadd(a2, a3)), vadd(vadd(a4, a5), vadd(a6, a7)))
    vstore(x, 16, vadd(s, vadd(vadd(a8, a9), vadd(a10, a11))), 8)


@lru_cache(maxsize=None)
def fma_gflops(steps: int = 20_000_000, repeat: int = 3) -> float:
    """One core's double-precision FMA ceiling in GFLOPS: the best of ``repeat`` runs of
    :func:`_fmas` (2 FLOPs per lane per FMA)."""
    positive_int("steps", steps)
    positive_int("repeat", repeat)
    x = np.full(24, 1e-9)
    _fmas(x, 10)
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        _fmas(x, steps)
        best = min(best, time.perf_counter() - start)
    return steps * 12 * 2 * lanes("float64") / best / 1e9


@lru_cache(maxsize=None)
def peak_gflops(threads: int = 1, n: int = 1536, dtype: str = "float64", repeat: int = 3) -> float:
    """GFLOPS of the best of ``repeat`` ``n x n`` BLAS GEMMs (numpy's BLAS, ``threads``)."""
    from labkit.smm.streaming import thread_limits

    positive_int("n", n)
    positive_int("repeat", repeat)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    c = np.empty_like(a)
    best = np.inf
    with thread_limits(threads):
        np.matmul(a, b, out=c)
        for _ in range(repeat):
            start = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


@lru_cache(maxsize=None)
def stream_gbps(threads: int = 1, elements: int = 4_000_000, repeat: int = 5) -> float:
    """GB/s of the triad ``a = b + s c`` over arrays far beyond the caches (3 x 8 bytes
    per element, STREAM's count: write-allocate traffic is not counted)."""
    from labkit.smm.streaming import thread_limits

    positive_int("elements", elements)
    a, b, c = np.zeros(elements), np.ones(elements), np.full(elements, 2.0)
    best = np.inf
    with thread_limits(threads):
        _triad(a, b, c, 3.0)
        for _ in range(repeat):
            start = time.perf_counter()
            _triad(a, b, c, 3.0)
            best = min(best, time.perf_counter() - start)
    return 3 * 8 * elements / best / 1e9


def limits(threads: int = 1, quick: bool = False) -> dict:
    """``peak_gflops`` and ``stream_gbps`` for ``threads`` (smaller probes when ``quick``)."""
    from labkit.smm.streaming import check_threads

    threads = check_threads(threads)
    if quick:
        return {"peak_gflops": peak_gflops(threads, n=1024, repeat=5),
                "stream_gbps": stream_gbps(threads, 2_000_000, 5)}
    return {"peak_gflops": peak_gflops(threads), "stream_gbps": stream_gbps(threads)}


def attainable(intensity, peak: float, bandwidth: float):
    """The roofline: GFLOPS attainable at ``intensity`` FLOP/byte (None/0 -> peak)."""
    x = np.asarray(intensity, dtype=float)
    return np.where(np.isfinite(x) & (x > 0), np.minimum(peak, bandwidth * np.nan_to_num(x)), peak)


def add_roofline(frame, peak: float, bandwidth: float):
    """Columns ``intensity`` (FLOP/byte), ``roof_gflops`` and ``fraction_of_roof``."""
    out = frame.copy()
    gb = out["gbps"].astype(float)
    out["intensity"] = out["gflops"] / gb.where(gb > 0)
    out["roof_gflops"] = attainable(out["intensity"].to_numpy(), peak, bandwidth)
    out["fraction_of_roof"] = out["gflops"] / out["roof_gflops"]
    return out
