"""The SPECFEM3D_GLOBE stiffness kernel on 5x5x5 spectral elements, in the variants of
the LIBXSMM ``specfem`` sample: Deville loops, unrolled loops, dispatch, dispatch with
prefetch, static.

Per element and displacement component ``u(i,j,k)`` (column-major, 125 GLL points):
gradient ``t1 = H u`` (5x5 times 5x25), ``t2_k = u_k H^T`` (5x5 times 5x5, five slices),
``t3 = u H^T`` (25x5 times 5x5); pointwise weights ``w1 t1, w2 t2, w3 t3``; then the
divergence with ``W = hprimewgll``: ``-(W^T n1 + n2_k W + n3 W)``. That is 42 small GEMMs
of shapes (5,25), (5,5) and (25,5) per element.

Variants (what each binds when):

- ``deville``: the products as plain loops (Deville et al.'s matrix-product form), sizes
  compile-time constants; the compiler unrolls and vectorizes what it can.
- ``unrolled``: point by point, the five-term sums written out by hand (the sample's
  non-Deville code).
- ``dispatch``: six kernels from the registry, called through function pointers.
- ``prefetch``: as dispatch, and the next element's operands are prefetched.
- ``static``: the same kernels bound at compile time (direct calls the compiler can inline).
"""

from __future__ import annotations

import time

import numba
import numpy as np
from numba import types

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.prefetch import prefetch
from labkit.smm.spec import positive_int
from labkit.smm.workload import check_runs

NGLL = 5
NPTS = NGLL ** 3
# matrix-product FLOPs per element: 2 stages x 3 components x 3 products of 2 x 125 x 5
FLOPS_PER_ELEMENT = 2 * 3 * 3 * 2 * NPTS * NGLL
ELEMENT_BYTES = 16 * 3 * NPTS * 8   # u, w, the results and numpy's einsum temporaries
VARIANTS = ("deville", "unrolled", "dispatch", "prefetch", "static")
# the LIBXSMM sample's published table (samples/specfem/README.md): seconds averaged over
# 15 repetitions and the printed speedup relative to Deville loops (%, negative = slower)
PUBLISHED = [
    ("Sandy Bridge E5-2670", 1, {"deville": (0.1269, 0.0), "unrolled": (0.1737, -36.87),
                                 "dispatch": (0.1697, -33.77), "prefetch": (0.1611, -26.98),
                                 "static": (0.1392, -9.70)}),
    ("Haswell E5-2680 v3", 1, {"deville": (0.1028, 0.0), "unrolled": (0.1385, -34.73),
                               "dispatch": (0.1408, -37.02), "prefetch": (0.1327, -29.07),
                               "static": (0.1151, -11.93)}),
    ("Haswell E5-2680 v3", 24, {"deville": (0.0064, 0.0), "unrolled": (0.0349, -446.71),
                                "dispatch": (0.0082, -28.34), "prefetch": (0.0076, -19.59),
                                "static": (0.0068, -5.78)}),
    ("Knights Corner 5110P", 236, {"deville": (0.0164, 0.0), "unrolled": (0.6982, -4162.10),
                                   "dispatch": (0.0170, -3.89), "static": (0.0149, 9.22)}),
]


class Element:
    """Operands of one run: displacements ``u`` (3, elements, 125), weights ``w``
    (3, elements, 125), derivative matrices ``hprime`` and ``hprimewgll`` (5x5)."""

    def __init__(self, elements: int, seed: int = 0):
        elements = positive_int("elements", elements)
        check_memory(f"--elements {elements} SPECFEM elements", elements * ELEMENT_BYTES)
        rng = np.random.default_rng(seed)
        self.u = rng.standard_normal((3, elements, NPTS))
        self.w = rng.uniform(0.5, 1.5, (3, elements, NPTS))
        self.hprime = rng.standard_normal((NGLL, NGLL))
        self.hprimewgll = rng.standard_normal((NGLL, NGLL))
        h, hw = self.hprime, self.hprimewgll
        # column-major buffers of the operands each product needs (see module doc)
        self.h_cm = np.ascontiguousarray(h.ravel(order="F"))       # H
        self.ht_cm = np.ascontiguousarray(h.ravel(order="C"))      # H^T
        self.hwt_cm = np.ascontiguousarray(hw.ravel(order="C"))    # W^T
        self.hw_cm = np.ascontiguousarray(hw.ravel(order="F"))     # W

    @property
    def elements(self) -> int:
        return self.u.shape[1]


