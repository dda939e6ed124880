"""The SAM paper's evaluation (Figs. 11-14) at the paper's settings, as tidy DataFrames.

The paper's text available here is its abstract only, so the settings come from issue 14
and from the artifact's own study scripts (github.com/weiya711/sam, tag asplos23-ae):
``sam/sim/test/study-apps`` (Fig. 11), ``scripts/generate_synthetics.sh`` and
``sam/sim/test/reorder-study`` (Fig. 12), ``sam/sim/test/fusion-study`` (Fig. 13) and
``scripts/stream_overhead.sh`` (Fig. 14: the identity kernel ``X=B`` on SuiteSparse).
Every study function takes its sizes as arguments so a notebook can run a reduced grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from labkit.sam import synthetic
from labkit.sam.expressions import SPMSPM_DATAFLOWS
from labkit.sam.generate import random_tensor
from labkit.sam.run import run_expression

# Fig. 11 (study-apps: size=2000, nnz 400 for runs/blocks; the artifact's split factors)
FIG11 = {"n": 2000, "nnz": 400,
         "sparsities": (0.2, 0.6, 0.8, 0.9, 0.95, 0.975, 0.9875, 0.99375),
         "lengths": (1, 2, 5, 10, 20, 30, 40, 50, 75, 100, 200, 300, 400),
         "split_factors": (16, 32, 64, 256, 512)}
# Fig. 12 (generate_synthetics.sh: B i x k = 250 x 100, C k x j = 100 x 250, sparsity 0.95)
FIG12 = {"b_shape": (250, 100), "c_shape": (100, 250), "sparsity": 0.95}
# Fig. 13 (fusion-study: B is Fig. 12's B; C is 250 x K, D is K x 100)
FIG13 = {"b_shape": (250, 100), "sparsity": 0.95, "ks": (1, 10, 100)}
# Fig. 14 (five small, five median, five large SuiteSparse matrices)
FIG14 = {"per_group": 5}

# Fig. 11 format variants: level formats of the vector (one level) or of its split (two)
VECTOR_FORMATS = {"uncompressed": ("d", False), "compressed": ("c", False),
                  "skip": ("c", True)}
SPLIT_FORMATS = {"split-compressed": "cc", "split-bitvector": "cb", "bittree": "bb"}
FIG11_PATTERNS = ("uniform", "runs", "blocks")


def vector_pair(pattern: str, setting, n: int, nnz: int, seed: int = 0):
    """Fig. 11's input pair: ``setting`` is the sparsity (uniform) or run/block length."""
    if pattern == "uniform":
        return synthetic.uniform_pair(n, setting, seed)
    if pattern == "runs":
        return synthetic.runs_pair(n, int(setting), nnz, seed)
    if pattern == "blocks":
        return synthetic.blocks_pair(n, int(setting), nnz, seed)
    from labkit.lab.errors import InputError
    raise InputError(f"vector pattern {pattern!r}: one of {FIG11_PATTERNS}")


def _format_runs(b, c, split_factors):
    """(format, split factor, result) for every Fig. 11 variant on one pair."""
    for name, (fmt, skip) in VECTOR_FORMATS.items():
        yield name, 0, run_expression("x(i)=b(i)*c(i)", {"b": b, "c": c},
                                      {"b": fmt, "c": fmt}, "i", skip=skip)
    for sf in split_factors:
        t = {"B": synthetic.split(b, sf), "C": synthetic.split(c, sf)}
        for name, fmt in SPLIT_FORMATS.items():
            yield name, sf, run_expression("X(i,j)=B(i,j)*C(i,j)", t, {"B": fmt, "C": fmt}, "ij")


def vector_formats(settings: dict, split_factors=FIG11["split_factors"], n: int = FIG11["n"],
                   nnz: int = FIG11["nnz"], seed: int = 0) -> pd.DataFrame:
    """Vector element-wise multiply in every format; ``settings`` maps a pattern to its
    sparsities (uniform) or lengths (runs, blocks)."""
    rows = []
    for pattern, values in settings.items():
        for value in values:
            b, c = vector_pair(pattern, value, n, nnz, seed)
            for fmt, sf, res in _format_runs(b, c, split_factors):
                rows.append({"pattern": pattern, "setting": value, "format": fmt,
                             "split_factor": sf, "cycles": int(res.sim.cycles),
                             "nnz_b": int(np.count_nonzero(b)),
                             "matches_gold": bool(res.matches_gold)})
    return pd.DataFrame(rows)


