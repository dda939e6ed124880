"""SAM's primitives, each processing whole input streams into whole output streams.

Every primitive has named input and output ports and a ``fire(ins, env)`` that maps
``{port: Stream}`` to ``{port: Stream}``; ``env`` holds the bound tensors.  The names
follow the paper: level scanner, repeater and repeat-signal generator, intersecter and
unioner (n-way), ALU, reducer and sparse accumulator, coordinate dropper, coordinate
hold, stop-token dropper, array (value load), locate, level writers.
"""

from __future__ import annotations


import numpy as np

from labkit.lab.errors import InputError
from labkit.sam.fibers import StreamMismatch, emit_levels, monotone, parents, to_coo_grouped
from labkit.sam.tokens import EMPTY, Stream, fiber_index, is_stop, root

ALU_OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "max": np.maximum,
           "min": np.minimum, "rsub": lambda a, b: b - a}
_ALU_CODES = {"add": 0, "sub": 1, "mul": 2, "max": 3, "min": 4, "rsub": 5}
_SCAN_MODES = {"d": 0, "c": 1, "s": 2, "b": 3}
MAX_STREAM = 300_000_000   # tokens on one stream before a run is refused instead of swapping


def _k():
    from labkit.sam import kernels  # numba loads here, not at package import

    return kernels


def _check(status: int, ports: tuple):
    if status:
        raise StreamMismatch(ports[min(status, len(ports)) - 1])


class Primitive:
    """Base: ``kind`` (Table 1 name), port names, parameters shown on the graph."""

    kind = "primitive"
    inputs: tuple = ()
    outputs: tuple = ()
    counted = True

    def label(self) -> str:
        return self.kind

    def fire(self, ins: dict, env: dict) -> dict:
        raise NotImplementedError


class Root(Primitive):
    """The root reference ``0 D`` a tensor's first scanner reads."""

    kind = "root"
    outputs = ("ref",)
    counted = False

    def __init__(self, tensor: str):
        self.tensor = tensor

    def label(self):
        return f"root {self.tensor}"

    def fire(self, ins, env):
        return {"ref": root()}


class LevelScanner(Primitive):
    """Reads one stored level: a fiber of coordinates and child references per reference."""

    kind = "level_scanner"
    inputs = ("ref",)
    outputs = ("crd", "ref")

    def __init__(self, tensor: str, level: int, fmt: str, index: str = ""):
        self.tensor, self.level, self.fmt, self.index = tensor, level, fmt, index

    def label(self):
        return f"scan {self.tensor}_{self.index} ({self.fmt})"

    def fire(self, ins, env):
        from labkit.sam.formats import WORD_BITS

        lv = env[self.tensor].levels[self.level]
        ref = ins["ref"]
        data = ref.tok[ref.tok >= 0]
        if lv.fmt == "d":
            fiber_total = len(data) * lv.dim
        elif lv.fmt == "s":
            fiber_total = len(data)
        else:
            fiber_total = int((lv.seg[data + 1] - lv.seg[data]).sum()) if len(data) else 0
        if fiber_total > MAX_STREAM:
            raise InputError(f"{self.label()}: the stream would hold {fiber_total:,} tokens "
                             f"(more than {MAX_STREAM:,}); use smaller inputs or sparser formats")
        empty = np.zeros(1, np.int64)
        seg = lv.seg if lv.seg is not None else empty
        crd = lv.crd if lv.crd is not None else empty
        c, r, t, status = _k().scan(ref.tok, ref.t, _SCAN_MODES[lv.fmt], seg, crd, lv.dim,
                                    WORD_BITS, len(ref.tok) + fiber_total + 1)
        _check(status, ("ref",))
        return {"crd": Stream(c, None, t), "ref": Stream(r, None, t)}


class RepeatSigGen(Primitive):
    """Turns a coordinate stream into repeat signals (one ``R`` per coordinate)."""

    kind = "repeat_sig_gen"
    inputs = ("crd",)
    outputs = ("sig",)

    def fire(self, ins, env):
        s = ins["crd"]
        tok = np.where(s.tok >= 0, 0, s.tok)
        return {"sig": Stream(tok, None, _k().monotone(s.t + 1))}


class Repeater(Primitive):
    """Repeats each reference once per ``R`` of its signal fiber (broadcasting a tensor
    over an index it does not have)."""

    kind = "repeater"
    inputs = ("ref", "sig")
    outputs = ("ref",)

    def __init__(self, tensor: str = "", index: str = ""):
        self.tensor, self.index = tensor, index

    def label(self):
        return f"repeat {self.tensor} over {self.index}"

    def fire(self, ins, env):
        out, t, status = _k().repeat(ins["ref"].tok, ins["ref"].t, ins["sig"].tok, ins["sig"].t)
        _check(status, ("ref", "sig"))
        return {"ref": Stream(out, None, t)}


