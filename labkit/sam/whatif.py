"""The what-if dashboard's two plain functions: ``compute`` runs an expression on a chosen
matrix (or random tensors) and ``chart`` draws the graph with its statistics."""

from __future__ import annotations

import altair as alt
import pandas as pd

from labkit.lab.errors import InputError


def parse_formats(text: str) -> dict:
    """``"B=cc, c=d"`` -> ``{"B": "cc", "c": "d"}``."""
    out = {}
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(f"formats {text!r}: expected NAME=LEVELS pairs separated by commas")
        name, levels = part.split("=", 1)
        out[name.strip()] = levels.strip()
    return out


def inputs_for(expr: str, matrix: str, size: int, density: float, seed: int = 0) -> dict:
    """Tensors for ``expr``: the first 2-D tensor is ``matrix`` (a SuiteSparse name) unless
    ``matrix == "random"``; every other tensor is random with ``density``."""
    from labkit.lab.data import locate
    from labkit.sam.generate import random_tensor
    from labkit.sam.mtx import load
    from labkit.sam.notation import parse

    st = parse(expr)
    dims, tensors = {}, {}
    if matrix != "random":
        first = next((a for a in st.accesses if len(a.indices) == 2), None)
        if first is None:
            raise InputError(f"expression {expr!r} has no matrix to replace with {matrix}")
        tensors[first.name] = load(locate(f"suitesparse/{matrix}.mtx"), name=first.name)
        dims.update(zip(first.indices, tensors[first.name].shape))
    for k, a in enumerate(st.accesses):
        if a.name in tensors:
            continue
        if not a.indices:
            tensors[a.name] = 2.0
            continue
        shape = tuple(dims.setdefault(i, size) for i in a.indices)
        tensors[a.name] = random_tensor(shape, density, seed + k)
    return tensors


def compute(expr: str, formats: str = "", order: str = "", matrix: str = "random",
            size: int = 40, density: float = 0.1, locate: bool = False,
            skip: bool = False) -> pd.DataFrame:
    """Per-primitive statistics of one checked run; ``frame.attrs`` holds the summary and
    the graph."""
    from labkit.sam.run import run_expression

    tensors = inputs_for(expr, matrix, size, density)
    res = run_expression(expr, tensors, parse_formats(formats), order or None,
                         locate=locate, skip=skip)
    frame = res.sim.stats()
    frame.attrs["summary"] = res.summary()
    frame.attrs["graph"] = res.program.graph
    frame.attrs["trace"] = res.sim.trace()
    return frame


def chart(frame: pd.DataFrame):
    """The graph (boxes coloured by primitive kind, tooltips with tokens and cycles) beside
    the stream-token counts; the title carries cycles and the gold check."""
    from labkit.sam.draw import graph_chart

    s = frame.attrs["summary"]
    tokens = pd.DataFrame({"kind": list(s["tokens"]), "tokens": list(s["tokens"].values())})
    bars = alt.Chart(tokens).mark_bar().encode(x="tokens:Q", y=alt.Y("kind:N", sort=None),
                                              tooltip=["kind", "tokens"]).properties(
        width=200, title="stream tokens")
    g = graph_chart(frame.attrs["graph"], frame, width=520).properties(
        title=f"{frame.attrs['graph'].name}: {s['cycles']} cycles, "
              f"matches gold: {s['matches_gold']}, result nnz {s['result_nnz']}")
    return alt.hconcat(g, bars)
