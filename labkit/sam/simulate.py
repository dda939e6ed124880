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
from labkit.sam.formats import Level, Tensor, as_tensor, from_coo
from labkit.sam.tokens import DONE, Stream


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
    if mode == "functional":
        fast = _functional(program, env)
        if fast is not None:
            output, tokens = fast
            return Simulation(output, 0, time.perf_counter() - start, {}, graph, tokens)
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


def _encoded(program, env):
    """The program encoded against these bound tensors plus its reusable arena, cached in
    ``env`` (the encoding packs the tensors' level arrays; redone if a tensor is replaced).
    """
    key = (id(program),) + tuple(id(env.get(a.key)) for a in program.statement.accesses)
    cache = env.setdefault("__encoded__", {})
    if key not in cache:
        from labkit.sam import functional as F

        try:
            enc = F.encode(program, env)
        except F.Unsupported:
            enc = None
        if enc is not None:
            size = 4 * (len(enc[1]) + len(enc[2])) + 1024
            st = program.statement
            compressed = (list(program.out_levels) == list(st.out_indices)
                          and bool(st.out_indices) and set(program.out_format) == {"c"})
            dims = [env["__dims__"][i] for i in st.out_indices]
            # the entry holds the program and tensors, so their ids in the key stay theirs
            held = (program,) + tuple(env.get(a.key) for a in st.accesses)
            enc = [enc, np.empty(size, np.int64), np.empty(size, np.float64), F, compressed,
                   dims, held]
        cache[key] = enc
    return cache[key]


def _functional(program, env):
    """``(output, token counts)`` from the single compiled call of functional mode, or
    None when the graph needs the per-primitive path (unsupported parts, or any stream
    mismatch, which that path diagnoses)."""
    enc = _encoded(program, env)
    if enc is None:
        return None
    F, compressed, dims = enc[3], enc[4], enc[5]
    st = program.statement
    while True:
        status, counts, a, a_off, b, b_off, vals = F.run(*enc[0], enc[1], enc[2], compressed)
        if status != F.GROW or len(enc[1]) > 1 << 31:
            break
        enc[1] = np.empty(2 * len(enc[1]), np.int64)
        enc[2] = np.empty(2 * len(enc[2]), np.float64)
    if status:
        return None
    c = counts.tolist()
    tokens = {"coords": c[0], "stop": c[1], "empty": c[2], "done": c[3]}
    if not st.out_indices:
        return float(vals.sum()), tokens
    if compressed and len(b_off):
        levels = [Level("c", d, seg=a[a_off[q]:a_off[q + 1]], crd=b[b_off[q]:b_off[q + 1]])
                  for q, d in enumerate(dims)]
        return Tensor(st.out, tuple(dims), program.out_format, tuple(range(len(dims))), levels,
                      vals), tokens
    streams = [Stream(a[a_off[q]:a_off[q + 1]]) for q in range(len(a_off) - 1)]
    val_tok = np.zeros(len(vals) + 1, np.int64)
    val_tok[-1] = DONE
    return assemble(program, env, streams, Stream(val_tok, np.append(vals, 0.0))), tokens


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
