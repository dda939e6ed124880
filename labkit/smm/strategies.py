"""Ways to compute one streaming case, all with the same semantics (validated against
numpy by the tests): labkit's kernels bound statically into their generated batch driver
(``labkit``), the same kernels called through a function pointer from one generic driver
(``dispatch``), plain compiled loops, ``numpy.matmul`` on stacks, ``einsum`` and a BLAS
``gemm`` call per product (scipy).

Each strategy is ``prepare(name, spec, case, A, B, C, batch, threads) -> run()``: preparation (kernel
lookup, views) happens once, ``run()`` is what gets timed, and it updates ``C`` in place.
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.smm.cases import Case
from labkit.smm.operands import op_view
from labkit.smm.streaming_stores import streaming_stores
from labkit.smm.spec import GemmSpec

STRATEGIES = ("labkit", "dispatch", "loops", "numpy", "einsum", "blas")


def _strides(spec: GemmSpec, case: Case):
    return (spec.a_size if case.a else 0, spec.b_size if case.b else 0,
            spec.c_size if case.c else 0, 0 if case.c else spec.c_size)


def _labkit(spec, case, A, B, C, batch, threads):
    from labkit.smm.registry import dispatch

    kernel = dispatch(spec.m, spec.n, spec.k, spec.lda, spec.ldb, spec.ldc, spec.alpha,
                      spec.beta, spec.transa, spec.transb, spec.dtype, spec.prefetch)
    a, b, c = A.reshape(-1), B.reshape(-1), C.reshape(-1)
    sa, sb, sc_item, sc_chunk = _strides(spec, case)
    run, stream = kernel.run, streaming_stores(spec, case, C, batch)
    return lambda: run(a, b, c, batch, sa, sb, sc_item, sc_chunk, threads, stream)


def _dispatch(spec, case, A, B, C, batch, threads):
    from labkit.smm import indirect
    from labkit.smm.registry import dispatch

    kernel = dispatch(spec.m, spec.n, spec.k, spec.lda, spec.ldb, spec.ldc, spec.alpha,
                      spec.beta, spec.transa, spec.transb, spec.dtype, spec.prefetch)
    run = indirect.run_float64 if spec.dtype == "float64" else indirect.run_float32
    a, b, c = A.reshape(-1), B.reshape(-1), C.reshape(-1)
    sa, sb, sc_item, sc_chunk = _strides(spec, case)
    f, sizes = kernel.gemm, (spec.a_size, spec.b_size, spec.c_size)
    return lambda: run(f, a, b, c, batch, sa, sb, sc_item, sc_chunk, threads, *sizes)


def _loops(spec, case, A, B, C, batch, threads):
    from labkit.smm import loops

    if spec.transa != "N" or spec.transb != "N" or spec.alpha != 1.0:
        raise InputError("strategy 'loops' supports transa=transb='N' and alpha=1 only")
    loops.warm(spec.dtype)
    a, b, c = A.reshape(-1), B.reshape(-1), C.reshape(-1)
    sa, sb, sc_item, sc_chunk = _strides(spec, case)
    s = spec
    return lambda: loops.run_loops(a, b, c, batch, sa, sb, sc_item, sc_chunk, threads,
                                   s.m, s.n, s.k, s.lda, s.ldb, s.ldc, s.beta)


def _products(spec, case, A, B, C, batch, threads, matmul):
    """numpy-style strategies: ``matmul(bt, at)`` gives ``(A*B)^T`` per item."""
    at, bt = op_view(spec, A, "a"), op_view(spec, B, "b")
    ct = C[:, :, :spec.m]
    sign = spec.alpha
    if case.c:                      # ABC, AC, BC: a fresh C per product (beta = 0)
        if sign == 1.0 and spec.beta == 0.0:
            return lambda: matmul(bt, at, ct)
        return lambda: ct.__setitem__(slice(None), sign * matmul(bt, at, None) + spec.beta * ct)
    chunks = np.linspace(0, batch, threads + 1).astype(int)

    def accumulate():               # AB, none: C_t += sum of the chunk's products
        for t in range(threads):
            lo, hi = chunks[t], chunks[t + 1]
            if hi <= lo:
                continue
            if case.a:
                prod = matmul(bt[lo:hi], at[lo:hi], None)
            else:                   # the same product, really computed hi - lo times
                prod = matmul(np.broadcast_to(bt[:1], (hi - lo,) + bt.shape[1:]),
                              np.broadcast_to(at[:1], (hi - lo,) + at.shape[1:]), None)
            ct[t] += sign * prod.sum(axis=0)
    return accumulate


def _numpy_matmul(bt, at, out):
    return np.matmul(bt, at, out=out)


def _einsum(bt, at, out):
    return np.einsum("...nk,...km->...nm", bt, at, out=out, optimize=False)


def _blas_loop(bt, at, out):
    """One BLAS gemm per product from Python (scipy), the way naive callers do it."""
    from scipy.linalg import blas

    count = max(bt.shape[0], at.shape[0])
    gemm = blas.dgemm if bt.dtype == np.float64 else blas.sgemm
    result = out if out is not None else np.empty((count, bt.shape[1], at.shape[2]), bt.dtype)
    for i in range(count):
        x = bt[i if bt.shape[0] > 1 else 0]
        y = at[i if at.shape[0] > 1 else 0]
        result[i] = gemm(1.0, x, y)
    return result


def prepare(strategy: str, spec: GemmSpec, case: Case, A, B, C, batch: int, threads: int):
    """The timed callable for ``strategy`` (InputError for an unknown name)."""
    if strategy == "labkit":
        return _labkit(spec, case, A, B, C, batch, threads)
    if strategy == "loops":
        return _loops(spec, case, A, B, C, batch, threads)
    if strategy == "dispatch":
        return _dispatch(spec, case, A, B, C, batch, threads)
    matmul = {"numpy": _numpy_matmul, "einsum": _einsum, "blas": _blas_loop}.get(strategy)
    if matmul is None:
        raise InputError(f"kernel {strategy!r} is not a strategy: choose one of {', '.join(STRATEGIES)}")
    return _products(spec, case, A, B, C, batch, threads, matmul)
