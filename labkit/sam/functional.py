"""Functional mode in one compiled call: the whole graph runs inside numba.

Functional mode only needs the result and the stream-token counts, so instead of one
Python ``fire`` per primitive (each a numba dispatch, fresh arrays, a timing array and
numpy glue) the graph is encoded once as integer instructions (:func:`encode`, cached with
the bound tensors) and :func:`run` walks them in topological order with the timing-free
kernels of :mod:`labkit.sam.fkernels`.  Streams live in a reusable arena and are freed
after their last reader (no page faults, a small working set); token counts are derived
where a primitive's output kinds follow from its input's; array loads feeding an ALU (and
that ALU feeding a reducer) run as one pass.  The output's compressed levels are built
from the writers' streams.  Anything not covered (user ALU functions, matrix sparse
accumulators) or any stream that disagrees makes the caller fall back to the
per-primitive path, which also produces the deadlock diagnosis.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from labkit.sam import arena as A
from labkit.sam import fkernels as FK
from labkit.sam import kernels as K
from labkit.sam import primitives as P

ROOT, SCAN, REPSIG, REPEAT, JOIN, ALU, ARRAY, REDUCE, SPACC1, CRDDROP, CRDHOLD, STKNDROP, \
    LOCATE, LWRITE, VWRITE, LOADALU, COUNTED, LOADALUREDUCE = range(18)
_MODES = {"normal": 0, "skip": 1, "bitvector": 2}
P_MAX_STREAM = P.MAX_STREAM
# where each op's output slots sit in its instruction row: [first, end)
OUTS = np.zeros((18, 2), np.int64)
for _op, _span in {ROOT: (1, 2), SCAN: (9, 11), REPSIG: (2, 3), REPEAT: (3, 4), ALU: (5, 6),
                   ARRAY: (4, 5), REDUCE: (3, 4), SPACC1: (4, 6), CRDDROP: (3, 5),
                   CRDHOLD: (3, 4), STKNDROP: (2, 3), LOCATE: (4, 5), LOADALU: (8, 9),
                   LOADALUREDUCE: (8, 9)}.items():
    OUTS[_op] = _span
UNARY_OUT = OUTS[:, 0].copy()   # the output slot of single-output ops


class Unsupported(Exception):
    """The graph holds something the compiled path does not cover."""


def _level_arrays(tensor, level, ints):
    lv = tensor.levels[level]
    out = []
    for arr in (lv.seg, lv.crd):
        arr = np.zeros(1, np.int64) if arr is None else arr
        out += [sum(len(a) for a in ints), len(arr)]
        ints.append(np.asarray(arr, np.int64))
    return out


def encode(program, env):
    """``(code, ints, floats, n_slots, writers, value_writer)``: the graph as integer
    instructions plus the bound tensors' level arrays packed into two flat arrays."""
    from labkit.sam.formats import WORD_BITS

    slots, code, ints, floats = {}, [], [np.zeros(1, np.int64)], [np.zeros(1)]
    writers, vwriter = [], -1

    def out(nid, port):
        slots[(nid, port)] = len(slots)
        return slots[(nid, port)]

    def fpos(arr):
        pos = sum(len(a) for a in floats)
        floats.append(np.asarray(arr, np.float64))
        return [pos, len(arr)]

    readers = {}
    for node in program.graph.nodes:
        for src in node.ins.values():
            readers[src] = readers.get(src, 0) + 1
    fused = {}      # ArrayVals node id -> its row, for loads only an ALU reads
    for node in program.graph.nodes:
        p = node.prim
        if isinstance(p, P.ALU) and p.const is None and p.fn is P.ALU_OPS.get(p.op):
            srcs = [node.ins["a"], node.ins["b"]]
            nodes = [program.graph.nodes[nid].prim for nid, _ in srcs]
            if all(isinstance(q, P.ArrayVals) for q in nodes) and srcs[0] != srcs[1] \
                    and all(readers[src] == 1 for src in srcs):
                fused[node.id] = [nid for nid, _ in srcs]
    loads = {nid for pair in fused.values() for nid in pair}
    reducing = {}   # Reducer node id -> the fused ALU it absorbs (its only reader)
    for node in program.graph.nodes:
        src = node.ins.get("val")
        if isinstance(node.prim, P.Reducer) and src[0] in fused and readers[src] == 1:
            reducing[node.id] = src[0]
    absorbed = {alu: red for red, alu in reducing.items()}
    for node in program.graph.nodes:
        p, ins = node.prim, {k: slots[v] for k, v in node.ins.items()}
        if isinstance(p, P.Root):
            args = [ROOT, out(node.id, "ref")]
        elif isinstance(p, P.LevelScanner):
            lv = env[p.tensor].levels[p.level]
            args = [SCAN, ins["ref"], P._SCAN_MODES[lv.fmt], lv.dim, WORD_BITS,
                    *_level_arrays(env[p.tensor], p.level, ints),
                    out(node.id, "crd"), out(node.id, "ref")]
        elif isinstance(p, P.RepeatSigGen):
            args = [REPSIG, ins["crd"], out(node.id, "sig")]
        elif isinstance(p, P.Repeater):
            args = [REPEAT, ins["ref"], ins["sig"], out(node.id, "ref")]
        elif isinstance(p, P._Join):
            args = [JOIN, int(p.union), _MODES[p.mode], WORD_BITS, len(p.refs)]
            for k, n in enumerate(p.refs):
                args += [ins[f"crd{k}"], n] + [ins[f"ref{k}_{m}"] for m in range(n)]
            args += [out(node.id, port) for port in p.outputs]
        elif node.id in absorbed:    # counted here, computed by the fused reducer
            la = program.graph.nodes[fused[node.id][0]]
            args = [COUNTED, -1, -1, -1, -1, -1, -1, -1, out(node.id, "val"),
                    slots[(la.id, "val")]]
        elif node.id in reducing:
            la, lb = (program.graph.nodes[nid] for nid in fused[reducing[node.id]])
            args = [LOADALUREDUCE, P._ALU_CODES[program.graph.nodes[reducing[node.id]].prim.op],
                    slots[la.ins["ref"]], *fpos(env[la.prim.tensor].vals), slots[lb.ins["ref"]],
                    *fpos(env[lb.prim.tensor].vals), out(node.id, "val"), int(p.emit_empty)]
        elif node.id in fused:
            la, lb = (program.graph.nodes[nid] for nid in fused[node.id])
            args = [LOADALU, P._ALU_CODES[p.op], slots[la.ins["ref"]],
                    *fpos(env[la.prim.tensor].vals), slots[lb.ins["ref"]],
                    *fpos(env[lb.prim.tensor].vals), out(node.id, "val"),
                    slots[(la.id, "val")], slots[(lb.id, "val")]]
        elif node.id in loads:       # counted here, loaded by the fused ALU
            args = [COUNTED, ins["ref"], -1, -1, out(node.id, "val")]
        elif isinstance(p, P.ALU):
            code_ = P._ALU_CODES.get(p.op) if p.fn is P.ALU_OPS.get(p.op) else None
            if code_ is None:
                raise Unsupported("user ALU function")
            if p.const is not None:
                const = float(env[p.const_name].vals[0]) if p.const_name else float(p.const)
                args = [ALU, code_, ins["a"], -1, fpos([const])[0]]
            else:
                args = [ALU, code_, ins["a"], ins["b"], 0]
            args.append(out(node.id, "val"))
        elif isinstance(p, P.ArrayVals):
            args = [ARRAY, ins["ref"], *fpos(env[p.tensor].vals), out(node.id, "val")]
        elif isinstance(p, P.Reducer):
            args = [REDUCE, ins["val"], int(p.emit_empty), out(node.id, "val")]
        elif isinstance(p, P.SparseAccumulator):
            if p.order != 1:
                raise Unsupported("matrix sparse accumulator")
            args = [SPACC1, ins["outer"], ins["crd0"], ins["val"], out(node.id, "crd0"),
                    out(node.id, "val")]
        elif isinstance(p, P.CrdDrop):
            args = [CRDDROP, ins["outer"], ins["inner"], out(node.id, "outer"),
                    out(node.id, "inner"), int(readers.get((node.id, "inner"), 0) > 0)]
        elif isinstance(p, P.CrdHold):
            args = [CRDHOLD, ins["outer"], ins["inner"], out(node.id, "crd")]
        elif isinstance(p, P.StopDrop):
            args = [STKNDROP, ins["crd"], out(node.id, "crd")]
        elif isinstance(p, P.Locate):
            lv = env[p.tensor].levels[p.level]
            if lv.fmt != "d":
                raise Unsupported("locate into a non-dense level")
            args = [LOCATE, ins["crd"], ins["ref"], lv.dim, out(node.id, "ref")]
        elif isinstance(p, P.LevelWriter):
            writers.append(ins["crd"])
            args = [LWRITE, ins["crd"]]
        elif isinstance(p, P.ValsWriter):
            vwriter = ins["val"]
            args = [VWRITE, ins["val"]]
        else:
            raise Unsupported(type(p).__name__)
        code.append(args)
    # a stream is freed after its last reader, so a run's working set stays small (and
    # in cache) instead of holding every stream of the graph until the end
    last = np.full(len(slots), len(code), np.int64)
    for node in program.graph.nodes:
        for src in node.ins.values():
            if not isinstance(node.prim, (P.LevelWriter, P.ValsWriter)):
                last[slots[src]] = node.id
    for nid, pair in fused.items():     # the fused ALU (or reducer) reads the references
        for load in pair:
            ref = slots[program.graph.nodes[load].ins["ref"]]
            last[ref] = max(last[ref], absorbed.get(nid, nid))
    for src in list(writers) + [vwriter]:
        last[src] = len(code)
    if vwriter < 0:
        raise Unsupported("a graph without a values writer")
    width = max(len(a) for a in code)
    table = np.full((len(code), width), -1, np.int64)
    for k, a in enumerate(code):
        table[k, :len(a)] = a
    return (table, np.concatenate(ints), np.concatenate(floats), last,
            np.asarray(writers, np.int64), vwriter)


