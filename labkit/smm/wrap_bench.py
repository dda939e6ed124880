"""The wrapped-GEMM sample's workload and its timing: an unmodified small-matrix loop run
on plain numpy and under :func:`labkit.smm.wrap.wrapped`, and where a call's time goes.
"""

from __future__ import annotations

import statistics
import time
import timeit

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.spec import positive_int
from labkit.smm.workload import SMALL_PRODUCT_S, check_steps

OPS = ("@", "matmul", "dot", "dgemm")    # the ways the unmodified loop multiplies


def small_products(A, B, op="@"):
    """The unmodified workload: ``C[i] = A[i] @ B[i]`` one product at a time, written as
    numpy users write it (``op``: one of :data:`OPS`)."""
    from scipy.linalg import blas

    C = np.empty((A.shape[0], A.shape[1], B.shape[2]))
    if op == "@":
        for i in range(A.shape[0]):
            C[i] = A[i] @ B[i]
    elif op == "matmul":
        for i in range(A.shape[0]):
            C[i] = np.matmul(A[i], B[i])
    elif op == "dot":
        for i in range(A.shape[0]):
            C[i] = np.dot(A[i], B[i])
    else:
        for i in range(A.shape[0]):
            C[i] = blas.dgemm(1.0, A[i], B[i])
    return C


def operands(m, n, k, products, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((products, m, k)), rng.standard_normal((products, k, n))


def speedup(m=5, n=5, k=5, products=100_000, rounds=5, op="@") -> dict:
    """Seconds of :func:`small_products` plain and wrapped, alternating ``rounds`` times
    (the same machine load on both sides); the median ratio and its spread, and whether
    the two results are bit-for-bit equal."""
    from labkit.smm.wrap import parse_shapes, wrapped

    (m, n, k), = parse_shapes([(m, n, k)])          # a small shape, before any allocation
    positive_int("products", products)
    positive_int("rounds", rounds)
    if op not in OPS:
        raise InputError(f"op {op!r} is not how the loop multiplies: choose one of {', '.join(OPS)}")
    check_memory(f"--products {products} of {m}x{n}x{k} (A, B and two results)",
                 8 * products * (m * k + k * n + 2 * m * n))
    check_steps(f"--rounds {rounds} of --products {products} plain and wrapped",
                2 * rounds * products, SMALL_PRODUCT_S)
    A, B = operands(m, n, k, products)
    with wrapped([(m, n, k)]) as hooks:            # compile outside the timed runs
        small_products(A[:10], B[:10], op)
    plain_s, wrapped_s = [], []
    plain = fast = None
    for _ in range(rounds):
        start = time.perf_counter()
        plain = small_products(A, B, op)
        plain_s.append(time.perf_counter() - start)
        before = hooks.counts()
        with wrapped([(m, n, k)]):
            start = time.perf_counter()
            fast = small_products(A, B, op)
            wrapped_s.append(time.perf_counter() - start)
        routed = sum(hooks.counts()[t] - before[t] for t in ("@", "matmul", "dot", "dgemm"))
    ratios = [p / w for p, w in zip(plain_s, wrapped_s)]
    return {"shape": f"{m}x{n}x{k}", "op": op, "products": products, "rounds": rounds,
            "plain_s": statistics.median(plain_s), "wrapped_s": statistics.median(wrapped_s),
            "speedup": statistics.median(ratios), "speedup_min": min(ratios),
            "speedup_max": max(ratios), "routed": routed,
            "identical": bool(np.array_equal(plain, fast))}


def overhead_breakdown(m=5, n=5, k=5, number=50_000) -> "pd.DataFrame":
    """Nanoseconds per call of the pieces of one product, best of 5: the loop's own work
    (an iteration, indexing two operands, storing the result), numpy's ``@``, an
    element-wise ufunc of the same size (numpy's call + ufunc machinery without any
    arithmetic worth the name), a Python function calling a numba kernel (what a Python
    wrapper would cost), and the wrapped ``@``."""
    import numba
    import pandas as pd

    from labkit.smm.wrap import wrapped

    A, B = operands(m, n, k, 4)
    a, b, c = A[0], B[0], np.empty((m, n))
    C = np.empty((4, m, n))
    kernel = numba.njit(lambda x, y, z: None)
    kernel(a, b, c)

    def python_wrapper(x, y):
        out = np.empty((x.shape[0], y.shape[1]))
        kernel(x, y, out)
        return out

    env = {"A": A, "a": a, "b": b, "c": c, "C": C, "np": np, "wrapper": python_wrapper}
    pieces = [("loop iteration", "for _ in range(1): pass"), ("index A[i]", "A[1]"),
              ("store C[i] = c", "C[1] = c"), ("numpy a @ b", "a @ b"),
              ("numpy np.add(a, a) (ufunc floor)", "np.add(a, a)"),
              ("np.empty (result allocation)", f"np.empty(({m}, {n}))"),
              ("Python wrapper + numba call", "wrapper(a, b)")]

    def best(stmt):
        return min(timeit.repeat(stmt, globals=env, number=number, repeat=5)) / number * 1e9

    rows = [{"piece": name, "ns": best(stmt)} for name, stmt in pieces]
    with wrapped([(m, n, k)]):
        rows.append({"piece": "wrapped a @ b (compiled hook)", "ns": best("a @ b")})
    return pd.DataFrame(rows)