def reference(el: Element) -> np.ndarray:
    """The result by numpy einsum (``[component, element, 125]``)."""
    U = el.u.reshape(3, -1, NGLL, NGLL, NGLL)        # [c, e, k, j, i]
    W = el.w.reshape(3, -1, NGLL, NGLL, NGLL)
    H, HW = el.hprime, el.hprimewgll
    t1 = np.einsum("il,cekjl->cekji", H, U)
    t2 = np.einsum("cekli,jl->cekji", U, H)
    t3 = np.einsum("celji,kl->cekji", U, H)
    n1, n2, n3 = W[0] * t1, W[1] * t2, W[2] * t3
    s = (np.einsum("li,cekjl->cekji", HW, n1) + np.einsum("cekli,lj->cekji", n2, HW)
         + np.einsum("celji,lk->cekji", n3, HW))
    return -s.reshape(3, -1, NPTS)


@numba.njit(cache=True, fastmath={"contract"}, nogil=True)
def _deville_element(u, w0, w1, w2, h, hw, out, t1, t2, t3):
    n = NGLL                # a compile-time constant, as NGLLX is in SPECFEM's Fortran
    n2 = n * n
    for k in range(n):
        for j in range(n):
            for i in range(n):
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                for l in range(n):
                    s1 += h[i + l * n] * u[l + j * n + k * n2]
                    s2 += u[i + l * n + k * n2] * h[j + l * n]
                    s3 += u[i + j * n + l * n2] * h[k + l * n]
                p = i + j * n + k * n2
                t1[p] = w0[p] * s1
                t2[p] = w1[p] * s2
                t3[p] = w2[p] * s3
    for k in range(n):
        for j in range(n):
            for i in range(n):
                s = 0.0
                for l in range(n):
                    s += hw[l + i * n] * t1[l + j * n + k * n2]
                    s += t2[i + l * n + k * n2] * hw[l + j * n]
                    s += t3[i + j * n + l * n2] * hw[l + k * n]
                out[i + j * n + k * n2] = -s


@numba.njit(cache=True, fastmath={"contract"}, nogil=True)
def _unrolled_element(u, w0, w1, w2, h, hw, out, t1, t2, t3):
    for k in range(5):
        for j in range(5):
            for i in range(5):
                p = i + 5 * j + 25 * k
                t1[p] = w0[p] * (h[i] * u[5 * j + 25 * k] + h[i + 5] * u[1 + 5 * j + 25 * k]
                                 + h[i + 10] * u[2 + 5 * j + 25 * k] + h[i + 15] * u[3 + 5 * j + 25 * k]
                                 + h[i + 20] * u[4 + 5 * j + 25 * k])
                t2[p] = w1[p] * (u[i + 25 * k] * h[j] + u[i + 5 + 25 * k] * h[j + 5]
                                 + u[i + 10 + 25 * k] * h[j + 10] + u[i + 15 + 25 * k] * h[j + 15]
                                 + u[i + 20 + 25 * k] * h[j + 20])
                t3[p] = w2[p] * (u[i + 5 * j] * h[k] + u[i + 5 * j + 25] * h[k + 5]
                                 + u[i + 5 * j + 50] * h[k + 10] + u[i + 5 * j + 75] * h[k + 15]
                                 + u[i + 5 * j + 100] * h[k + 20])
    for k in range(5):
        for j in range(5):
            for i in range(5):
                a = (hw[5 * i] * t1[5 * j + 25 * k] + hw[1 + 5 * i] * t1[1 + 5 * j + 25 * k]
                     + hw[2 + 5 * i] * t1[2 + 5 * j + 25 * k] + hw[3 + 5 * i] * t1[3 + 5 * j + 25 * k]
                     + hw[4 + 5 * i] * t1[4 + 5 * j + 25 * k])
                b = (t2[i + 25 * k] * hw[5 * j] + t2[i + 5 + 25 * k] * hw[1 + 5 * j]
                     + t2[i + 10 + 25 * k] * hw[2 + 5 * j] + t2[i + 15 + 25 * k] * hw[3 + 5 * j]
                     + t2[i + 20 + 25 * k] * hw[4 + 5 * j])
                c = (t3[i + 5 * j] * hw[5 * k] + t3[i + 5 * j + 25] * hw[1 + 5 * k]
                     + t3[i + 5 * j + 50] * hw[2 + 5 * k] + t3[i + 5 * j + 75] * hw[3 + 5 * k]
                     + t3[i + 5 * j + 100] * hw[4 + 5 * k])
                out[i + 5 * j + 25 * k] = -(a + b + c)