@njit(cache=True)
def _count(tok, row):
    """One stream's (coords, stop, empty, done) counts into ``row``."""
    row[0], row[1], row[2], row[3] = K.count_tokens(tok)


GROW = 100   # status: the arena is too small (the caller enlarges it and runs again)


@njit(cache=True)
def run(code, ints, floats, last_use, writers, vwriter, ibuf, fbuf, compressed):
    """Execute the encoded graph in the arena ``ibuf``/``fbuf``.

    Returns ``(status, counts, a, a_off, b, b_off, vals)``: status 0 when every stream
    lined up (``GROW``: enlarge the arena), the token counts (coords, stop, empty, done)
    over all streams, then with ``compressed`` the output's levels as from
    :func:`compress` (``seg``/``crd`` flattened with offsets), else the writers' level
    streams concatenated (``a``/``a_off``); ``vals`` holds the written values.
    """
    empty_i = np.zeros(0, np.int64)
    empty_f = np.zeros(0, np.float64)
    n_slots = len(last_use)
    tok = [empty_i for _ in range(n_slots)]
    val = [empty_f for _ in range(n_slots)]
    start = np.full(n_slots, -1, np.int64)
    blk = np.zeros((4 * n_slots + 16, 3), np.int64)
    blk[0, 1] = len(ibuf)
    blk[0, 2] = 1
    nb = np.ones(1, np.int64)
    counts = np.zeros(4, np.int64)
    cnt = np.zeros((n_slots, 4), np.int64)     # per stream; derived where a kernel's
    fail = (GROW, counts, empty_i, empty_i, empty_i, empty_i, empty_f)
    for row in range(code.shape[0]):
        a = code[row]
        op = a[0]
        status = 0
        total = 0
        if op == ROOT:
            tok[a[1]] = np.array([0, K.DONE], np.int64)
        elif op == SCAN:
            r = a[1]
            mode, dim = a[2], a[3]
            seg = ints[a[5]:a[5] + a[6]]
            crd = ints[a[7]:a[7] + a[8]]
            for x in tok[r]:
                if x >= 0:
                    if mode == K.DENSE:
                        total += dim
                    elif mode == K.SINGLETON:
                        total += 1
                    else:
                        total += seg[x + 1] - seg[x]
            if total > P_MAX_STREAM:
                return 9, counts, empty_i, empty_i, empty_i, empty_i, empty_f
            cap = len(tok[r]) + total + 1
            p0 = A.alloc(blk, nb, cap)
            p1 = A.alloc(blk, nb, cap)
            if p0 < 0 or p1 < 0:
                return fail
            n, status = FK.scan(tok[r], mode, seg, crd, dim, ibuf[p0:p0 + cap],
                                ibuf[p1:p1 + cap])
            A.shrink(blk, nb, p0, n)
            A.shrink(blk, nb, p1, n)
            start[a[9]], start[a[10]] = p0, p1
            tok[a[9]] = ibuf[p0:p0 + n]
            tok[a[10]] = ibuf[p1:p1 + n]
        elif op == JOIN:
            union, n_ops = a[1] == 1, a[4]
            p = 5
            crd_tok = tok[a[p]]
            crd_p = -1
            picks = [np.arange(len(crd_tok))]
            ref_src = [a[p + 2 + m] for m in range(a[p + 1])]
            ref_op = [0 for m in range(a[p + 1])]
            p += 2 + a[p + 1]
            for k in range(1, n_ops):
                other = tok[a[p]]
                cap = len(crd_tok) + len(other)
                q0 = A.alloc(blk, nb, cap)
                if q0 < 0:
                    return fail
                ia = np.empty(cap, np.int64)
                ib = np.empty(cap, np.int64)
                n, status = FK.join(crd_tok, other, union, ibuf[q0:q0 + cap], ia, ib)
                if status:
                    break
                A.shrink(blk, nb, q0, n)
                for q in range(len(picks)):
                    old = picks[q]
                    new = np.empty(n, np.int64)
                    for z in range(n):
                        new[z] = old[ia[z]] if ia[z] >= 0 else -1
                    picks[q] = new
                picks.append(ib[:n].copy())
                for m in range(a[p + 1]):
                    ref_src.append(a[p + 2 + m])
                    ref_op.append(k)
                p += 2 + a[p + 1]
                if crd_p >= 0:
                    A.release(blk, nb, crd_p)
                crd_p = q0
                crd_tok = ibuf[q0:q0 + n]
            if status == 0:
                tok[a[p]] = crd_tok
                start[a[p]] = crd_p
                _count(crd_tok, cnt[a[p]])
                for q in range(len(ref_src)):
                    s = a[p + 1 + q]
                    n = len(crd_tok)
                    q0 = A.alloc(blk, nb, n)
                    if q0 < 0:
                        return fail
                    FK.gather(tok[ref_src[q]], picks[ref_op[q]], crd_tok, ibuf[q0:q0 + n])
                    A.shrink(blk, nb, q0, n)
                    start[s] = q0
                    tok[s] = ibuf[q0:q0 + n]
                    _count(tok[s], cnt[s])
        elif op == SPACC1:
            outer, crd, vt = tok[a[1]], tok[a[2]], tok[a[3]]
            dim = 1
            for x in crd:
                dim = max(dim, x + 1)
            cap = len(crd) + len(outer) + 1
            p0 = A.alloc(blk, nb, cap)
            p1 = A.alloc(blk, nb, cap)
            if p0 < 0 or p1 < 0:
                return fail
            n, status = FK.spacc1(outer, crd, vt, val[a[3]], ibuf[p0:p0 + cap],
                                  fbuf[p1:p1 + cap], np.zeros(dim, np.float64),
                                  np.zeros((dim + 63) // 64, np.uint64))
            if status == 0:
                FK.repeat_signal(ibuf[p0:p0 + n], ibuf[p1:p1 + n])
            A.shrink(blk, nb, p0, n)
            A.shrink(blk, nb, p1, n)
            start[a[4]], start[a[5]] = p0, p1
            tok[a[4]] = ibuf[p0:p0 + n]
            tok[a[5]] = ibuf[p1:p1 + n]
            val[a[5]] = fbuf[p1:p1 + n]
        elif op == CRDDROP:
            outer, inner = tok[a[1]], tok[a[2]]
            p0 = A.alloc(blk, nb, len(outer))
            p1 = A.alloc(blk, nb, len(inner))
            if p0 < 0 or p1 < 0:
                return fail
            n0, n1, total, status = FK.crddrop(outer, inner, ibuf[p0:p0 + len(outer)],
                                               ibuf[p1:p1 + len(inner)], a[5] == 1)
            A.shrink(blk, nb, p0, n0)
            A.shrink(blk, nb, p1, n1)
            start[a[3]], start[a[4]] = p0, p1
            tok[a[3]] = ibuf[p0:p0 + n0]
            tok[a[4]] = ibuf[p1:p1 + n1]
        elif op == LOADALU:
            ra, rb, s = tok[a[2]], tok[a[5]], a[8]
            cap = len(ra) + 1
            p0 = A.alloc(blk, nb, cap)
            if p0 < 0:
                return fail
            va = floats[a[3]:a[3] + a[4]]
            vb = floats[a[6]:a[6] + a[7]]
            n, status = FK.load_alu(ra, va, rb, vb, a[1], ibuf[p0:p0 + cap], fbuf[p0:p0 + cap])
            if status:      # shapes differ: load both, then pair them
                ta = A.alloc(blk, nb, len(ra))
                tb = A.alloc(blk, nb, len(rb))
                if ta < 0 or tb < 0:
                    return fail
                FK.array_load(ra, va, ibuf[ta:ta + len(ra)], fbuf[ta:ta + len(ra)])
                FK.array_load(rb, vb, ibuf[tb:tb + len(rb)], fbuf[tb:tb + len(rb)])
                n, status = FK.alu(ibuf[ta:ta + len(ra)], fbuf[ta:ta + len(ra)],
                                   ibuf[tb:tb + len(rb)], fbuf[tb:tb + len(rb)], a[1],
                                   ibuf[p0:p0 + cap], fbuf[p0:p0 + cap])
                A.release(blk, nb, ta)
                A.release(blk, nb, tb)
            A.shrink(blk, nb, p0, n)
            start[s] = p0
            tok[s] = ibuf[p0:p0 + n]
            val[s] = fbuf[p0:p0 + n]
        elif op == LOADALUREDUCE:
            ra, rb, s = tok[a[2]], tok[a[5]], a[8]
            va = floats[a[3]:a[3] + a[4]]
            vb = floats[a[6]:a[6] + a[7]]
            cap = 2 * len(ra) + 1
            p0 = A.alloc(blk, nb, cap)
            if p0 < 0:
                return fail
            n, status = FK.load_alu_reduce(ra, va, rb, vb, a[1], a[9] == 1,
                                           ibuf[p0:p0 + cap], fbuf[p0:p0 + cap])
            if status == -1:    # shapes differ: load, pair, then reduce
                ta = A.alloc(blk, nb, len(ra))
                tb = A.alloc(blk, nb, len(rb))
                tc = A.alloc(blk, nb, len(ra))
                if ta < 0 or tb < 0 or tc < 0:
                    return fail
                FK.array_load(ra, va, ibuf[ta:ta + len(ra)], fbuf[ta:ta + len(ra)])
                FK.array_load(rb, vb, ibuf[tb:tb + len(rb)], fbuf[tb:tb + len(rb)])
                n, status = FK.alu(ibuf[ta:ta + len(ra)], fbuf[ta:ta + len(ra)],
                                   ibuf[tb:tb + len(rb)], fbuf[tb:tb + len(rb)], a[1],
                                   ibuf[tc:tc + len(ra)], fbuf[tc:tc + len(ra)])
                if status == 0:
                    n, status = FK.reduce(ibuf[tc:tc + n], fbuf[tc:tc + n], a[9] == 1,
                                          ibuf[p0:p0 + cap], fbuf[p0:p0 + cap])
                for t0 in (ta, tb, tc):
                    A.release(blk, nb, t0)
            A.shrink(blk, nb, p0, n)
            start[s] = p0
            tok[s] = ibuf[p0:p0 + n]
            val[s] = fbuf[p0:p0 + n]
        elif op != LWRITE and op != VWRITE and op != COUNTED:   # one output stream
            s = a[UNARY_OUT[op]]
            src = a[2] if op == ALU or op == REPEAT or op == CRDHOLD else a[1]
            cap = len(tok[src]) * (2 if op == REDUCE else 1) + 1
            p0 = A.alloc(blk, nb, cap)
            if p0 < 0:
                return fail
            out = ibuf[p0:p0 + cap]
            out_v = fbuf[p0:p0 + cap]
            if op == REPSIG:
                n, status = FK.repeat_signal(tok[a[1]], out)
            elif op == REPEAT:
                n, status = FK.repeat(tok[a[1]], tok[a[2]], out)
            elif op == ALU and a[3] < 0:
                n, status = FK.alu_const(tok[a[2]], val[a[2]], floats[a[4]], a[1], out, out_v)
            elif op == ALU:
                n, status = FK.alu(tok[a[2]], val[a[2]], tok[a[3]], val[a[3]], a[1], out, out_v)
            elif op == ARRAY:
                n, status = FK.array_load(tok[a[1]], floats[a[2]:a[2] + a[3]], out, out_v)
            elif op == REDUCE:
                n, status = FK.reduce(tok[a[1]], val[a[1]], a[2] == 1, out, out_v)
            elif op == CRDHOLD:
                n, status = FK.crdhold(tok[a[1]], tok[a[2]], out)
            elif op == STKNDROP:
                n, status = FK.stkndrop(tok[a[1]], out)
            else:   # LOCATE
                n, status, total = FK.locate_dense(tok[a[1]], tok[a[2]], a[3], out)
            A.shrink(blk, nb, p0, n)
            start[s] = p0
            tok[s] = ibuf[p0:p0 + n]
            if op == ALU or op == ARRAY or op == REDUCE:
                val[s] = fbuf[p0:p0 + n]
        if status:
            return status, counts, empty_i, empty_i, empty_i, empty_i, empty_f
        if op == SCAN:                         # every reference's fiber, one stop each
            for q in (9, 10):
                cnt[a[q], 0], cnt[a[q], 1], cnt[a[q], 3] = total, len(tok[a[q]]) - total - 1, 1
        elif op == REPSIG or op == ALU:        # same token kinds as the (first) input
            cnt[a[OUTS[op, 0]]] = cnt[a[2] if op == ALU else a[1]]
        elif op == LOADALU or (op == COUNTED and a[1] < 0):   # an ALU: its loads' tokens
            cnt[a[8]] = cnt[a[9]]
        elif op == CRDDROP:
            _count(tok[a[3]], cnt[a[3]])
            cnt[a[4], 0], cnt[a[4], 1], cnt[a[4], 3] = total, n1 - total - 1, 1
        elif op == LOCATE:                     # the coordinates' kinds, some data now N
            src, s = cnt[a[1]], cnt[a[4]]
            s[0], s[1], s[2], s[3] = src[0] - total, src[1], src[2] + total, src[3]
        elif op == ARRAY or op == COUNTED:     # N loads a 0: empties become values
            src, s = cnt[a[1]], cnt[a[4]]
            s[0], s[1], s[2], s[3] = src[0] + src[2], src[1], 0, src[3]
        else:
            for q in range(OUTS[op, 0], OUTS[op, 1]):
                _count(tok[a[q]], cnt[a[q]])
        for s in range(n_slots):
            if last_use[s] == row:
                if start[s] >= 0:
                    A.release(blk, nb, start[s])
                    start[s] = -1
                tok[s] = empty_i
                val[s] = empty_f
    for s in range(n_slots):
        for q in range(4):
            counts[q] += cnt[s, q]
    vtok = tok[vwriter]
    vval = val[vwriter]
    n = 0
    for x in vtok:
        if x >= 0:
            n += 1
    out_val = np.empty(n, np.float64)
    n = 0
    for k in range(len(vtok)):
        if vtok[k] >= 0:
            out_val[n] = vval[k]
            n += 1
    total = 0
    for w in writers:
        total += len(tok[w])
    out_tok = np.empty(total, np.int64)
    out_off = np.zeros(len(writers) + 1, np.int64)
    for q in range(len(writers)):
        src = tok[writers[q]]
        out_off[q + 1] = out_off[q] + len(src)
        out_tok[out_off[q]:out_off[q + 1]] = src
    if compressed:
        seg, seg_off, crd_out, crd_off, vals_out, bad = compress(out_tok, out_off, out_val)
        if bad == 0:
            return 0, counts, seg, seg_off, crd_out, crd_off, vals_out
        return 0, counts, out_tok, out_off, empty_i, empty_i, out_val
    return 0, counts, out_tok, out_off, empty_i, empty_i, out_val


@njit(cache=True)
def compress(out_tok, out_off, vals):
    """Compressed levels (``seg``/``crd`` per level, outer first, flattened with offsets)
    and values from the writers' level streams, keeping only coordinates with stored
    entries below them (what building the tensor from its coordinates gives).  Status 1
    when the streams do not describe sorted unique coordinates (the caller then builds
    the tensor the general way)."""
    m = len(out_off) - 1
    if m == 1:                  # a vector: one fiber, every coordinate kept
        crd_out = np.empty(len(vals), np.int64)
        n = 0
        stops = 0
        prev = -1
        for k in range(out_off[1]):
            x = out_tok[k]
            if x >= 0:
                if n >= len(vals) or x <= prev:
                    n = -1
                    break
                crd_out[n] = x
                prev = x
                n += 1
            elif K._is_stop(x):
                stops += 1
        if n == len(vals) and stops <= 1:
            return (np.array([0, n], np.int64), np.array([0, 2], np.int64), crd_out,
                    np.array([0, n], np.int64), vals, 0)
    n_data = np.zeros(m, np.int64)
    for q in range(m):
        for k in range(out_off[q], out_off[q + 1]):
            if out_tok[k] >= 0:
                n_data[q] += 1
    crd = np.empty(n_data.sum(), np.int64)
    parent = np.empty(n_data.sum(), np.int64)
    base = np.zeros(m + 1, np.int64)
    for q in range(m):
        base[q + 1] = base[q] + n_data[q]
    bad = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), \
        np.zeros(0, np.int64), np.zeros(0, np.float64), 1
    if n_data[m - 1] != len(vals):
        return bad
    for q in range(m):
        f = 0
        e = base[q]
        prev = -1
        for k in range(out_off[q], out_off[q + 1]):
            x = out_tok[k]
            if x >= 0:
                if x <= prev:
                    return bad
                crd[e] = x
                parent[e] = f
                prev = x
                e += 1
            elif K._is_stop(x):
                f += 1
                prev = -1
        if q > 0 and f != n_data[q - 1]:
            return bad
        if q == 0 and f > 1:
            return bad
    keep = np.ones(n_data.sum(), np.bool_)
    for q in range(m - 2, -1, -1):
        has = np.zeros(n_data[q], np.bool_)
        for e in range(base[q + 1], base[q + 2]):
            if keep[e]:
                has[parent[e]] = True
        for e in range(n_data[q]):
            keep[base[q] + e] = has[e]
    # new positions of kept entries, then seg per level over kept parents
    newpos = np.empty(n_data.sum(), np.int64)
    n_kept = np.zeros(m, np.int64)
    for q in range(m):
        c = 0
        for e in range(base[q], base[q + 1]):
            newpos[e] = c
            if keep[e]:
                c += 1
        n_kept[q] = c
    seg_off = np.zeros(m + 1, np.int64)
    crd_off = np.zeros(m + 1, np.int64)
    for q in range(m):
        seg_off[q + 1] = seg_off[q] + (1 if q == 0 else n_kept[q - 1]) + 1
        crd_off[q + 1] = crd_off[q] + n_kept[q]
    seg = np.zeros(seg_off[m], np.int64)
    crd_out = np.empty(crd_off[m], np.int64)
    for q in range(m):
        c = crd_off[q]
        for e in range(base[q], base[q + 1]):
            if keep[e]:
                crd_out[c] = crd[e]
                c += 1
                owner = 0 if q == 0 else newpos[base[q - 1] + parent[e]]
                seg[seg_off[q] + owner + 1] += 1
        for k in range(seg_off[q] + 1, seg_off[q + 1]):
            seg[k] += seg[k - 1]
    out_vals = np.empty(n_kept[m - 1], np.float64)
    c = 0
    for e in range(n_data[m - 1]):
        if keep[base[m - 1] + e]:
            out_vals[c] = vals[e]
            c += 1
    return seg, seg_off, crd_out, crd_off, out_vals, 0
