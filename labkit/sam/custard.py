"""Custard: lower index notation + per-tensor formats + a loop order to a SAM graph.

Level by level in the loop order, the tensors holding the index are scanned and
coiterated (intersecters for ``*``, unioners for ``+``/``-``), and the others are
repeated over the resulting coordinates.  At the bottom, array loads and ALUs compute
the values; reductions become reducers (innermost) or sparse accumulators (an outer
reduced index); a coordinate dropper removes output coordinates whose reduction was
empty.  Each tensor is stored in the mode order its indices take in the loop order
(concordant traversal); its format letters apply to the stored levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

from labkit.lab.errors import InputError
from labkit.sam import primitives as P
from labkit.sam.formats import check_formats
from labkit.sam.graph import Graph
from labkit.sam.notation import (Access, Bin, Const, Statement, Sum, accesses, parse,
                                 parse_order)


@dataclass
class Program:
    """A compiled expression: the graph plus what binding and writing need."""

    statement: Statement
    order: tuple
    graph: Graph
    formats: dict                      # tensor key -> level formats (storage order)
    mode_orders: dict                  # tensor key -> mode order
    out_levels: list = field(default_factory=list)   # output indices in written order
    out_format: str = ""
    options: dict = field(default_factory=dict)


@dataclass
class _Leaf:
    acc: Access
    fmts: str
    levels: tuple          # indices in storage order
    ref: tuple = None
    pos: int = 0


@dataclass
class _Pending:
    leaf: _Leaf


@dataclass
class _Operand:
    crd: tuple
    refs: dict             # leaf key -> (node, port)


def _flatten(node, op):
    if isinstance(node, Bin) and (node.op == op or (op == "+" and node.op == "-")):
        return _flatten(node.left, op) + _flatten(node.right, op)
    return [node]


def _is_scalar(node):
    return isinstance(node, Const) or (isinstance(node, Access) and not node.indices)


def _sums(node, root=True):
    """Non-root Sum nodes (``root`` Sum excluded)."""
    if isinstance(node, Sum):
        return ([] if root else [node]) + _sums(node.child, False)
    if isinstance(node, Bin):
        return _sums(node.left, False) + _sums(node.right, False)
    return []


def check_order(st: Statement, order: tuple) -> None:
    """Refuse orders the lowering cannot serve (a sub-expression's reduction not innermost)."""
    inner = _sums(st.rhs)
    if len(inner) > 1 and len({s.indices for s in inner}) > 1:
        raise InputError(f"expression {st.text!r}: sums over different indices in "
                         f"separate sub-expressions are not supported")
    for s in inner:
        tail = order[len(order) - len(s.indices):]
        if set(tail) != set(s.indices):
            raise InputError(f"order {''.join(order)!r} for {st.text!r}: the summed index "
                             f"{','.join(s.indices)} of a sub-expression must come last")


def valid_orders(expr: str) -> list[str]:
    """Every loop order this compiler accepts for ``expr``."""
    st = parse(expr)
    out = []
    for perm in permutations(st.indices):
        try:
            check_order(st, perm)
        except InputError:
            continue
        out.append("".join(perm) if all(len(i) == 1 for i in perm) else ",".join(perm))
    return out


class _Lowering:
    def __init__(self, st: Statement, order: tuple, formats: dict, out_format: str | None,
                 locate: bool, skip: bool):
        self.st, self.order = st, order
        self.g = Graph(st.text)
        self.locate, self.skip = locate, skip
        self.leaves: dict[str, _Leaf] = {}
        self.formats, self.mode_orders = {}, {}
        pos = {i: k for k, i in enumerate(order)}
        for a in st.accesses:
            levels = tuple(sorted(a.indices, key=pos.get))
            fmts = formats.get(a.key, formats.get(a.name, "c" * len(a.indices)))
            check_formats(fmts, len(a.indices), a.name)
            self.formats[a.key] = fmts
            self.mode_orders[a.key] = tuple(a.indices.index(i) for i in levels)
            leaf = _Leaf(a, fmts, levels)
            leaf.ref = (self.g.add(P.Root(a.key)), "ref")
            self.leaves[a.key] = leaf
        n_out = len(st.out_indices)
        self.out_format = out_format or "c" * n_out
        check_formats(self.out_format, n_out, st.out)
        unknown = set(formats) - set(self.leaves) - {a.name for a in st.accesses}
        if unknown:
            raise InputError(f"format given for {', '.join(sorted(unknown))}, which is not "
                             f"in {st.text!r}")

    # -- coiteration ---------------------------------------------------------------
    def coiterate(self, node, v):
        if isinstance(node, Access):
            return _Pending(self.leaves[node.key]) if v in node.indices else None
        if isinstance(node, Sum):
            return self.coiterate(node.child, v)
        if isinstance(node, Bin):
            if node.op == "*":
                ops = [o for o in (self.coiterate(f, v) for f in _flatten(node, "*")) if o]
                return self.join(ops, v, union=False) if ops else None
            parts = _flatten(node, "+")
            ops = [self.coiterate(f, v) for f in parts]
            if all(o is None for o in ops):
                return None
            if any(o is None for o in ops):
                raise InputError(f"expression {self.st.text!r}: index {v} is missing from an "
                                 f"operand of '+'/'-' (broadcast addition is not supported)")
            return self.join(ops, v, union=True)
        return None

    def scan(self, pend: _Pending, v) -> _Operand:
        leaf = pend.leaf
        nid = self.g.add(P.LevelScanner(leaf.acc.key, leaf.pos, leaf.fmts[leaf.pos], v),
                         ref=leaf.ref)
        leaf.pos += 1
        return _Operand((nid, "crd"), {leaf.acc.key: (nid, "ref")})

    def materialize(self, op, v):
        return self.scan(op, v) if isinstance(op, _Pending) else op

    def join(self, ops, v, union):
        if len(ops) == 1:
            return ops[0]
        for op in ops:
            if isinstance(op, _Pending) and op.leaf.pos + 1 < len(op.leaf.fmts) \
                    and op.leaf.fmts[op.leaf.pos + 1] == "s":
                raise InputError(f"tensor {op.leaf.acc.name}: its level {v} keeps duplicate "
                                 f"coordinates (a singleton level follows) and cannot be "
                                 f"coiterated with another tensor")
        located = []
        if self.locate and not union:
            dense = [o for o in ops if isinstance(o, _Pending) and o.leaf.fmts[o.leaf.pos] == "d"]
            rest = [o for o in ops if o not in dense]
            if rest:   # all dense: scanned and intersected, as the artifact's fused SDDMM
                ops, located = rest, dense
        mode = "normal"
        if not union and all(isinstance(o, _Pending) and o.leaf.fmts[o.leaf.pos] == "b"
                             for o in ops):
            mode = "bitvector"
        elif self.skip and not union:
            mode = "skip"
        ops = [self.materialize(o, v) for o in ops]
        if len(ops) == 1:
            result = ops[0]
        else:
            prim = (P.Unioner if union else P.Intersecter)(tuple(len(o.refs) for o in ops), v, mode)
            ins = {}
            for k, o in enumerate(ops):
                ins[f"crd{k}"] = o.crd
                for m, key in enumerate(o.refs):
                    ins[f"ref{k}_{m}"] = o.refs[key]
            nid = self.g.add(prim, **ins)
            refs = {key: (nid, f"ref{k}_{m}") for k, o in enumerate(ops)
                    for m, key in enumerate(o.refs)}
            result = _Operand((nid, "crd"), refs)
        for pend in located:
            leaf = pend.leaf
            nid = self.g.add(P.Locate(leaf.acc.key, leaf.pos, v), crd=result.crd, ref=leaf.ref)
            leaf.pos += 1
            result.refs[leaf.acc.key] = (nid, "ref")
        return result

    # -- the loop nest -------------------------------------------------------------
    def lower(self):
        st = self.st
        root = st.rhs.child if isinstance(st.rhs, Sum) else st.rhs
        inner = _sums(st.rhs)
        inner_idx = set(inner[0].indices) if inner else set()
        self.crd = {}
        for v in self.order:
            active = inner[0].child if v in inner_idx else root
            # a scalar tensor is broadcast like any tensor lacking the index (repeated over
            # every loop index, then loaded), as the artifact's graphs do
            active_leaves = [self.leaves[a.key] for a in accesses(active)]
            op = self.coiterate(active, v)
            op = self.materialize(op, v)
            self.crd[v] = op.crd
            for key, port in op.refs.items():
                self.leaves[key].ref = port
            sig = None
            for leaf in active_leaves:
                if leaf.acc.key in op.refs or v in leaf.acc.indices:
                    continue
                if sig is None:
                    sig = (self.g.add(P.RepeatSigGen(), crd=op.crd), "sig")
                leaf.ref = (self.g.add(P.Repeater(leaf.acc.name, v), ref=leaf.ref, sig=sig), "ref")
        val = self.value(root)
        levels = [i for i in self.order if i not in inner_idx]
        reduced = [i for i in self.order if i in st.reductions and i not in inner_idx]
        outs = [i for i in self.order if i in st.out_indices]
        drop = bool(reduced) and bool(outs) and all(
            self.order.index(r) > self.order.index(o) for r in reduced for o in outs) \
            and not self._full(reduced[0])
        for r in reversed(reduced):
            k = levels.index(r)
            below = levels[k + 1:]
            if not below:
                emit_empty = True
                if drop and r == reduced[0]:
                    last = outs[-1]
                    nid = self.g.add(P.CrdDrop(last), outer=self.crd[last], inner=self.crd[r])
                    self.crd[last] = (nid, "outer")
                    emit_empty = False
                val = (self.g.add(P.Reducer(r, emit_empty), val=val), "val")
            else:
                ins = {"outer": self.crd[r], "val": val}
                ins.update({f"crd{q}": self.crd[b] for q, b in enumerate(below)})
                nid = self.g.add(P.SparseAccumulator(len(below), r), **ins)
                for q, b in enumerate(below):
                    self.crd[b] = (nid, f"crd{q}")
                val = (nid, "val")
            levels.remove(r)
        for v in levels:
            self.g.add(P.LevelWriter(st.out, v, self.out_format[st.out_indices.index(v)]),
                       crd=self.crd[v])
        self.g.add(P.ValsWriter(st.out), val=val)
        return levels

    def _full(self, index) -> bool:
        """Every operand iterated at ``index`` stores it dense: its fibers are never empty,
        so the outer coordinates need no dropper (the artifact writes them straight from
        the scanners)."""
        leaves = [lf for lf in self.leaves.values() if index in lf.acc.indices]
        return bool(leaves) and all(lf.fmts[lf.levels.index(index)] == "d" for lf in leaves)

    def value(self, node):
        if isinstance(node, Access):
            if not node.indices:
                raise InputError(f"expression {self.st.text!r}: scalar {node.name} must multiply "
                                 f"a tensor")
            return (self.g.add(P.ArrayVals(node.key), ref=self.leaves[node.key].ref), "val")
        if isinstance(node, Sum):
            val = self.value(node.child)
            for r in reversed(node.indices if node.indices else ()):
                val = (self.g.add(P.Reducer(r, True), val=val), "val")
            return val
        if isinstance(node, Bin):
            op = {"+": "add", "-": "sub", "*": "mul"}[node.op]
            ls, rs = _is_scalar(node.left), _is_scalar(node.right)
            if ls and rs:
                raise InputError(f"expression {self.st.text!r}: an operation between two scalars")
            if ls or rs:
                scalar, other = (node.left, node.right) if ls else (node.right, node.left)
                if op == "sub" and ls:
                    op = "rsub"
                if op in ("add", "sub", "rsub"):
                    raise InputError(f"expression {self.st.text!r}: adding a scalar to a sparse "
                                     f"tensor is not supported (it would make it dense)")
                if isinstance(scalar, Const):
                    prim = P.ALU(op, const=scalar.value)
                    return (self.g.add(prim, a=self.value(other)), "val")
                loaded = (self.g.add(P.ArrayVals(scalar.key), ref=self.leaves[scalar.key].ref), "val")
                a, b = (loaded, self.value(other)) if ls else (self.value(other), loaded)
                return (self.g.add(P.ALU(op), a=a, b=b), "val")
            return (self.g.add(P.ALU(op), a=self.value(node.left), b=self.value(node.right)), "val")
        raise InputError(f"expression {self.st.text!r}: a constant alone is not a tensor expression")


def compile_expr(expr: str, formats: dict | None = None, order=None, *, out_format: str | None = None,
                 locate: bool = False, skip: bool = False) -> Program:
    """Compile ``expr`` to a :class:`Program` holding its SAM graph.

    ``formats`` maps tensor names (the output's too) to level letters in storage order
    (default compressed);
    ``order`` is the loop order (default: output indices, then reduced ones); ``locate``
    uses locate primitives for dense operands of intersections (fused coiteration);
    ``skip`` models skip-ahead intersecters.
    """
    st = parse(expr)
    order = parse_order(order, st)
    check_order(st, order)
    formats = dict(formats or {})
    out_format = out_format or formats.pop(st.out, None)   # the output's format may ride along
    low = _Lowering(st, order, formats, out_format, locate, skip)
    levels = low.lower()
    return Program(st, order, low.g, low.formats, low.mode_orders, levels, low.out_format,
                   {"locate": locate, "skip": skip})