def best_split(frame: pd.DataFrame) -> pd.DataFrame:
    """Per pattern, setting and format, the row with the fewest cycles over split factors."""
    idx = frame.groupby(["pattern", "setting", "format"]).cycles.idxmin()
    return frame.loc[idx].reset_index(drop=True)


def dataflow_orders(b_shape=FIG12["b_shape"], c_shape=FIG12["c_shape"],
                    sparsity: float = FIG12["sparsity"], seed: int = 0) -> pd.DataFrame:
    """SpM*SpM ``X=B C`` in all six loop orders, both operands compressed (stored in the
    order the loops visit them, as the artifact's reorder study does)."""
    t = {"B": random_tensor(b_shape, 1 - sparsity, seed),
         "C": random_tensor(c_shape, 1 - sparsity, seed + 1)}
    rows = []
    for order, flow in SPMSPM_DATAFLOWS.items():
        res = run_expression("X(i,j)=B(i,k)*C(k,j)", t, {"B": "cc", "C": "cc"}, order)
        rows.append({"order": order, "dataflow": flow.replace(" (T)", ""),
                     "cycles": int(res.sim.cycles), "matches_gold": bool(res.matches_gold)})
    return pd.DataFrame(rows)


def sddmm_fusion(ks=FIG13["ks"], b_shape=FIG13["b_shape"], sparsity: float = FIG13["sparsity"],
                 seed: int = 0) -> pd.DataFrame:
    """SDDMM ``X=B*(C D)`` for each inner dimension K: unfused (``T=C D`` dense, then
    ``B*T``), one fused graph by coiteration, one fused with locate into C and D."""
    rows = []
    b = random_tensor(b_shape, 1 - sparsity, seed)
    dense = {"C": "dd", "D": "dd"}
    for k in ks:
        rng = np.random.default_rng(seed + k)
        c, d = rng.random((b_shape[0], k)) + 1, rng.random((k, b_shape[1])) + 1
        t = {"B": b, "C": c, "D": d}
        first = run_expression("T(i,j)=C(i,k)*D(k,j)", {"C": c, "D": d}, dense, "ijk")
        second = run_expression("X(i,j)=B(i,j)*T(i,j)", {"B": b, "T": first.output},
                                {"B": "cc", "T": "dd"}, "ij")
        expr = "X(i,j)=B(i,j)*C(i,k)*D(k,j)"
        fused = run_expression(expr, t, {"B": "cc", **dense}, "ijk")
        located = run_expression(expr, t, {"B": "cc", **dense}, "ijk", locate=True)
        for variant, cycles, ok in (
                ("unfused", first.sim.cycles + second.sim.cycles,
                 first.matches_gold and second.matches_gold),
                ("coiteration", fused.sim.cycles, fused.matches_gold),
                ("locate", located.sim.cycles, located.matches_gold)):
            rows.append({"K": k, "variant": variant, "cycles": int(cycles),
                         "matches_gold": bool(ok)})
    return pd.DataFrame(rows)


