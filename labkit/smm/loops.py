"""Compiler-generated loops: the plain triple loop, sizes known only at run time.

This is the "let the compiler do it" baseline of the samples (SPECFEM's Deville loops,
NEK's ``mxm``): numba compiles it once for every shape, so it cannot unroll or block for
a particular m, n, k the way a specialized kernel does.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, fastmath={"contract"}, nogil=True)
def gemm_loops(a, ao, lda, b, bo, ldb, c, co, ldc, m, n, k, beta):
    """``C = A*B + beta*C`` (column-major, no transposes) with run-time sizes."""
    for j in range(n):
        if beta == 0.0:
            for i in range(m):
                c[co + i + j * ldc] = 0.0
        for p in range(k):
            bv = b[bo + p + j * ldb]
            for i in range(m):
                c[co + i + j * ldc] += a[ao + i + p * lda] * bv


@numba.njit(cache=True, parallel=True, fastmath={"contract"}, nogil=True)
def run_loops(a, b, c, nbatch, sa, sb, sc_item, sc_chunk, nchunks, m, n, k, lda, ldb, ldc, beta):
    """The batched driver of :mod:`labkit.smm.codegen`, over :func:`gemm_loops`."""
    for t in numba.prange(nchunks):
        lo = t * nbatch // nchunks
        hi = (t + 1) * nbatch // nchunks
        for i in range(lo, hi):
            gemm_loops(a, i * sa, lda, b, i * sb, ldb, c, i * sc_item + t * sc_chunk, ldc,
                       m, n, k, beta)


def warm(dtype: str = "float64") -> None:
    """Compile (or load from cache) for ``dtype`` so timings exclude compilation."""
    z = np.zeros(4, dtype=dtype)
    run_loops(z, z, z, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0.0)
