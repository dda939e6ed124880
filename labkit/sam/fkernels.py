"""Timing-free whole-stream kernels for functional mode, writing into caller-given buffers.

The same token semantics as :mod:`labkit.sam.kernels` (tests compare the two modes'
results and token counts), minus the clocks: functional mode needs neither the time
arrays nor fresh allocations, so every kernel writes into a slice of a reusable arena
and returns how many tokens it wrote plus a status (0 ok, >0 the input that ran dry or
disagreed).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from labkit.sam.kernels import DENSE, DONE, EMPTY, SINGLETON, _apply, _is_stop


@njit(cache=True)
def scan(ref, mode, seg, crd, dim, oc, orf):
    """Level scanner: a fiber of coordinates (``oc``) and child references (``orf``)."""
    n = len(ref)
    o = 0
    last_stop = -1
    i = 0
    while i < n:
        r = ref[i]
        if r >= 0 or r == EMPTY:
            if r >= 0:
                if mode == DENSE:
                    for p in range(dim):
                        oc[o] = p
                        orf[o] = r * dim + p
                        o += 1
                elif mode == SINGLETON:
                    oc[o] = crd[r]
                    orf[o] = r
                    o += 1
                else:
                    for p in range(seg[r], seg[r + 1]):
                        oc[o] = crd[p]
                        orf[o] = p
                        o += 1
            level = 0
            if i + 1 < n and _is_stop(ref[i + 1]):
                i += 1
                level = -1 - ref[i] + 1
            oc[o] = -1 - level
            orf[o] = -1 - level
            last_stop = o
            o += 1
        elif _is_stop(r):
            level = -1 - r + 1
            if last_stop >= 0 and -1 - oc[last_stop] < level:
                oc[last_stop] = -1 - level
                orf[last_stop] = -1 - level
        elif r == DONE:
            oc[o] = DONE
            orf[o] = DONE
            return o + 1, 0
        i += 1
    return o, 1


@njit(cache=True)
def repeat(ref, sig, out):
    """Repeater: each reference once per repeat token of its signal fiber."""
    o = 0
    j = 0
    ns = len(sig)
    for i in range(len(ref)):
        r = ref[i]
        if r >= 0 or r == EMPTY:
            while j < ns and sig[j] >= 0:
                out[o] = r
                o += 1
                j += 1
            if j >= ns or not _is_stop(sig[j]):
                return o, 2
            out[o] = sig[j]
            o += 1
            j += 1
        elif r == DONE:
            if j >= ns or sig[j] != DONE:
                return o, 2
            out[o] = DONE
            return o + 1, 0
    return o, 1


@njit(cache=True)
def repeat_signal(crd, out):
    """Repeat-signal generator: ``R`` (0) per coordinate, control tokens kept."""
    for k in range(len(crd)):
        out[k] = 0 if crd[k] >= 0 else crd[k]
    return len(crd), 0


@njit(cache=True)
def join(a, b, union, out, ia, ib):
    """Two-way intersecter/unioner; ``ia``/``ib`` are each output token's position in
    ``a``/``b`` (-1 where that side has no such coordinate)."""
    na, nb = len(a), len(b)
    o = 0
    i = 0
    j = 0
    while i < na and j < nb:
        ca = a[i]
        cb = b[j]
        if ca >= 0 and (cb < 0 or ca < cb):
            if union:
                out[o], ia[o], ib[o] = ca, i, -1
                o += 1
            i += 1
        elif cb >= 0 and (ca < 0 or cb < ca):
            if union:
                out[o], ia[o], ib[o] = cb, -1, j
                o += 1
            j += 1
        elif ca >= 0:
            out[o], ia[o], ib[o] = ca, i, j
            o += 1
            i += 1
            j += 1
        else:
            if ca == DONE and cb == DONE:
                out[o], ia[o], ib[o] = DONE, -1, -1
                return o + 1, 0
            if ca == DONE or cb == DONE:
                return o, 2 if ca == DONE else 1
            out[o], ia[o], ib[o] = min(ca, cb), -1, -1
            o += 1
            i += 1
            j += 1
    return o, 1 if i >= na else 2


@njit(cache=True)
def gather(src, pick, crd, out):
    """A join's output references: ``src[pick]`` (N where absent), control from ``crd``."""
    for k in range(len(crd)):
        if crd[k] < 0:
            out[k] = crd[k]
        elif pick[k] >= 0:
            out[k] = src[pick[k]]
        else:
            out[k] = EMPTY
    return len(crd), 0


@njit(cache=True)
def array_load(ref, vals, tok, val):
    """Array: the value behind each reference (N reads as 0)."""
    for k in range(len(ref)):
        r = ref[k]
        if r >= 0:
            tok[k] = 0
            val[k] = vals[r]
        else:
            tok[k] = 0 if r == EMPTY else r
            val[k] = 0.0
    return len(ref), 0


