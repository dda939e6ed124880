"""Simulated cycles per second: labkit's whole-stream cycle-approximate simulator against a
straightforward per-cycle Python simulator of the same primitives (written here as the
peer, in the style of SAM's artifact: one ``tick()`` per primitive per cycle, token by
token, FIFOs between them).  Both run the same compiled graph on the same inputs; the
results are cross-checked.  Target: labkit >= 20x more simulated cycles per second.

    python benchmarks/bench_sam_simulator.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections import deque

import numpy as np

from labkit.lab import locate
from labkit.sam import primitives as P
from labkit.sam.custard import compile_expr
from labkit.sam.generate import run_vector
from labkit.sam.mtx import load
from labkit.sam.simulate import bind, execute


# ---------------------------------------------------------------- the per-cycle peer --
class Fifo:
    """A FIFO whose pushes become visible next cycle (one cycle per hop)."""

    def __init__(self):
        self.q, self.incoming = deque(), []

    def push(self, tok):
        self.incoming.append(tok)

    def flush(self):
        self.q.extend(self.incoming)
        self.incoming.clear()


def is_stop(tok):
    return isinstance(tok, str) and tok[0] == "S"


class Node:
    def __init__(self):
        self.ins, self.outs = {}, {}

    def emit(self, port, tok):
        for f in self.outs.get(port, ()):
            f.push(tok)

    def head(self, port):
        q = self.ins[port].q
        return q[0] if q else None

    def pop(self, port):
        return self.ins[port].q.popleft()


class Root(Node):
    def __init__(self):
        super().__init__()
        self.left = [0, "D"]

    def tick(self):
        if not self.left:
            return False
        self.emit("ref", self.left.pop(0))
        return True


class Scan(Node):
    def __init__(self, level):
        super().__init__()
        self.lv, self.fiber = level, None

    def tick(self):
        if self.fiber is not None:
            lo, hi, base = self.fiber
            if lo < hi:
                c = lo if self.lv.fmt == "d" else int(self.lv.crd[lo])
                ref = base * self.lv.dim + lo if self.lv.fmt == "d" else lo
                self.emit("crd", c)
                self.emit("ref", ref)
                self.fiber = (lo + 1, hi, base)
                return True
            nxt = self.head("ref")
            if nxt is None:
                return False
            if is_stop(nxt):
                self.pop("ref")
                tok = f"S{int(nxt[1:]) + 1}"
            else:
                tok = "S0"
            self.emit("crd", tok)
            self.emit("ref", tok)
            self.fiber = None
            return True
        tok = self.head("ref")
        if tok is None:
            return False
        self.pop("ref")
        if tok == "D":
            self.emit("crd", "D")
            self.emit("ref", "D")
        elif tok == "N":
            self.fiber = (0, 0, 0)
        elif isinstance(tok, int):
            if self.lv.fmt == "d":
                self.fiber = (0, self.lv.dim, tok)
            else:
                self.fiber = (int(self.lv.seg[tok]), int(self.lv.seg[tok + 1]), tok)
        return True


class RepSig(Node):
    def tick(self):
        tok = self.head("crd")
        if tok is None:
            return False
        self.pop("crd")
        self.emit("sig", tok if isinstance(tok, str) else "R")
        return True


class Repeat(Node):
    def __init__(self):
        super().__init__()
        self.cur = None

    def tick(self):
        if self.cur is None:
            tok = self.head("ref")
            if tok is None:
                return False
            if tok == "D":
                if self.head("sig") is None:
                    return False
                self.pop("ref")
                self.pop("sig")
                self.emit("ref", "D")
                return True
            self.pop("ref")
            if not is_stop(tok):
                self.cur = tok
            return True
        s = self.head("sig")
        if s is None:
            return False
        self.pop("sig")
        if s == "R":
            self.emit("ref", self.cur)
        else:
            self.emit("ref", s)
            self.cur = None
        return True


class Intersect(Node):
    def tick(self):
        a, b = self.head("crd0"), self.head("crd1")
        if a is None or b is None:
            return False
        ia, ib = isinstance(a, int), isinstance(b, int)
        if ia and ib:
            if a == b:
                self.emit("crd", a)
                self.emit("ref0_0", self.pop("ref0_0"))
                self.emit("ref1_0", self.pop("ref1_0"))
                self.pop("crd0")
                self.pop("crd1")
            elif a < b:
                self.pop("crd0")
                self.pop("ref0_0")
            else:
                self.pop("crd1")
                self.pop("ref1_0")
        elif ia:
            self.pop("crd0")
            self.pop("ref0_0")
        elif ib:
            self.pop("crd1")
            self.pop("ref1_0")
        else:
            tok = a if a == "D" or (is_stop(b) and int(a[1:]) >= int(b[1:])) else b
            for p in ("crd0", "crd1", "ref0_0", "ref1_0"):
                self.pop(p)
            for p in ("crd", "ref0_0", "ref1_0"):
                self.emit(p, tok)
        return True


class Locate(Node):
    def __init__(self, level):
        super().__init__()
        self.lv, self.parent = level, None

    def tick(self):
        if self.parent is None:
            p = self.head("ref")
            if p is None:
                return False
            self.pop("ref")
            if not isinstance(p, str) or p == "N":
                self.parent = p
            elif p == "D":
                self.parent = "D"
            return True
        c = self.head("crd")
        if c is None:
            return False
        self.pop("crd")
        if isinstance(c, int):
            self.emit("ref", self.parent * self.lv.dim + c if self.parent != "N" else "N")
        else:
            self.emit("ref", c)
            if is_stop(c):
                self.parent = None
        return True


class Array(Node):
    def __init__(self, vals):
        super().__init__()
        self.vals = vals

    def tick(self):
        tok = self.head("ref")
        if tok is None:
            return False
        self.pop("ref")
        self.emit("val", float(self.vals[tok]) if isinstance(tok, int) else
                  (0.0 if tok == "N" else tok))
        return True


class Alu(Node):
    def tick(self):
        a, b = self.head("a"), self.head("b")
        if a is None or b is None:
            return False
        if isinstance(b, str):
            self.pop("b")
        if isinstance(a, str):
            self.pop("a")
            self.emit("val", a)
        elif not isinstance(b, str):
            self.emit("val", self.pop("a") * self.pop("b"))
        return True


class Reduce(Node):
    def __init__(self, emit_empty):
        super().__init__()
        self.acc, self.seen, self.emit_empty, self.pending = 0.0, False, emit_empty, []

    def tick(self):
        if self.pending:
            self.emit("val", self.pending.pop(0))
            return True
        tok = self.head("val")
        if tok is None:
            return False
        self.pop("val")
        if isinstance(tok, float):
            self.acc += tok
            self.seen = True
        elif tok == "D":
            self.emit("val", "D")
        else:
            k = int(tok[1:])
            out = [self.acc] if self.seen or self.emit_empty else []
            if k >= 1:
                out.append(f"S{k - 1}")
            self.acc, self.seen = 0.0, False
            if out:
                self.emit("val", out[0])
                self.pending = out[1:]
        return True


class CrdDrop(Node):
    def __init__(self):
        super().__init__()
        self.buf, self.pending = [], []

    def tick(self):
        if self.pending:
            port, tok = self.pending.pop(0)
            self.emit(port, tok)
            return True
        tok = self.head("inner")
        if tok is None:
            return False
        if isinstance(tok, int):
            self.buf.append(self.pop("inner"))
            return True
        outer = self.head("outer")
        if outer is None:
            return False
        while is_stop(outer):       # outer stops pass through
            self.emit("outer", self.pop("outer"))
            outer = self.head("outer")
            if outer is None:
                return True
        self.pop("inner")
        if tok == "D":
            self.pop("outer")
            self.pending = [("outer", "D"), ("inner", "D")]
            return True
        self.pop("outer")
        if self.buf:
            self.pending = [("outer", outer)] + [("inner", c) for c in self.buf] + [("inner", tok)]
        self.buf = []
        return True


class Sink(Node):
    def __init__(self):
        super().__init__()
        self.got = []

    def tick(self):
        port = next(iter(self.ins))
        tok = self.head(port)
        if tok is None:
            return False
        self.got.append(self.pop(port))
        return True

    @property
    def done(self):
        return bool(self.got) and self.got[-1] == "D"


def build_peer(program, env):
    nodes = []
    for node in program.graph.nodes:
        p = node.prim
        if isinstance(p, P.Root):
            n = Root()
        elif isinstance(p, P.LevelScanner):
            n = Scan(env[p.tensor].levels[p.level])
        elif isinstance(p, P.RepeatSigGen):
            n = RepSig()
        elif isinstance(p, P.Repeater):
            n = Repeat()
        elif isinstance(p, P.Intersecter) and len(p.refs) == 2 and p.refs == (1, 1):
            n = Intersect()
        elif isinstance(p, P.Locate):
            n = Locate(env[p.tensor].levels[p.level])
        elif isinstance(p, P.ArrayVals):
            n = Array(env[p.tensor].vals)
        elif isinstance(p, P.ALU) and p.op == "mul" and p.const is None:
            n = Alu()
        elif isinstance(p, P.Reducer):
            n = Reduce(p.emit_empty)
        elif isinstance(p, P.CrdDrop):
            n = CrdDrop()
        elif isinstance(p, (P.LevelWriter, P.ValsWriter)):
            n = Sink()
        else:
            raise SystemExit(f"the peer has no per-cycle model of {p.label()}")
        nodes.append(n)
    fifos = []
    for src, sport, dst, dport in program.graph.edges():
        f = Fifo()
        fifos.append(f)
        nodes[src].outs.setdefault(sport, []).append(f)
        nodes[dst].ins[dport] = f
    return nodes, fifos


def run_peer(program, env, max_idle=1000):
    nodes, fifos = build_peer(program, env)
    sinks = [n for n in nodes if isinstance(n, Sink)]
    cycle = idle = 0
    while not all(s.done for s in sinks):
        busy = False
        for n in nodes:
            busy |= n.tick()
        for f in fifos:
            f.flush()
        cycle += 1
        idle = 0 if busy else idle + 1
        if idle > max_idle:
            raise SystemExit("peer deadlocked")
    return cycle, sinks


# ----------------------------------------------------------------------- the bench --
def measure(name, expr, tensors, formats, order, locate_=False, repeat=3):
    program = compile_expr(expr, formats, order, locate=locate_)
    env = bind(program, tensors)
    execute(program, env, "cycle")           # compile numba kernels outside the timing
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim = execute(program, env, "cycle")
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    peer_cycles, sinks = run_peer(program, env)
    peer_wall = time.perf_counter() - t0
    peer_vals = [x for x in sinks[-1].got if isinstance(x, float)]
    ours = sim.output.to_coo()[1] if not isinstance(sim.output, float) else [sim.output]
    agree = np.allclose(np.sort(peer_vals), np.sort(ours))
    rate, peer_rate = sim.cycles / best, peer_cycles / peer_wall
    print(f"{name:34s} labkit {sim.cycles:>9,d} cycles in {best * 1e3:8.2f} ms = "
          f"{rate:>13,.0f} cyc/s | peer {peer_cycles:>9,d} cycles in {peer_wall:7.2f} s = "
          f"{peer_rate:>9,.0f} cyc/s | ratio {rate / peer_rate:7.1f}x | results agree: {agree}")
    return rate / peer_rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller inputs")
    args = ap.parse_args()
    west = load(locate("suitesparse/west0479.mtx" if not args.quick else "suitesparse/west0067.mtx"))
    n = west.shape[1]
    c = np.linspace(1.0, 2.0, n)
    m = 20_000 if args.quick else 200_000
    ratios = [
        measure("SpMV B=dc c=d (dense scan + intersect)", "x(i)=B(i,j)*c(j)", {"B": west, "c": c},
                {"B": "dc", "c": "d"}, "ij"),
        measure("SpMV B=dc c=d (locate)", "x(i)=B(i,j)*c(j)", {"B": west, "c": c},
                {"B": "dc", "c": "d"}, "ij", locate_=True),
        measure(f"vector multiply n={m} compressed", "x(i)=b(i)*c(i)",
                {"b": run_vector(m, 0.1, 1, 1), "c": run_vector(m, 0.1, 1, 2)},
                {"b": "c", "c": "c"}, "i"),
    ]
    print(f"geometric-mean speedup in simulated cycles per second: "
          f"{float(np.exp(np.mean(np.log(ratios)))):.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