def pick_by_size(nnz: dict, per_group: int = FIG14["per_group"]) -> dict:
    """Matrix name -> ``small``/``median``/``large``: the ``per_group`` fewest, middle and
    most nonzeros (all of them, as ``small``... in order, when there are too few)."""
    names = sorted(nnz, key=lambda m: (nnz[m], m))
    if len(names) <= 3 * per_group:
        third = -(-len(names) // 3)
        return {m: ("small", "median", "large")[i // third] for i, m in enumerate(names)}
    mid = len(names) // 2 - per_group // 2
    groups = {"small": names[:per_group], "median": names[mid:mid + per_group],
              "large": names[-per_group:]}
    return {m: g for g, ms in groups.items() for m in ms}


def stream_breakdown(matrices: dict) -> pd.DataFrame:
    """Fig. 14: the identity ``X(i,j)=B(i,j)`` (B compressed at both levels) on each
    matrix; per scanner output stream (outer ``Bi``, inner ``Bj``) the tokens by kind and
    the idle cycles (cycles the stream carried no token), one row per stream and kind."""
    from labkit.sam.kernels import count_tokens

    rows = []
    for name, b in matrices.items():
        res = run_expression("X(i,j)=B(i,j)", {"B": b}, {"B": "cc"}, "ij")
        sim = res.sim
        scanners = [n for n in sim.graph.nodes if n.prim.kind == "level_scanner"]
        for level, node in zip(("Bi", "Bj"), scanners):
            coords, stop, empty, done = count_tokens(sim.streams[(node.id, "crd")].tok)
            idle = max(0, int(sim.cycles) - (coords + stop + empty + done))
            for kind, count in (("data", coords), ("stop", stop), ("empty", empty),
                                ("done", done), ("idle", idle)):
                rows.append({"matrix": name, "nnz": int(b.nnz), "stream": level,
                             "kind": kind, "count": int(count), "cycles": int(sim.cycles),
                             "matches_gold": bool(res.matches_gold)})
    frame = pd.DataFrame(rows)
    frame["share"] = frame["count"] / frame.groupby(["matrix", "stream"])["count"].transform("sum")
    return frame


# ---- what each figure shows, as measured values (the notebooks' claims check these) ----

def _wins(frame, pattern, keep, faster, slower):
    """Per setting kept by ``keep``: ``faster`` cycles / ``slower`` cycles (best split)."""
    best = best_split(frame[frame.pattern == pattern])
    table = best.pivot_table(index="setting", columns="format", values="cycles")
    table = table[keep(table.index)]
    return (table[faster] / table[slower]).to_dict()


def fig11_findings(frame: pd.DataFrame) -> dict:
    """Fig. 11's comparisons: speedups and per-setting cycle ratios (< 1: first faster)."""
    uniform = best_split(frame[frame.pattern == "uniform"]).pivot_table(
        index="setting", columns="format", values="cycles")
    sparsest = uniform.index.max()
    out = {"sparsest": float(sparsest),
           "compressed_speedup_sparsest": float(uniform.loc[sparsest, "uncompressed"]
                                                / uniform.loc[sparsest, "compressed"]),
           "bitvector_over_compressed_dense": _wins(frame, "uniform", lambda s: s <= 0.8,
                                                    "split-bitvector", "compressed"),
           "skip_over_compressed_runs": _wins(frame, "runs", lambda s: s >= 10, "skip",
                                              "compressed"),
           "bittree_over_compressed_blocks": _wins(frame, "blocks", lambda s: s >= 10,
                                                   "bittree", "compressed"),
           "all_match_gold": bool(frame.matches_gold.all())}
    for key in ("bitvector_over_compressed_dense", "skip_over_compressed_runs",
                "bittree_over_compressed_blocks"):
        out[key.replace("_over_", "_beats_")] = bool(out[key]) and all(
            r < 1 for r in out[key].values())
    return out


def fig12_findings(frame: pd.DataFrame) -> dict:
    """Fig. 12: whether both inner-product orders are slower than every other order."""
    cyc = frame.set_index("order")["cycles"]
    inner = cyc[["ijk", "jik"]]
    others = cyc.drop(["ijk", "jik"])
    return {"inner_product_slowest": bool(inner.min() > others.max()),
            "inner_over_fastest": float(inner.min() / cyc.min()),
            "fastest_order": str(cyc.idxmin()),
            "six_orders_match_gold": bool(len(cyc) == 6 and frame.matches_gold.all())}


def fig13_findings(frame: pd.DataFrame) -> dict:
    """Fig. 13: fused against unfused and locate against coiteration, per K."""
    p = frame.pivot_table(index="K", columns="variant", values="cycles")
    fused = p[["coiteration", "locate"]].min(axis=1)
    return {"fused_speedup": (p["unfused"] / fused).to_dict(),
            "coiteration_speedup_k1": float(p["unfused"].iloc[0] / p["coiteration"].iloc[0]),
            "locate_over_coiteration": (p["locate"] / p["coiteration"]).to_dict(),
            "fused_beats_unfused": bool((fused < p["unfused"]).all()),
            "locate_no_slower": bool((p["locate"] <= p["coiteration"]).all()),
            "all_match_gold": bool(frame.matches_gold.all())}


def fig14_findings(frame: pd.DataFrame) -> dict:
    """Fig. 14: median shares of data tokens (inner stream) and idle cycles (outer)."""
    share = frame.pivot_table(index=["matrix", "stream"], columns="kind", values="share")
    inner, outer = share.xs("Bj", level="stream"), share.xs("Bi", level="stream")
    return {"inner_data_median": float(inner["data"].median()),
            "inner_data_min": float(inner["data"].min()),
            "inner_data_min_matrix": str(inner["data"].idxmin()),
            "outer_idle_median": float(outer["idle"].median()),
            "matrices": int(len(inner)), "all_match_gold": bool(frame.matches_gold.all())}
