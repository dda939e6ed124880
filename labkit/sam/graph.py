"""The SAM graph: primitives as nodes, streams as edges between named ports.

Built only by the compiler (:mod:`labkit.sam.custard`).  It counts its primitives (the
paper's Table 1), exports Graphviz DOT, and draws itself as text, so notebooks need no
Graphviz binary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from labkit.sam.primitives import Primitive

TABLE1_KINDS = ("level_scanner", "repeater", "repeat_sig_gen", "intersecter", "unioner",
                "alu", "reducer", "sparse_accumulator", "crd_drop", "crd_hold", "stop_drop",
                "array", "locate", "level_writer", "vals_writer")


@dataclass
class Node:
    id: int
    prim: Primitive
    ins: dict = field(default_factory=dict)   # port -> (node id, port)


class Graph:
    """A dataflow graph of SAM primitives with named ports."""

    def __init__(self, name: str = "sam"):
        self.name = name
        self.nodes: list[Node] = []
        self.meta: dict = {}

    def add(self, prim: Primitive, **ins) -> int:
        """Add a primitive; ``ins`` maps its input ports to ``(node, port)`` sources."""
        missing = set(prim.inputs) - set(ins)
        extra = set(ins) - set(prim.inputs)
        if missing or extra:
            raise ValueError(f"{prim.label()}: ports missing {sorted(missing)} extra {sorted(extra)}")
        node = Node(len(self.nodes), prim, dict(ins))
        self.nodes.append(node)
        return node.id

    def edges(self):
        """``(src, src_port, dst, dst_port)`` for every stream."""
        for node in self.nodes:
            for port, (src, sport) in node.ins.items():
                yield src, sport, node.id, port

    def counts(self) -> dict:
        """Primitive counts by kind (Table 1), roots excluded."""
        c = Counter(n.prim.kind for n in self.nodes if n.prim.counted)
        return {k: c[k] for k in TABLE1_KINDS if c[k]}

    def to_dot(self) -> str:
        """Graphviz DOT text (render with any Graphviz, or read it as is)."""
        lines = [f'digraph "{self.name}" {{', "  rankdir=TB;",
                 '  node [shape=box, style="rounded,filled", fillcolor="#eef3fa", fontsize=10];']
        for n in self.nodes:
            shape = ', shape=plaintext, fillcolor=white' if not n.prim.counted else ""
            lines.append(f'  n{n.id} [label="{n.prim.label()}"{shape}];')
        for src, sport, dst, dport in self.edges():
            lines.append(f'  n{src} -> n{dst} [label="{sport}>{dport}", fontsize=8];')
        lines.append("}")
        return "\n".join(lines)

    def to_text(self) -> str:
        """One line per primitive with its inputs, in topological order."""
        out = []
        for n in self.nodes:
            srcs = ", ".join(f"{p}<-#{s}.{sp}" for p, (s, sp) in n.ins.items())
            out.append(f"#{n.id:<3} {n.prim.label():<34} {srcs}")
        return "\n".join(out)

    def frame(self):
        """Nodes and edges as tidy DataFrames ``(nodes, edges)`` (for altair drawings)."""
        import pandas as pd

        depth = {}
        for n in self.nodes:
            depth[n.id] = 1 + max((depth[s] for s, _ in n.ins.values()), default=-1)
        nodes = pd.DataFrame([{"id": n.id, "kind": n.prim.kind, "label": n.prim.label(),
                               "depth": depth[n.id]} for n in self.nodes])
        nodes["slot"] = nodes.groupby("depth").cumcount()
        edges = pd.DataFrame(list(self.edges()), columns=["src", "src_port", "dst", "dst_port"])
        return nodes, edges

    def __repr__(self):
        return f"Graph({self.name!r}, {len(self.nodes)} nodes, {self.counts()})"