@njit(cache=True)
def alu(atok, aval, btok, bval, op, tok, val):
    """ALU on two value streams: data tokens pair up in order; control comes from ``a``."""
    if len(atok) == len(btok):   # the common case: both streams have the same shape
        same = True
        for k in range(len(atok)):
            tok[k] = atok[k]
            val[k] = _apply(op, aval[k], bval[k])
            same &= (atok[k] >= 0) == (btok[k] >= 0)
        if same:
            for k in range(len(atok)):
                if atok[k] < 0:
                    val[k] = 0.0
            return len(atok), 0
    j = 0
    nb = len(btok)
    for k in range(len(atok)):
        tok[k] = atok[k]
        if atok[k] >= 0:
            while j < nb and btok[j] < 0:
                j += 1
            if j >= nb:
                return k, 2
            val[k] = _apply(op, aval[k], bval[j])
            j += 1
        else:
            val[k] = 0.0
    while j < nb:
        if btok[j] >= 0:
            return len(atok), 2
        j += 1
    return len(atok), 0


@njit(cache=True)
def load_alu(ra, va, rb, vb, op, tok, val):
    """Two array loads feeding an ALU, in one pass, when both reference streams have the
    same shape (data or N at the same positions); status 1 otherwise (the caller then
    loads and pairs them separately)."""
    if len(ra) != len(rb):
        return 0, 1
    for k in range(len(ra)):
        x = ra[k]
        y = rb[k]
        if x >= 0 and y >= 0:        # the common case first
            tok[k] = 0
            val[k] = _apply(op, va[x], vb[y])
            continue
        dx = x >= 0 or x == EMPTY
        if dx != (y >= 0 or y == EMPTY):
            return k, 1
        if dx:
            tok[k] = 0
            val[k] = _apply(op, va[x] if x >= 0 else 0.0, vb[y] if y >= 0 else 0.0)
        else:
            tok[k] = x
            val[k] = 0.0
    return len(ra), 0


@njit(cache=True, inline="always")
def _close_fiber(stop_tok, acc, emit, out, out_v, o):
    """A reducer meets ``S(k)``: emit the fiber's sum (if ``emit``) then ``S(k-1)``."""
    if emit:
        out[o] = 0
        out_v[o] = acc
        o += 1
    level = -1 - stop_tok
    if level >= 1:
        out[o] = -1 - (level - 1)
        out_v[o] = 0.0
        o += 1
    return o


@njit(cache=True)
def load_alu_reduce(ra, va, rb, vb, op, emit_empty, out, out_v):
    """:func:`load_alu` feeding a scalar reducer, in one pass (the loads and the ALU's
    stream are never written); status -1 when the reference streams differ in shape."""
    if len(ra) != len(rb):
        return 0, -1
    o = 0
    acc = 0.0
    seen = False
    for k in range(len(ra)):
        x = ra[k]
        y = rb[k]
        if x >= 0 and y >= 0:
            acc += _apply(op, va[x], vb[y])
            seen = True
            continue
        dx = x >= 0 or x == EMPTY
        if dx != (y >= 0 or y == EMPTY):
            return o, -1
        if dx:
            acc += _apply(op, va[x] if x >= 0 else 0.0, vb[y] if y >= 0 else 0.0)
            seen = True
        elif _is_stop(x):
            o = _close_fiber(x, acc, seen or emit_empty, out, out_v, o)
            acc = 0.0
            seen = False
        elif x == DONE:
            out[o] = DONE
            out_v[o] = 0.0
            return o + 1, 0
    return o, 1


@njit(cache=True)
def alu_const(atok, aval, c, op, tok, val):
    for k in range(len(atok)):
        tok[k] = atok[k]
        val[k] = _apply(op, aval[k], c) if atok[k] >= 0 else 0.0
    return len(atok), 0


@njit(cache=True)
def reduce(tok, val, emit_empty, out, out_v):
    """Scalar reducer: one sum per innermost fiber; ``Sk`` becomes ``S(k-1)``."""
    o = 0
    acc = 0.0
    seen = False
    for i in range(len(tok)):
        x = tok[i]
        if x >= 0:
            acc += val[i]
            seen = True
        elif x == EMPTY:
            seen = True
        elif _is_stop(x):
            o = _close_fiber(x, acc, seen or emit_empty, out, out_v, o)
            acc = 0.0
            seen = False
        elif x == DONE:
            out[o] = DONE
            out_v[o] = 0.0
            return o + 1, 0
    return o, 1


