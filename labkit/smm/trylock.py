"""The try-lock mode of dispatch (LIBXSMM's ``LIBXSMM_TRYLOCK``): a thread asking for a
kernel that another thread is generating at that moment does not wait for it; it computes
its product with a fallback (numpy, as LIBXSMM's callers fall back to BLAS) and finds the
kernel on a later call.
"""

from __future__ import annotations

import time

import numpy as np

from labkit.smm.registry import REGISTRY
from labkit.smm.spec import GemmSpec, make_spec


def fallback(spec: GemmSpec):
    """``f(a, b, c)``: the product of ``spec`` computed by numpy on the same column-major
    buffers a kernel takes (C updated in place)."""
    def gemm(a, b, c):
        A = np.asarray(a).reshape(-1)[:spec.a_size].reshape(spec.a_shape[1], spec.lda).T[:spec.a_shape[0]]
        B = np.asarray(b).reshape(-1)[:spec.b_size].reshape(spec.b_shape[1], spec.ldb).T[:spec.b_shape[0]]
        C = c.reshape(-1)[:spec.c_size].reshape(spec.n, spec.ldc).T[:spec.m]
        opa = A if spec.transa == "N" else A.T
        opb = B if spec.transb == "N" else B.T
        C[...] = spec.alpha * (opa @ opb) + (spec.beta * C if spec.beta else 0.0)
        return c
    return gemm


def gemm_or_fallback(m, n, k, registry=REGISTRY, **options):
    """``(function, source)``: the registry's kernel (``"kernel"``) or, when another
    thread is generating it right now, :func:`fallback` (``"fallback"``)."""
    kernel = registry.try_dispatch(m, n, k, **options)
    if kernel is not None:
        return kernel, "kernel"
    return fallback(make_spec(m, n, k, **options)), "fallback"


def race(threads: int = 2, trylock: bool = True, shape=(6, 5, 7), seed: int = 0):
    """``threads`` threads ask at once for one kernel nobody has generated (a private
    cache): with ``trylock`` the losers compute with the fallback at once; without, they
    wait for the winner's generation. Tidy rows ``thread, source, latency_s, agrees``
    (each thread's product against numpy)."""
    import pandas as pd

    from labkit.smm.dispatch_cost import _concurrently, fresh_cache, fresh_lda
    from labkit.smm.registry import Registry
    from labkit.lab.limits import check_threads, check_time
    from labkit.smm.spec import positive_int
    from labkit.smm.workload import GENERATION_S, THREAD_S

    threads = positive_int("threads", threads)
    check_threads("--threads", threads)
    check_time(f"--threads {threads} racing for a new kernel",
               threads * THREAD_S + GENERATION_S)
    m, n, k = shape
    lda = fresh_lda(m)
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(lda * k), rng.standard_normal(k * n)
    want = a.reshape(k, lda).T[:m] @ b.reshape(n, k).T
    rows = [None] * threads
    with fresh_cache():
        reg = Registry()

        def work(i):
            c = np.zeros(m * n)
            start = time.perf_counter()
            if trylock:
                fn, source = gemm_or_fallback(m, n, k, registry=reg, lda=lda, beta=0.0)
            else:
                fn, source = reg.dispatch(m, n, k, lda=lda, beta=0.0), "kernel"
            fn(a, b, c)
            took = time.perf_counter() - start
            rows[i] = {"thread": i, "trylock": trylock, "source": source, "latency_s": took,
                       "agrees": bool(np.allclose(c.reshape(n, m).T, want, rtol=1e-12, atol=1e-12))}

        _concurrently(threads, work)
    return pd.DataFrame(rows)
