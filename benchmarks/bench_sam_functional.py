"""Functional mode against scipy.sparse on SpMV and SpM*SpM at about 10^4 nonzeros.

labkit's time is one functional run of the compiled graph on already bound tensors, from
the formatted input tensors to the output Tensor (every primitive over whole streams,
token counts of every stream, output levels built); scipy's is one product on an already
built CSR matrix.  Both are best-of-N in the same run; the result is checked against scipy.
Outside the timed region, once per graph and inputs (scipy has no such step): compiling
the graph, binding the tensors, and the first run, which JIT-loads numba, encodes the graph
as integer instructions with the bound tensors' level arrays packed into flat arrays, and
sizes the reusable stream arena (all cached for later runs on the same bound tensors).
Target: labkit within 10x of scipy (ratio = labkit time / scipy time <= 10).

    python benchmarks/bench_sam_functional.py
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from labkit.lab import locate
from labkit.sam.custard import compile_expr
from labkit.sam.generate import random_tensor
from labkit.sam.mtx import load
from labkit.sam.simulate import bind, execute


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench(name, csr):
    x = np.linspace(1.0, 2.0, csr.shape[1])
    cases = [("SpMV", "x(i)=B(i,j)*c(j)", {"B": csr, "c": x}, {"B": "dc", "c": "d"}, "ij",
              lambda: csr @ x, 50),
             ("SpM*SpM", "X(i,j)=B(i,k)*C(k,j)", {"B": csr, "C": csr.T.tocsr()},
              {"B": "dc", "C": "dc"}, "ikj", lambda: csr @ csr.T, 5)]
    ratios = []
    for kernel, expr, tensors, formats, order, peer, repeat in cases:
        program = compile_expr(expr, formats, order, locate=True)
        env = bind(program, tensors)
        execute(program, env, "functional")
        ours, sim = best_of(lambda: execute(program, env, "functional"), repeat)
        theirs, gold = best_of(peer, repeat * 4)
        got = sim.output.to_numpy() if min(csr.shape) <= 3000 else None
        ok = np.allclose(got, gold.toarray() if sp.issparse(gold) else gold) if got is not None else "n/a"
        ratios.append(ours / theirs)
        print(f"{name:14s} nnz={csr.nnz:6d} {kernel:8s} labkit {ours * 1e3:9.3f} ms  "
              f"scipy {theirs * 1e3:8.3f} ms  ratio {ours / theirs:7.1f}x  matches: {ok}")
    return ratios


def main():
    mats = {"cryg2500": load(locate("suitesparse/cryg2500.mtx")).to_scipy(),
            "watt_2": load(locate("suitesparse/watt_2.mtx")).to_scipy(),
            "random 1000^2": random_tensor((1000, 1000), 0.01, 0).to_scipy_sparse().tocsr()}
    ratios = []
    for name, m in mats.items():
        ratios += bench(name, m.tocsr())
    spmv, spmspm = ratios[0::2], ratios[1::2]
    print(f"worst slowdown vs scipy: SpMV {max(spmv):.1f}x, SpM*SpM {max(spmspm):.1f}x; "
          f"geometric mean {float(np.exp(np.mean(np.log(ratios)))):.1f}x (target <= 10x)")


if __name__ == "__main__":
    main()