class _Join(Primitive):
    """n-way coordinate join; operand ``k`` brings ``crd{k}`` and its references
    ``ref{k}_{m}``; outputs ``crd`` and the aligned references (N where absent)."""

    union = False

    def __init__(self, refs_per_operand: tuple, index: str = "", mode: str = "normal"):
        self.refs = tuple(refs_per_operand)
        self.index, self.mode = index, mode
        self.inputs = tuple(f"crd{k}" for k in range(len(self.refs))) + tuple(
            f"ref{k}_{m}" for k, n in enumerate(self.refs) for m in range(n))
        self.outputs = ("crd",) + tuple(f"ref{k}_{m}" for k, n in enumerate(self.refs)
                                        for m in range(n))

    def label(self):
        extra = "" if self.mode == "normal" else f" [{self.mode}]"
        return f"{self.kind} {self.index} ({len(self.refs)}-way){extra}"

    def fire(self, ins, env):
        from labkit.sam.formats import WORD_BITS

        mode = {"normal": 0, "skip": 1, "bitvector": 2}[self.mode]
        crd = ins["crd0"]
        picks = [np.arange(len(crd.tok))]
        for k in range(1, len(self.refs)):
            other = ins[f"crd{k}"]
            tok, t, ia, ib, status = _k().join(crd.tok, crd.t, other.tok, other.t,
                                                self.union, mode, WORD_BITS)
            _check(status, ("crd0", f"crd{k}"))
            picks = [np.where(ia >= 0, p[np.maximum(ia, 0)], -1) for p in picks] + [ib]
            crd = Stream(tok, None, t)
        out = {"crd": crd}
        for k, n in enumerate(self.refs):
            pick = picks[k]
            for m in range(n):
                src = ins[f"ref{k}_{m}"].tok
                ref = np.where(pick >= 0, src[np.maximum(pick, 0)], EMPTY)
                ref = np.where(crd.tok < 0, crd.tok, ref)
                out[f"ref{k}_{m}"] = Stream(ref, None, crd.t)
        return out


class Intersecter(_Join):
    kind = "intersecter"


class Unioner(_Join):
    kind = "unioner"
    union = True


def _pair(a: Stream, b: Stream, name="b"):
    ma, mb = a.tok >= 0, b.tok >= 0
    if ma.sum() != mb.sum():
        raise StreamMismatch(name, f"carries {mb.sum()} values against {ma.sum()}")
    return ma, mb


class ALU(Primitive):
    """Elementwise arithmetic on two aligned value streams (or one and a constant)."""

    kind = "alu"
    outputs = ("val",)

    def __init__(self, op="mul", const: float | None = None, const_name: str = ""):
        if callable(op):
            self.fn, self.op = op, getattr(op, "__name__", "user")
        elif op in ALU_OPS:
            self.fn, self.op = ALU_OPS[op], op
        else:
            raise InputError(f"ALU op {op!r}: use one of {', '.join(ALU_OPS)} or a function")
        self.const, self.const_name = const, const_name
        self.inputs = ("a",) if const is not None else ("a", "b")

    def label(self):
        if self.const_name:
            return f"alu {self.op} {self.const_name}"
        return f"alu {self.op}" + (f" {self.const:g}" if self.const is not None else "")

    def fire(self, ins, env):
        a = ins["a"]
        code = _ALU_CODES.get(self.op) if self.fn is ALU_OPS.get(self.op) else None
        if self.const is not None:
            const = float(env[self.const_name].vals[0]) if self.const_name else float(self.const)
            if code is not None:
                val, t = _k().alu_const(a.tok, a.val, a.t, const, code)
                return {"val": Stream(a.tok, val, t)}
            val, ma = a.val.copy(), a.tok >= 0
            val[ma] = self.fn(a.val[ma], const)
            return {"val": Stream(a.tok, val, monotone(a.t + 1))}
        b = ins["b"]
        if code is not None:
            val, t, status = _k().alu(a.tok, a.val, a.t, b.tok, b.val, b.t, code)
            _check(status, ("a", "b"))
            return {"val": Stream(a.tok, val, t)}
        ma, mb = _pair(a, b)
        val = a.val.copy()
        val[ma] = self.fn(a.val[ma], b.val[mb])
        t = a.t.copy()
        t[ma] = np.maximum(t[ma], b.t[mb])
        return {"val": Stream(a.tok, val, monotone(t + 1))}


class ArrayVals(Primitive):
    """Array (value load): the value behind each reference (N reads as 0)."""

    kind = "array"
    inputs = ("ref",)
    outputs = ("val",)

    def __init__(self, tensor: str):
        self.tensor = tensor

    def label(self):
        return f"vals {self.tensor}"

    def fire(self, ins, env):
        ref = ins["ref"]
        tok, val, t = _k().array_load(ref.tok, ref.t, env[self.tensor].vals)
        return {"val": Stream(tok, val, t)}


