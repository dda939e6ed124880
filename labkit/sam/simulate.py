"""Run a SAM graph on bound tensors: functional (results) or cycle-approximate.

Primitives fire in topological order, each over whole streams; in cycle mode every token
also carries the cycle it leaves its producer (one token per port per cycle, unbounded
FIFOs), so ``cycles`` is when the last output token reaches the writers.  A stream that
runs dry or disagrees with its partner is a deadlock: :class:`SimulationDeadlock` names
the blocked primitive and port instead of spinning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from labkit.lab.errors import InputError
from labkit.sam import primitives as P
from labkit.sam.fibers import StreamMismatch, to_coo
from labkit.sam.formats import as_tensor, from_coo


class SimulationDeadlock(InputError):
    """The graph cannot finish: the message names the blocked primitives."""


@dataclass
class Simulation:
    """Everything one run produced."""

    output: object                 # Tensor (or float for a scalar output)
    cycles: int
    wall_s: float
    streams: dict = field(repr=False, default_factory=dict)
    graph: object = field(repr=False, default=None)
    tokens: dict = field(default_factory=dict)

    def token_counts(self) -> dict:
        """Tokens on every stream by kind: coords (data), stop, empty, done."""
        return dict(self.tokens)

    def stats(self):
        """One row per primitive: kind, label, tokens out, first and last busy cycle."""
        import pandas as pd

        rows = []
        for node in self.graph.nodes:
            outs = [s for (nid, _), s in self.streams.items() if nid == node.id]
            ins = [self.streams[src] for src in node.ins.values()]
            times = [s.t for s in outs + ins if s.t is not None and len(s.t)]
            rows.append({"node": node.id, "kind": node.prim.kind, "label": node.prim.label(),
                         "tokens_in": sum(len(s) for s in ins),
                         "tokens_out": sum(len(s) for s in outs),
                         "first_cycle": int(min(t.min() for t in times)) if times else 0,
                         "last_cycle": int(max(t.max() for t in times)) if times else 0})
        return pd.DataFrame(rows)

    def trace(self, bins: int = 50):
        """Per-cycle activity: tokens emitted per primitive kind in ``bins`` cycle windows."""
        import pandas as pd

        width = max(1, -(-max(self.cycles, 1) // bins))
        rows = []
        for (nid, port), s in self.streams.items():
            kind = self.graph.nodes[nid].prim.kind
            if s.t is None or not len(s.t):
                continue
            counts = np.bincount(s.t // width)
            for b in np.flatnonzero(counts):
                rows.append({"cycle": int(b * width), "kind": kind, "tokens": int(counts[b])})
        frame = pd.DataFrame(rows, columns=["cycle", "kind", "tokens"])
        return frame.groupby(["cycle", "kind"], as_index=False)["tokens"].sum()


def bind(program, tensors: dict) -> dict:
    """Convert the user's tensors to the formats and mode orders the program needs."""
    st = program.statement
    env, dims = {}, {}
    for acc in st.accesses:
        if acc.name not in tensors:
            raise InputError(f"tensor {acc.name} of {st.text!r} was not given")
        obj = tensors[acc.name]
        if not acc.indices:
            value = np.asarray(obj.to_numpy() if hasattr(obj, "to_numpy") else obj, dtype=float)
            if value.size != 1:
                raise InputError(f"tensor {acc.name} is a scalar in {st.text!r} but has shape {value.shape}")
            env[acc.key] = from_coo(np.zeros((1, 0)), value.ravel(), (), "", None, acc.key)
            continue
        t = as_tensor(obj, program.formats[acc.key], program.mode_orders[acc.key], acc.key)
        if t.order != len(acc.indices):
            raise InputError(f"tensor {acc.name} has {t.order} modes but {st.text!r} indexes it "
                             f"with {len(acc.indices)}")
        for i, d in zip(acc.indices, t.shape):
            if dims.setdefault(i, (d, acc.name))[0] != d:
                raise InputError(f"index {i}: dimension {d} of {acc.name} does not match "
                                 f"{dims[i][0]} of {dims[i][1]}")
        env[acc.key] = t
    env["__dims__"] = {i: d for i, (d, _) in dims.items()}
    return env


def simulate(program, tensors: dict, mode: str = "cycle") -> Simulation:
    """Run ``program`` on ``tensors`` (name -> numpy/scipy/sparse/Tensor)."""
    if mode not in ("cycle", "functional"):
        raise InputError(f"simulation mode {mode!r}: use 'cycle' or 'functional'")
    env = bind(program, tensors)
    return execute(program, env, mode)


def execute(program, env: dict, mode: str = "cycle") -> Simulation:
    """Fire every primitive of ``program.graph`` on already bound tensors."""
    from labkit.sam.kernels import count_tokens

    start = time.perf_counter()
    graph = program.graph
    streams = {}
    level_streams, val_stream, done = [], None, 0
    tokens = {"coords": 0, "stop": 0, "empty": 0, "done": 0}
    for node in graph.nodes:
        ins = {port: streams[src] for port, src in node.ins.items()}
        try:
            outs = node.prim.fire(ins, env)
        except StreamMismatch as exc:
            src = node.ins.get(exc.port)
            blocker = f" (fed by #{src[0]} {graph.nodes[src[0]].prim.label()})" if src else ""
            raise SimulationDeadlock(f"deadlock: #{node.id} {node.prim.label()} is blocked: "
                                     f"{exc}{blocker}") from None
        for port, s in outs.items():
            streams[(node.id, port)] = s
            for kind, n in zip(tokens, count_tokens(s.tok)):
                tokens[kind] += n
        if isinstance(node.prim, (P.LevelWriter, P.ValsWriter)):
            written = ins["crd"] if isinstance(node.prim, P.LevelWriter) else ins["val"]
            if isinstance(node.prim, P.LevelWriter):
                level_streams.append(written)
            else:
                val_stream = written
            done = max(done, int(written.t[-1]) + 1 if len(written.t) else 0)
    output = assemble(program, env, level_streams, val_stream)
    wall = time.perf_counter() - start
    return Simulation(output, done if mode == "cycle" else 0, wall,
                      streams if mode == "cycle" else {}, graph, tokens)


def assemble(program, env, level_streams, val_stream):
    """The output tensor from the writers' streams (level writers + values writer)."""
    st = program.statement
    coords, vals = to_coo(level_streams, val_stream)
    if not st.out_indices:
        return float(vals.sum())
    dims = env["__dims__"]
    natural = np.empty_like(coords)
    for k, idx in enumerate(program.out_levels):
        natural[:, st.out_indices.index(idx)] = coords[:, k]
    shape = tuple(dims[i] for i in st.out_indices)
    return from_coo(natural, vals, shape, program.out_format, None, st.out)
