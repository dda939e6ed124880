"""Table 1 against the SAM artifact: primitive counts of the graphs its own compiler wrote.

The artifact (github.com/weiya711/sam) compiled its kernels with its TACO fork
(``compiler/sam-kernels.sh``) into Graphviz files under ``compiler/sam-outputs/dot/``.
``reference/sam_artifact_table1.csv`` records, per graph, the expression, formats and loop
order it was compiled from and its primitive counts in labkit's Table 1 kinds (produced by
``benchmarks/peers/sam_artifact_table1.py`` with :func:`count_dot`).  :func:`compare`
compiles the same expressions with labkit and lists every difference.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from labkit.sam.graph import TABLE1_KINDS

REFERENCE_CSV = Path(__file__).parent / "reference" / "sam_artifact_table1.csv"

# the artifact's DOT node ``type`` -> labkit's Table 1 kind (None: a wire, not a primitive)
DOT_KINDS = {"fiberlookup": "level_scanner", "repeat": "repeater",
             "repsiggen": "repeat_sig_gen", "intersect": "intersecter", "union": "unioner",
             "add": "alu", "sub": "alu", "mul": "alu", "div": "alu", "reduce": "reducer",
             "spaccumulator": "sparse_accumulator", "crddrop": "crd_drop",
             "crdhold": "crd_hold", "arrayvals": "array", "locate": "locate",
             "broadcast": None}

# a node statement ``id [attrs]``; a label may hold a raw newline, so match across lines
_NODE = re.compile(r"^\s*\w+\s*\[(.*?)\]\s*$", re.M | re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def count_dot(text: str) -> dict:
    """Primitive counts (labkit kinds) of one artifact DOT graph; edges and wires skipped."""
    counts: Counter = Counter()
    for m in _NODE.finditer(text):
        attrs = dict(_ATTR.findall(m.group(1)))
        kind = attrs.get("type")
        if kind == "fiberwrite":
            counts["vals_writer" if attrs.get("mode") == "vals" else "level_writer"] += 1
        elif kind in DOT_KINDS:
            if DOT_KINDS[kind]:
                counts[DOT_KINDS[kind]] += 1
        elif kind is not None:
            raise ValueError(f"artifact DOT node type {kind!r} has no labkit kind")
    return {k: counts[k] for k in TABLE1_KINDS if counts[k]}


def reference() -> pd.DataFrame:
    """The recorded artifact counts (long format: one row per graph and primitive)."""
    return pd.read_csv(REFERENCE_CSV, comment="#", keep_default_na=False)


def _formats(text: str) -> dict:
    """``"B:cc;C:dd"`` -> ``{"B": "cc", "C": "dd"}`` (labkit letters, storage order)."""
    return dict(item.split(":") for item in text.split(";") if item)


def compare(ref: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per graph and Table 1 kind: the artifact's count, labkit's, and the difference."""
    from labkit.sam.custard import compile_expr

    ref = reference() if ref is None else ref
    rows = []
    for (graph, kernel, expr, fmts, order), part in ref.groupby(
            ["graph", "kernel", "expr", "formats", "order"], sort=False):
        ours = compile_expr(expr, _formats(fmts), order or None).graph.counts()
        theirs = dict(zip(part.primitive, part["count"]))
        for kind in TABLE1_KINDS:
            a, b = int(theirs.get(kind, 0)), int(ours.get(kind, 0))
            if a or b:
                rows.append({"graph": graph, "kernel": kernel, "expr": expr, "primitive": kind,
                             "artifact": a, "labkit": b, "difference": b - a})
    return pd.DataFrame(rows)


def differences(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the rows where labkit's count differs from the artifact's."""
    return frame[frame.difference != 0].reset_index(drop=True)