class Reducer(Primitive):
    """Scalar reducer: sums each innermost fiber.  ``emit_empty=False`` skips empty
    fibers (paired with a coordinate dropper that removed their coordinates)."""

    kind = "reducer"
    inputs = ("val",)
    outputs = ("val",)

    def __init__(self, index: str = "", emit_empty: bool = True):
        self.index, self.emit_empty = index, emit_empty

    def label(self):
        return f"reduce {self.index}"

    def fire(self, ins, env):
        v = ins["val"]
        tok, val, t, status = _k().reduce(v.tok, v.val, v.t, self.emit_empty)
        _check(status, ("val",))
        return {"val": Stream(tok, val, t)}


class SparseAccumulator(Primitive):
    """Reducer over an outer index with ``order`` levels inside it (the paper's vector and
    matrix sparse accumulators): sums values of equal inner coordinates across the
    reduced fibers and emits the inner levels in sorted order."""

    kind = "sparse_accumulator"

    def __init__(self, order: int, index: str = ""):
        self.order, self.index = order, index
        self.inputs = ("outer",) + tuple(f"crd{q}" for q in range(order)) + ("val",)
        self.outputs = tuple(f"crd{q}" for q in range(order)) + ("val",)

    def label(self):
        return f"spacc{self.order} {self.index}"

    def fire(self, ins, env):
        outer = ins["outer"]
        levels = [ins[f"crd{q}"] for q in range(self.order)]
        # the group of each entry: the outer fiber holding its reduced coordinate
        coords, vals, groups = to_coo_grouped([outer] + levels, ins["val"])
        stops = is_stop(outer.tok)
        n_groups = int(stops.sum())
        close = -1 - outer.tok[stops]
        # a group is ready once its reduced fiber closed and every value of it was taken
        # in, one value token per cycle
        v = ins["val"]
        taken = _k().monotone(v.t + 1)[v.tok >= 0]
        ready = outer.t[stops].copy()
        if len(groups):
            np.maximum.at(ready, groups, taken)
        inner = coords[:, 1:]
        groups_in = groups
        if len(vals) and self.order == 1 and (np.diff(groups) >= 0).all():
            groups, c1, summed = _k().spacc1(groups, inner[:, 0].copy(), vals,
                                             int(inner[:, 0].max()) + 1)
            inner = c1[:, None]
        elif len(vals):
            cols = np.column_stack([groups, inner])
            dims = cols.max(axis=0) + 1
            key = np.ravel_multi_index(cols.T, dims)   # one int64 per (group, inner coords)
            uniq, inv = np.unique(key, return_inverse=True)
            summed = np.bincount(inv.ravel(), weights=vals, minlength=len(uniq))
            back = np.stack(np.unravel_index(uniq, dims), axis=1)
            groups, inner = back[:, 0], back[:, 1:]
        else:
            summed = vals
        toks, vtok = emit_levels(groups, inner, summed, n_groups, close)
        if self.order <= 2 and len(v.tok) and (np.diff(groups_in) >= 0).all():
            return self._artifact_timed(toks, vtok, v, levels[-1], groups_in, groups, inner)
        out = {}
        ups = [parents(tok) for tok in toks]
        for q, tok in enumerate(toks):
            g = fiber_index(tok)
            for up in range(q - 1, -1, -1):  # walk up to the group of each token
                g = ups[up][np.minimum(g, len(ups[up]) - 1)] if len(ups[up]) else g * 0
            if n_groups:
                t = monotone(ready[np.clip(g, 0, n_groups - 1)] + 1)
            else:
                t = monotone(np.full(len(tok), outer.t[-1] + 1))
            out[f"crd{q}"] = Stream(tok, None, t)
        last = out[f"crd{self.order - 1}"]
        val = np.where(np.isnan(vtok), 0.0, vtok)
        vt = np.where(last.tok >= 0, 0, last.tok)
        out["val"] = Stream(vt, val, last.t + 1)
        return out


    def _artifact_timed(self, toks, vtok, v, innermost, groups_in, groups_out, coords):
        """Output streams timed as the artifact's SparseAccumulator1/2 (kernels.spacc_times).

        The vector accumulator's groups are the reduced fibers; the matrix one takes the
        whole stream as one group (the artifact's emits only after D) and its point
        converter groups the points by their outer coordinate."""
        k = _k()
        groups_out = np.asarray(groups_out, np.int64)
        if self.order == 1:
            trig, conv = groups_out, groups_out
            groups_in = np.asarray(groups_in, np.int64)
        else:
            outer_new = np.ones(len(groups_out), bool)
            outer_new[1:] = (groups_out[1:] != groups_out[:-1]) | (coords[1:, 0] != coords[:-1, 0])
            conv = np.cumsum(outer_new) - 1
            trig = np.zeros(len(groups_out), np.int64)
            groups_in = np.zeros(len(groups_in), np.int64)
        val_t, crd_t, close, crd_done, val_done = k.spacc_times(
            v.tok, v.t, innermost.tok, innermost.t, groups_in, trig, conv)
        last = toks[-1]
        vt = np.where(last >= 0, 0, last)
        val = np.where(np.isnan(vtok), 0.0, vtok)
        no_close = np.full(len(close), -1, np.int64)
        out = {f"crd{self.order - 1}": Stream(last, None, k.place_times(last, crd_t, close, crd_done)),
               "val": Stream(vt, val, k.place_times(vt, val_t, no_close, val_done))}
        if self.order == 2:   # the outer level: a coordinate with its first point, one close
            first = crd_t[outer_new] if len(crd_t) else crd_t
            end = np.array([close[conv[-1]] if len(conv) else -1], np.int64)
            out["crd0"] = Stream(toks[0], None, k.place_times(toks[0], first, end, crd_done))
        return out


