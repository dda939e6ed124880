"""Graphs and study results as altair charts (no Graphviz binary needed)."""

from __future__ import annotations

import altair as alt
import pandas as pd


def graph_chart(graph, stats: pd.DataFrame | None = None, width: int = 640) -> alt.LayerChart:
    """The SAM graph laid out by depth (rows) with one box per primitive, coloured by
    kind; with ``stats`` the tooltip shows each primitive's tokens and busy cycles."""
    nodes, edges = graph.frame()
    if stats is not None:
        nodes = nodes.merge(stats[["node", "tokens_out", "last_cycle"]], left_on="id",
                            right_on="node", how="left")
    width_of = nodes.groupby("depth")["slot"].transform("max") + 1
    nodes["x"] = (nodes["slot"] + 0.5) / width_of
    nodes["y"] = nodes["depth"]
    pos = nodes.set_index("id")[["x", "y"]]
    if len(edges):
        edges = edges.join(pos, on="src").join(pos.rename(columns={"x": "x2", "y": "y2"}), on="dst")
    lines = alt.Chart(edges).mark_rule(color="#9aa5b1").encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None, scale=alt.Scale(reverse=True)),
        x2="x2:Q", y2="y2:Q")
    tips = ["label:N", "kind:N"] + (["tokens_out:Q", "last_cycle:Q"] if stats is not None else [])
    boxes = alt.Chart(nodes).mark_point(shape="square", size=300, filled=True).encode(
        x="x:Q", y="y:Q", color=alt.Color("kind:N", legend=alt.Legend(title="primitive"),
                    scale=alt.Scale(scheme="tableau20")),
        tooltip=tips)
    text = alt.Chart(nodes).mark_text(dy=14, fontSize=9).encode(x="x:Q", y="y:Q", text="label:N")
    height = 40 * (int(nodes["depth"].max()) + 1)
    return (lines + boxes + text).properties(width=width, height=height, title=graph.name)


def cycles_chart(frame: pd.DataFrame, x: str, color: str, title: str, log_x: bool = False):
    """Cycles against ``x``, one line per ``color`` (log-scaled cycles)."""
    xs = alt.X(f"{x}:Q", scale=alt.Scale(type="log") if log_x else alt.Scale())
    return alt.Chart(frame).mark_line(point=True).encode(
        x=xs, y=alt.Y("cycles:Q", scale=alt.Scale(type="log")), color=f"{color}:N",
        tooltip=list(frame.columns)).properties(title=title)


def activity_chart(trace: pd.DataFrame, title: str = "activity per cycle window"):
    """Tokens emitted per cycle window, stacked by primitive kind (the per-cycle trace)."""
    return alt.Chart(trace).mark_area().encode(
        x=alt.X("cycle:Q"), y=alt.Y("tokens:Q", stack="zero"),
        color=alt.Color("kind:N", scale=alt.Scale(scheme="tableau20")),
        tooltip=["cycle", "kind", "tokens"]).properties(title=title)