@njit(cache=True)
def crddrop(outer, inner, oo, io, write_inner):
    """Coordinate dropper; returns (outer tokens, inner tokens, inner coordinates, status).
    With ``write_inner`` False (nobody reads it) the inner stream is only counted."""
    no, ni = len(outer), len(inner)
    a = 0
    b = 0
    nd = 0
    j = 0
    last_stop = -1
    for i in range(no):
        x = outer[i]
        if x >= 0:
            start = j
            while j < ni and inner[j] >= 0:
                j += 1
            if j >= ni or not _is_stop(inner[j]):
                return a, b, nd, 2
            if j > start:
                oo[a] = x
                a += 1
                if write_inner:
                    for p in range(start, j + 1):
                        io[b + p - start] = inner[p]
                b += j + 1 - start
                nd += j - start
                last_stop = b - 1
            elif write_inner and last_stop >= 0 and inner[j] < io[last_stop]:
                io[last_stop] = inner[j]
            j += 1
        elif _is_stop(x):
            oo[a] = x
            a += 1
        elif x == DONE:
            if j >= ni or inner[j] != DONE:
                return a, b, nd, 2
            oo[a] = DONE
            if write_inner:
                io[b] = DONE
            return a + 1, b + 1, nd, 0
    return a, b, nd, 1


@njit(cache=True)
def stkndrop(tok, out):
    """Stop-token dropper: a stop after a stop merges into it, keeping the higher level."""
    o = 0
    prev_stop = False
    for i in range(len(tok)):
        x = tok[i]
        if _is_stop(x) and (prev_stop or o == 0):
            if o > 0 and x < out[o - 1]:
                out[o - 1] = x
            continue
        out[o] = x
        o += 1
        prev_stop = _is_stop(x)
    return o, 0


@njit(cache=True)
def locate_dense(crd, parent, dim, out):
    """Locate into a dense level: ``ref = parent_ref * dim + crd`` per fiber's parent.
    Returns (tokens, status, how many coordinates became N under an N parent)."""
    p = 0
    n_empty = 0
    np_ = len(parent)
    while p < np_ and parent[p] < 0 and parent[p] != EMPTY:
        p += 1
    for k in range(len(crd)):
        c = crd[k]
        if c >= 0:
            if p >= np_:
                return k, 2, n_empty
            pr = parent[p]
            if pr >= 0:
                out[k] = pr * dim + c
            else:
                out[k] = EMPTY
                n_empty += 1
        else:
            out[k] = c
            if _is_stop(c):
                p += 1
                while p < np_ and parent[p] < 0 and parent[p] != EMPTY:
                    p += 1
    return len(crd), 0, n_empty


@njit(cache=True)
def crdhold(outer, inner, out):
    """Coordinate hold: each inner coordinate replaced by its fiber's outer coordinate."""
    n_outer = 0
    for x in outer:
        if x >= 0:
            n_outer += 1
    n_stops = 0
    for x in inner:
        if _is_stop(x):
            n_stops += 1
    if n_stops != n_outer:
        return 0, 2
    no = len(outer)
    p = 0
    while p < no and outer[p] < 0:
        p += 1
    for k in range(len(inner)):
        x = inner[k]
        if x >= 0:
            if p >= no:
                return k, 2
            out[k] = outer[p]
        else:
            out[k] = x
            if _is_stop(x):
                p += 1
                while p < no and outer[p] < 0:
                    p += 1
    return len(inner), 0


_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_INDEX = np.zeros(64, np.int64)
for _k in range(64):
    _DEBRUIJN_INDEX[(((1 << _k) * 0x03F79D71B4CB0A89) % (1 << 64)) >> 58] = _k


@njit(cache=True)
def spacc1(outer, crd, vtok, vval, out, out_v, scratch, bits):
    """Vector sparse accumulator: per fiber of ``outer``, sum the values of equal inner
    coordinates (dense scratch row, Gustavson's SPA) and emit them sorted, closed by
    that fiber's stop.  ``scratch`` is as long as the largest coordinate + 1; ``bits``
    marks the touched coordinates (64 per word), so emitting them in order walks set bits
    instead of sorting."""
    j = 0
    v = 0
    nc, nv = len(crd), len(vtok)
    o = 0
    one = np.uint64(1)
    for x in outer:
        if x >= 0:                       # one fiber of crd (and its values) per coordinate
            while j < nc and crd[j] >= 0:
                c = crd[j]
                while v < nv and vtok[v] < 0:
                    v += 1
                if v >= nv:
                    return o, 3
                bits[c >> 6] |= one << np.uint64(c & 63)
                scratch[c] += vval[v]
                v += 1
                j += 1
            if j >= nc or not _is_stop(crd[j]):
                return o, 2
            j += 1
        elif _is_stop(x):                # the group closes: emit its sums in order
            for wi in range(len(bits)):
                w = bits[wi]
                while w != 0:
                    low = w & (~w + one)
                    c = wi * 64 + _DEBRUIJN_INDEX[(low * _DEBRUIJN) >> np.uint64(58)]
                    out[o] = c
                    out_v[o] = scratch[c]
                    o += 1
                    scratch[c] = 0.0
                    w ^= low
                bits[wi] = 0
            out[o] = x
            out_v[o] = 0.0
            o += 1
        elif x == DONE:
            while v < nv:
                if vtok[v] >= 0:
                    return o, 3
                v += 1
            out[o] = DONE
            out_v[o] = 0.0
            return o + 1, 0
    return o, 1
