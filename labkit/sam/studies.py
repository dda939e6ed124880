"""The paper's studies as functions returning tidy DataFrames (one row per observation):
Table 1 primitive counts, correctness in every order, stream overhead (Fig. 14), dataflow
order (Fig. 13a), SDDMM fusion (Fig. 13b/c) and vector formats (Figs. 11-12)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labkit.sam.custard import compile_expr, valid_orders
from labkit.sam.expressions import DESIGN_EXPRESSIONS, SPMSPM_DATAFLOWS, random_inputs
from labkit.sam.generate import random_tensor, run_vector
from labkit.sam.graph import TABLE1_KINDS
from labkit.sam.run import run_expression


def _progress(items, desc):
    from tqdm.auto import tqdm

    return tqdm(list(items), desc=desc, leave=False)


def table1(expressions: dict = DESIGN_EXPRESSIONS) -> pd.DataFrame:
    """Primitive counts per expression in its default order (long format)."""
    rows = []
    for name, (expr, _) in expressions.items():
        counts = compile_expr(expr).graph.counts()
        rows += [{"kernel": name, "expr": expr, "primitive": k, "count": counts.get(k, 0)}
                 for k in TABLE1_KINDS]
    return pd.DataFrame(rows)


def all_orders(expressions: dict = DESIGN_EXPRESSIONS, density: float = 0.2,
               seed: int = 0) -> pd.DataFrame:
    """Every expression in every valid order, alternating formats, checked against gold."""
    rows = []
    for name, (expr, shapes) in _progress(expressions.items(), "orders"):
        tensors = random_inputs(shapes, density, seed)
        for k, order in enumerate(valid_orders(expr)):
            letters = "cd" if k % 2 else "cc"
            formats = {n: (letters * 3)[:len(s)] for n, s in shapes.items() if s}
            res = run_expression(expr, tensors, formats, order)
            rows.append({"kernel": name, "order": order, "formats": formats,
                         "matches_gold": bool(res.matches_gold), "cycles": res.sim.cycles})
    return pd.DataFrame(rows)


def stream_overhead(matrices: dict, kernels: tuple = ("SpMV", "SpM*SpM")) -> pd.DataFrame:
    """Token counts by kind for SpMV and SpM*SpM (Gustavson, ``B*B^T``) on each matrix."""
    rows = []
    for mname, b in _progress(matrices.items(), "matrices"):
        rows_, cols_ = b.shape
        for kernel in kernels:
            if kernel == "SpMV":
                expr, tensors, fmts, order = "x(i)=B(i,j)*c(j)", \
                    {"B": b, "c": np.linspace(1, 2, cols_)}, {"B": "dc", "c": "d"}, "ij"
            else:
                expr, tensors, fmts, order = "X(i,j)=B(i,k)*C(j,k)", {"B": b, "C": b}, \
                    {"B": "dc", "C": "dc"}, "ikj"
            res = run_expression(expr, tensors, fmts, order, locate=True)
            tok = res.sim.token_counts()
            total = sum(tok.values())
            rows.append({"matrix": mname, "kernel": kernel, "nnz": int(b.nnz), **tok,
                         "control_share": (tok["stop"] + tok["empty"] + tok["done"]) / total,
                         "matches_gold": bool(res.matches_gold)})
    return pd.DataFrame(rows)


def order_study(sizes=(60,), densities=(0.01, 0.05, 0.2), seed: int = 0) -> pd.DataFrame:
    """SpM*SpM cycles in the six loop orders over square random matrices."""
    rows = []
    grid = [(n, d) for n in sizes for d in densities]
    for n, d in _progress(grid, "order study"):
        t = {"B": random_tensor((n, n), d, seed), "C": random_tensor((n, n), d, seed + 1)}
        for order, flow in SPMSPM_DATAFLOWS.items():
            res = run_expression("X(i,j)=B(i,k)*C(k,j)", t, {"B": "cc", "C": "cc"}, order)
            rows.append({"size": n, "density": d, "order": order, "dataflow": flow,
                         "cycles": res.sim.cycles, "matches_gold": bool(res.matches_gold)})
    return pd.DataFrame(rows)


def fusion_study(n: int = 64, rank: int = 8, densities=(0.01, 0.05, 0.2),
                 seed: int = 0) -> pd.DataFrame:
    """SDDMM ``X=B*(C D^T)``: unfused (materialise ``C D^T``, then multiply) against one
    fused graph by coiteration and one fused with locate into the dense factors."""
    rows = []
    rng = np.random.default_rng(seed)
    c, dmat = rng.random((n, rank)) + 1, rng.random((n, rank)) + 1
    dense = {"C": "dd", "D": "dd"}
    for d in _progress(densities, "fusion"):
        b = random_tensor((n, n), d, seed)
        t = {"B": b, "C": c, "D": dmat}
        first = run_expression("T(i,j)=C(i,k)*D(j,k)", {"C": c, "D": dmat}, dense, "ijk")
        second = run_expression("X(i,j)=B(i,j)*T(i,j)", {"B": b, "T": first.output},
                                {"B": "cc", "T": "dd"}, "ij")
        fused = run_expression("X(i,j)=B(i,j)*C(i,k)*D(j,k)", t, {"B": "cc", **dense}, "ijk")
        located = run_expression("X(i,j)=B(i,j)*C(i,k)*D(j,k)", t, {"B": "cc", **dense}, "ijk",
                                 locate=True)
        ok = bool(second.matches_gold and fused.matches_gold and located.matches_gold)
        for variant, cycles in (("unfused", first.sim.cycles + second.sim.cycles),
                                ("coiteration-fused", fused.sim.cycles),
                                ("locate-fused", located.sim.cycles)):
            rows.append({"density": d, "variant": variant, "cycles": cycles, "matches_gold": ok})
    return pd.DataFrame(rows)


FORMAT_VARIANTS = {"uncompressed": ("d", False), "compressed": ("c", False),
                   "bitvector": ("b", False), "skip": ("c", True)}


def format_study(n: int = 2000, densities=(0.01, 0.05, 0.2, 0.5), run_lengths=(1,),
                 seed: int = 0) -> pd.DataFrame:
    """Vector element-wise multiply ``x(i)=b(i)*c(i)`` in each level format."""
    rows = []
    grid = [(d, r) for d in densities for r in run_lengths]
    for d, r in _progress(grid, "formats"):
        t = {"b": run_vector(n, d, r, seed), "c": run_vector(n, d, r, seed + 1)}
        for variant, (fmt, skip) in FORMAT_VARIANTS.items():
            res = run_expression("x(i)=b(i)*c(i)", t, {"b": fmt, "c": fmt}, "i", skip=skip)
            rows.append({"density": d, "run_length": r, "format": variant,
                         "cycles": res.sim.cycles, "matches_gold": bool(res.matches_gold)})
    return pd.DataFrame(rows)