class CrdDrop(Primitive):
    """Coordinate dropper: removes outer coordinates whose inner fiber came out empty."""

    kind = "crd_drop"
    inputs = ("outer", "inner")
    outputs = ("outer", "inner")

    def __init__(self, index: str = ""):
        self.index = index

    def label(self):
        return f"crddrop {self.index}"

    def fire(self, ins, env):
        o, i = ins["outer"], ins["inner"]
        oo, ot, io, it, status = _k().crddrop(o.tok, o.t, i.tok, i.t)
        _check(status, ("outer", "inner"))
        return {"outer": Stream(oo, None, ot), "inner": Stream(io, None, it)}


class CrdHold(Primitive):
    """Coordinate hold: repeats each outer coordinate for every inner coordinate under it,
    producing the outer coordinate aligned with the inner stream (as COO writers need)."""

    kind = "crd_hold"
    inputs = ("outer", "inner")
    outputs = ("crd",)

    def fire(self, ins, env):
        o, i = ins["outer"], ins["inner"]
        odata = o.tok[o.tok >= 0]
        f = fiber_index(i.tok)
        if is_stop(i.tok).sum() != len(odata):
            raise StreamMismatch("inner", "has a fiber count different from the outer coordinates")
        tok = np.where(i.tok >= 0, odata[np.minimum(f, max(len(odata) - 1, 0))] if len(odata)
                       else 0, i.tok)
        return {"crd": Stream(tok, None, monotone(i.t + 1))}


class StopDrop(Primitive):
    """Stop-token dropper: merges the stops of empty fibers into the preceding stop."""

    kind = "stop_drop"
    inputs = ("crd",)
    outputs = ("crd",)

    def fire(self, ins, env):
        s = ins["crd"]
        tok, t = _k().stkndrop(s.tok, s.t)
        return {"crd": Stream(tok, None, t)}


class Locate(Primitive):
    """Locate: the reference of a given coordinate in an uncompressed level, computed
    instead of found by scanning and intersecting (fused coiteration)."""

    kind = "locate"
    inputs = ("crd", "ref")
    outputs = ("ref",)

    def __init__(self, tensor: str, level: int, index: str = ""):
        self.tensor, self.level, self.index = tensor, level, index

    def label(self):
        return f"locate {self.tensor}_{self.index}"

    def fire(self, ins, env):
        lv = env[self.tensor].levels[self.level]
        if lv.fmt != "d":
            raise InputError(f"locate into {self.tensor} level {self.level}: needs a dense level")
        crd, parent = ins["crd"], ins["ref"]
        out, t, status = _k().locate_dense(crd.tok, crd.t, parent.tok, lv.dim)
        _check(status, ("crd", "ref"))
        return {"ref": Stream(out, None, t)}


class LevelWriter(Primitive):
    """Writes one output level (its coordinate stream); the simulator assembles the tensor."""

    kind = "level_writer"
    inputs = ("crd",)

    def __init__(self, tensor: str, index: str, fmt: str = "c"):
        self.tensor, self.index, self.fmt = tensor, index, fmt

    def label(self):
        return f"write {self.tensor}_{self.index} ({self.fmt})"

    def fire(self, ins, env):
        return {}


class ValsWriter(Primitive):
    """Writes the output values."""

    kind = "vals_writer"
    inputs = ("val",)

    def __init__(self, tensor: str):
        self.tensor = tensor

    def label(self):
        return f"write {self.tensor} vals"

    def fire(self, ins, env):
        return {}
