"""Nek5000 kernels of the LIBXSMM ``nek`` samples.

``stpm`` (small tensor-product multiply, the axhelm Laplacian): per m x n x k element
``u``, ``tm1 = Dx u`` (m x m times m x nk), ``tm2_z = u_z Dy`` (m x n times n x n, k
slices), ``tm3 = u Dz`` (mn x k times k x k), then ``c = g1 tm1 + g2 tm2 + g3 tm3``.

``rstr`` (restriction, multigrid and Schwarz solves): an m x n x k element to an
mm x nn x kk one, ``v = (Az x Ay x Ax) u``: ``t1 = Ax u`` (mm x m times m x nk),
``t2_z = t1_z Ay^T`` (mm x n times n x nn), ``v = t2 Az^T`` (mm nn x k times k x kk).

Strategies: ``labkit`` (registry kernels, called through function pointers from one
compiled driver), ``loops`` (compiled loops with run-time sizes, the sample's ``mxm``),
``numpy`` (einsum over all elements). The sample's arguments ``m n k size1 size`` map to
sizes, strategy (its ``size1`` picks the interface) and the number of elements.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from numba import types

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.spec import positive_int
from labkit.smm.workload import check_runs
from labkit.smm.loops import gemm_loops

STRATEGIES = ("labkit", "loops", "numpy")
_arr = types.float64[::1]
_fn = types.FunctionType(types.void(_arr, _arr, _arr))
_a2 = types.float64[:, ::1]
_i = types.int64


@numba.njit(inline="always", fastmath={"contract"})
def _combine(c, g1, g2, g3, tm1, tm2, tm3):
    """``c = g1 tm1 + g2 tm2 + g3 tm3`` point by point (the geometric factors)."""
    for p in range(c.size):
        c[p] = g1[p] * tm1[p] + g2[p] * tm2[p] + g3[p] * tm3[p]


@numba.njit(types.void(_arr, _arr, _arr), cache=True)
def _unused(a, b, c):
    """Stands in for the kernels when the compiled loops run instead."""


@numba.njit(types.void(_fn, _fn, _fn, _a2, _a2, _a2, _a2, _arr, _arr, _arr, _a2,
                       _i, _i, _i, _i, types.boolean),
            cache=True, parallel=True, nogil=True, fastmath={"contract"})
def _stpm(f1, f2, f3, u, g1, g2, g3, dx, dy, dz, c, m, n, k, nchunks, loops):
    """stpm over the elements: registry kernels f1..f3, or the loops (``loops=True``)."""
    ne = u.shape[0]
    size = m * n * k
    mn = m * n
    for t in numba.prange(nchunks):
        tm1 = np.empty(size)
        tm2 = np.empty(size)
        tm3 = np.empty(size)
        for e in range(t * ne // nchunks, (t + 1) * ne // nchunks):
            ue = u[e]
            if loops:
                gemm_loops(dx, 0, m, ue, 0, m, tm1, 0, m, m, n * k, m, 0.0)
                for z in range(k):
                    gemm_loops(ue, z * mn, m, dy, 0, n, tm2, z * mn, m, m, n, n, 0.0)
                gemm_loops(ue, 0, mn, dz, 0, k, tm3, 0, mn, mn, k, k, 0.0)
            else:
                f1(dx, ue, tm1)
                for z in range(k):
                    f2(ue[z * mn:(z + 1) * mn], dy, tm2[z * mn:(z + 1) * mn])
                f3(ue, dz, tm3)
            _combine(c[e], g1[e], g2[e], g3[e], tm1, tm2, tm3)


@numba.njit(types.void(_fn, _fn, _fn, _a2, _arr, _arr, _arr, _a2, _i, _i, _i, _i, _i, _i, _i,
                       types.boolean), cache=True, parallel=True, nogil=True, fastmath={"contract"})
def _rstr(f1, f2, f3, u, ax, ayt, azt, v, m, n, k, mm, nn, kk, nchunks, loops):
    """rstr over the elements: registry kernels f1..f3, or the loops (``loops=True``)."""
    ne = u.shape[0]
    s1 = mm * n
    s2 = mm * nn
    for t in numba.prange(nchunks):
        t1 = np.empty(s1 * k)
        t2 = np.empty(s2 * k)
        for e in range(t * ne // nchunks, (t + 1) * ne // nchunks):
            if loops:
                gemm_loops(ax, 0, mm, u[e], 0, m, t1, 0, mm, mm, n * k, m, 0.0)
                for z in range(k):
                    gemm_loops(t1, z * s1, mm, ayt, 0, n, t2, z * s2, mm, mm, nn, n, 0.0)
                gemm_loops(t2, 0, s2, azt, 0, k, v[e], 0, s2, s2, kk, k, 0.0)
            else:
                f1(ax, u[e], t1)
                for z in range(k):
                    f2(t1[z * s1:(z + 1) * s1], ayt, t2[z * s2:(z + 1) * s2])
                f3(t2, azt, v[e])


def _sizes(**sizes) -> None:
    for name, value in sizes.items():
        positive_int(name, value)


def _kernels(strategy: str, shapes):
    """Registry kernels (``C = A B``) for ``labkit``; placeholders for ``loops``."""
    if strategy == "loops":
        return [_unused] * len(shapes)
    from labkit.smm.registry import dispatch

    return [dispatch(m, n, k, beta=0.0).gemm for m, n, k in shapes]


def _cm(matrix: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(matrix.ravel(order="F"))


class Stpm:
    """Operands of one ``stpm`` run (elements stored column-major, one per row)."""

    def __init__(self, m, n, k, elements, seed=0):
        _sizes(m=m, n=n, k=k, size=elements)
        pts = m * n * k
        # u, g1-g3, the result, and numpy's reference with its three temporaries
        check_memory(f"--size {elements} stpm elements of {m}x{n}x{k}",
                     8 * (9 * elements * pts + m * m + n * n + k * k))
        rng = np.random.default_rng(seed)
        self.m, self.n, self.k = int(m), int(n), int(k)
        self.u, self.g1, self.g2, self.g3 = (rng.standard_normal((elements, pts)) for _ in range(4))
        self.dx, self.dy, self.dz = (rng.standard_normal((s, s)) for s in (m, n, k))

    @property
    def flops(self) -> float:
        """The sample's count: ``m n k (2 (m + n + k) + 2)`` per element."""
        m, n, k = self.m, self.n, self.k
        return self.u.shape[0] * m * n * k * (2 * (m + n + k) + 2)

    @property
    def bytes(self) -> float:
        """u, g1, g2, g3 read and c written: five arrays of doubles."""
        return self.u.size * 5 * 8

    def reference(self) -> np.ndarray:
        U = self.u.reshape(-1, self.k, self.n, self.m)          # [e, z, y, x]
        tm1 = np.einsum("xa,ezya->ezyx", self.dx, U)
        tm2 = np.einsum("ezax,ay->ezyx", U, self.dy)
        tm3 = np.einsum("eayx,az->ezyx", U, self.dz)
        c = (self.g1 * tm1.reshape(self.u.shape) + self.g2 * tm2.reshape(self.u.shape)
             + self.g3 * tm3.reshape(self.u.shape))
        return c

    def run(self, strategy: str, threads: int = 1) -> np.ndarray:
        m, n, k = self.m, self.n, self.k
        c = np.empty_like(self.u)
        if strategy in ("labkit", "loops"):
            f = _kernels(strategy, [(m, n * k, m), (m, n, n), (m * n, k, k)])
            _stpm(*f, self.u, self.g1, self.g2, self.g3, _cm(self.dx), _cm(self.dy),
                  _cm(self.dz), c, m, n, k, threads, strategy == "loops")
        elif strategy == "numpy":
            c = self.reference()
        else:
            raise InputError(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
        return c


class Rstr:
    """Operands of one ``rstr`` run: m x n x k elements restricted to mm x nn x kk."""

    def __init__(self, m, n, k, mm, nn, kk, elements, seed=0):
        _sizes(m=m, n=n, k=k, mm=mm, nn=nn, kk=kk, size=elements)
        # u, the result twice (labkit's, numpy's) and numpy's two partial contractions
        check_memory(f"--size {elements} rstr elements of {m}x{n}x{k} to {mm}x{nn}x{kk}",
                     8 * elements * (m * n * k + mm * n * k + mm * nn * k + 2 * mm * nn * kk))
        rng = np.random.default_rng(seed)
        self.m, self.n, self.k, self.mm, self.nn, self.kk = map(int, (m, n, k, mm, nn, kk))
        self.u = rng.standard_normal((elements, m * n * k))
        self.ax = rng.standard_normal((mm, m))
        self.ay = rng.standard_normal((nn, n))
        self.az = rng.standard_normal((kk, k))

    @property
    def flops(self) -> float:
        m, n, k, mm, nn, kk = self.m, self.n, self.k, self.mm, self.nn, self.kk
        return self.u.shape[0] * 2 * (mm * m * n * k + mm * n * nn * k + mm * nn * k * kk)

    @property
    def bytes(self) -> float:
        return self.u.shape[0] * (self.m * self.n * self.k + self.mm * self.nn * self.kk) * 8

    def reference(self) -> np.ndarray:
        U = self.u.reshape(-1, self.k, self.n, self.m)
        v = np.einsum("xa,yb,zc,ecba->ezyx", self.ax, self.ay, self.az, U, optimize=True)
        return v.reshape(self.u.shape[0], -1)

    def run(self, strategy: str, threads: int = 1) -> np.ndarray:
        m, n, k, mm, nn, kk = self.m, self.n, self.k, self.mm, self.nn, self.kk
        v = np.empty((self.u.shape[0], mm * nn * kk))
        args = (_cm(self.ax), _cm(self.ay.T), _cm(self.az.T), v, m, n, k, mm, nn, kk, threads)
        if strategy in ("labkit", "loops"):
            f = _kernels(strategy, [(mm, n * k, m), (mm, nn, n), (mm * nn, kk, k)])
            _rstr(*f, self.u, *args, strategy == "loops")
        elif strategy == "numpy":
            v = self.reference()
        else:
            raise InputError(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
        return v


def measure(problem, strategies=STRATEGIES, threads: int = 1, repeat: int = 3):
    """Rows ``strategy, seconds (best), gflops, gbps, agrees`` for ``problem`` (Stpm/Rstr)."""
    from labkit.smm.streaming import check_threads, thread_limits

    threads = check_threads(threads)
    want = problem.reference()
    rows = []
    with thread_limits(threads):
        for strategy in strategies:
            got = problem.run(strategy, threads)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                problem.run(strategy, threads)
                times.append(time.perf_counter() - start)
            best = min(times)
            rows.append({"strategy": strategy, "threads": threads, "seconds": best,
                         "gflops": problem.flops / best / 1e9, "gbps": problem.bytes / best / 1e9,
                         "agrees": bool(np.allclose(got, want, rtol=1e-9, atol=1e-9))})
    return rows


def _check_run(what: str, strategy: str, repeat: int, flops: float, nbytes: float) -> None:
    """The strategy known and ``repeat`` timed runs (plus a warm-up and numpy's reference)
    within the time budget, before any operand is made."""
    if strategy not in STRATEGIES:
        raise InputError(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    check_runs(what, positive_int("repeat", repeat) + 2, flops, nbytes)


def stpm(m, n, k, size1="labkit", size=1000, threads=1, repeat=3):
    """The ``stpm m n k size1 size`` sample: ``size1`` the strategy, ``size`` elements."""
    _sizes(m=m, n=n, k=k, size=size)
    _check_run(f"{repeat} runs of {size} stpm elements of {m}x{n}x{k}", size1, repeat,
               size * m * n * k * (2 * (m + n + k) + 2), 40 * size * m * n * k)
    rows = measure(Stpm(m, n, k, size), [size1], threads, repeat)
    return rows[0]


def rstr(m, n, k, mm, nn, kk, size1="labkit", size=1000, threads=1, repeat=3):
    """The ``rstr m n k mm nn kk size1 size`` sample (arguments as :func:`stpm`)."""
    _sizes(m=m, n=n, k=k, mm=mm, nn=nn, kk=kk, size=size)
    _check_run(f"{repeat} runs of {size} rstr elements of {m}x{n}x{k}", size1, repeat,
               size * 2 * (mm * m * n * k + mm * n * nn * k + mm * nn * k * kk),
               8 * size * (m * n * k + mm * nn * kk))
    rows = measure(Rstr(m, n, k, mm, nn, kk, size), [size1], threads, repeat)
    return rows[0]


def sweep(sizes=range(4, 17), elements=500, strategies=STRATEGIES, threads=1, repeat=3,
          progress=True):
    """Both kernels on cubic elements of every size (rstr: size n to n-1, as multigrid
    coarsening does), tidy: ``kernel, size, strategy, seconds, gflops, gbps, agrees``."""
    import pandas as pd
    from tqdm.auto import tqdm

    rows = []
    for s in tqdm(list(sizes), disable=not progress, desc="nek"):
        for name, problem in (("stpm", Stpm(s, s, s, elements)),
                              ("rstr", Rstr(s, s, s, max(1, s - 1), max(1, s - 1), max(1, s - 1), elements))):
            for row in measure(problem, strategies, threads, repeat):
                rows.append({"kernel": name, "size": s, **row})
    return pd.DataFrame(rows)