@numba.njit(cache=True, parallel=True, nogil=True)
def _run_loops(u, w, h, hw, out, nchunks, unrolled):
    """The compiler-loop variants: Deville loops, or the hand-unrolled ones."""
    ne = u.shape[1]
    for t in numba.prange(nchunks):
        t1 = np.empty(NPTS)
        t2 = np.empty(NPTS)
        t3 = np.empty(NPTS)
        for e in range(t * ne // nchunks, (t + 1) * ne // nchunks):
            for c in range(3):
                if unrolled:
                    _unrolled_element(u[c, e], w[0, e], w[1, e], w[2, e], h, hw, out[c, e],
                                      t1, t2, t3)
                else:
                    _deville_element(u[c, e], w[0, e], w[1, e], w[2, e], h, hw, out[c, e],
                                     t1, t2, t3)


@numba.njit(inline="always")
def _gemm_element(g1, g2, g3, d1, d2, d3, u, w0, w1, w2, h, ht, hwt, hw, out, t1, t2, t3):
    """One component with six dispatched kernels (stage 1: g*, stage 2: d*)."""
    g1(h, u, t1)                                     # t1 = H u        (5 x 25)
    for k in range(5):
        g2(u[25 * k:25 * k + 25], ht, t2[25 * k:25 * k + 25])   # t2_k = u_k H^T
    g3(u, ht, t3)                                    # t3 = u H^T      (25 x 5)
    for p in range(125):
        t1[p] *= w0[p]
        t2[p] *= w1[p]
        t3[p] *= w2[p]
    d1(hwt, t1, out)                                 # out = -W^T n1
    for k in range(5):
        d2(t2[25 * k:25 * k + 25], hw, out[25 * k:25 * k + 25])  # out_k -= n2_k W
    d3(t3, hw, out)                                  # out -= n3 W


def _kernel_driver(g1, g2, g3, d1, d2, d3, u, w, h, ht, hwt, hw, out, nchunks, with_prefetch):
    ne = u.shape[1]
    for t in numba.prange(nchunks):
        t1 = np.empty(125)
        t2 = np.empty(125)
        t3 = np.empty(125)
        for e in range(t * ne // nchunks, (t + 1) * ne // nchunks):
            if with_prefetch and e + 1 < ne:
                for c in range(3):
                    for off in range(0, 125, 8):
                        prefetch(u[c, e + 1], off)
                        prefetch(w[c, e + 1], off)
            for c in range(3):
                _gemm_element(g1, g2, g3, d1, d2, d3, u[c, e], w[0, e], w[1, e], w[2, e],
                              h, ht, hwt, hw, out[c, e], t1, t2, t3)


_arr = types.float64[::1]
_fn = types.FunctionType(types.void(_arr, _arr, _arr))
_a3 = types.float64[:, :, ::1]
# kernels called through function pointers: compiled once (and cached) for any kernel
_pointer_driver = numba.njit(
    types.void(_fn, _fn, _fn, _fn, _fn, _fn, _a3, _a3, _arr, _arr, _arr, _arr, _a3, types.int64,
               types.boolean), parallel=True, nogil=True, cache=True)(_kernel_driver)
# kernels bound at compile time: specialised on the functions passed, direct inlinable calls
_static_driver = numba.njit(parallel=True, nogil=True)(_kernel_driver)


def kernels(variant: str = "dispatch"):
    """The six registry kernels (numba functions) of the element, in call order."""
    from labkit.smm.registry import dispatch

    shapes = [(5, 25, 5, 1.0, 0.0), (5, 5, 5, 1.0, 0.0), (25, 5, 5, 1.0, 0.0),
              (5, 25, 5, -1.0, 0.0), (5, 5, 5, -1.0, 1.0), (25, 5, 5, -1.0, 1.0)]
    return [dispatch(m, n, k, alpha=a, beta=b).gemm for m, n, k, a, b in shapes]


def run(variant: str, el: Element, threads: int = 1) -> np.ndarray:
    """Compute the element kernel with ``variant``; returns ``[component, element, 125]``."""
    out = np.empty_like(el.u)
    if variant in ("deville", "unrolled"):
        _run_loops(el.u, el.w, el.h_cm, el.hw_cm, out, threads, variant == "unrolled")
    elif variant in ("dispatch", "prefetch", "static"):
        driver = _static_driver if variant == "static" else _pointer_driver
        driver(*kernels(variant), el.u, el.w, el.h_cm, el.ht_cm, el.hwt_cm, el.hw_cm, out,
               threads, variant == "prefetch")
    else:
        raise InputError(f"variant {variant!r} is not a SPECFEM variant: choose one of "
                         f"{', '.join(VARIANTS)}")
    return out


def table(elements: int = 2000, repeat: int = 5, threads: int = 1, seed: int = 0,
          progress: bool = True):
    """The sample's table on this machine: mean (the sample's statistic) and median
    seconds over ``repeat`` runs per variant, speedup vs Deville loops in percent (the
    sample's sign convention: negative is slower), and whether the result equals numpy's.
    Variants are timed round robin so that a noisy neighbour slows all of them alike."""
    import pandas as pd
    from tqdm.auto import tqdm

    from labkit.smm.streaming import check_threads, thread_limits

    threads = check_threads(threads)
    repeat = positive_int("repeat", repeat)
    elements = positive_int("elements", elements)
    check_runs(f"--repeat {repeat} runs of {len(VARIANTS)} variants over {elements} elements",
               (repeat + 1) * len(VARIANTS) + 1, elements * FLOPS_PER_ELEMENT)
    el = Element(elements, seed)
    want = reference(el)
    times = {v: [] for v in VARIANTS}
    agrees = {}
    with thread_limits(threads):
        for variant in VARIANTS:                                 # compile / warm up, check
            agrees[variant] = bool(np.allclose(run(variant, el, threads), want,
                                               rtol=1e-10, atol=1e-10))
        for _ in tqdm(range(repeat), disable=not progress, desc="specfem"):
            for variant in VARIANTS:     # round robin: machine noise hits every variant alike
                start = time.perf_counter()
                run(variant, el, threads)
                times[variant].append(time.perf_counter() - start)
    frame = pd.DataFrame([{"variant": v, "threads": threads, "elements": elements,
                           "seconds": float(np.mean(times[v])),
                           "median_s": float(np.median(times[v])), "agrees": agrees[v]}
                          for v in VARIANTS])
    base = frame.loc[frame["variant"] == "deville"].iloc[0]
    frame["speedup_pct"] = (base["seconds"] - frame["seconds"]) / base["seconds"] * 100
    frame["speedup_median_pct"] = (base["median_s"] - frame["median_s"]) / base["median_s"] * 100
    frame["gflops"] = elements * FLOPS_PER_ELEMENT / frame["median_s"] / 1e9
    return frame


def published():
    """The sample's published rows, tidy: machine, threads, variant, seconds, speedup %."""
    import pandas as pd

    rows = []
    for machine, threads, times in PUBLISHED:
        for variant, (seconds, speedup) in times.items():
            rows.append({"machine": machine, "threads": threads, "variant": variant,
                         "seconds": seconds, "speedup_pct": speedup})
    return pd.DataFrame(rows)
