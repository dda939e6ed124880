"""Whole-stream loops of the primitives that need sequential state, compiled with numba.

Each kernel consumes entire input token arrays and returns entire output arrays (plus a
status: 0 ok, >0 the input port that ran dry or disagreed), so a graph runs one call
per primitive instead of one Python step per token.  Timing rides along: a primitive
keeps a clock ``clk``; a step that consumes a token made at cycle ``t`` happens no
earlier than ``t + 1`` and each output token gets the clock of the step that made it
(one token per port per cycle, unbounded FIFOs).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = -(1 << 40)
DONE = -(1 << 41)
STOP_LIMIT = -(1 << 30)

# scanner modes
DENSE, COMPRESSED, SINGLETON, BITVECTOR = 0, 1, 2, 3
# intersect/union timing modes
NORMAL, SKIP, WORDS = 0, 1, 2


@njit(cache=True, inline="always")   # inlined in numba IR: a call per token costs more
def _is_stop(x):
    return x < 0 and x > STOP_LIMIT


@njit(cache=True)
def _scan_fiber(r, i, ref, tin, mode, seg, crd, dim, clk, out_c, out_r, out_t, o):
    """One fiber of a dense or compressed scanner, timed as the artifact's scanners: the
    reference is taken at least a cycle after it was made; a compressed scanner moves to
    its next coordinate, and either scanner emits the fiber's stop, only once the *next*
    input token has arrived (it decides between ``S0`` and merging a following stop).
    Returns (tokens written, index of the last input consumed, clock)."""
    n = len(ref)
    start = max(clk + 1, tin[i] + 1)
    nxt = tin[i + 1] + 1 if i + 1 < n else start
    c = start
    count = 0
    if r >= 0:
        if mode == DENSE:
            lo, hi = 0, dim
        else:
            lo, hi = seg[r], seg[r + 1]
        for p in range(lo, hi):
            if count:
                c = c + 1 if mode == DENSE else max(c + 1, nxt)
            if mode == DENSE:
                out_c[o] = p
                out_r[o] = r * dim + p
            else:
                out_c[o] = crd[p]
                out_r[o] = p
            out_t[o] = c
            o += 1
            count += 1
    stop_at = max(c + 1, nxt) if (count or r == EMPTY) else max(start, nxt)
    level = 0
    if i + 1 < n and _is_stop(ref[i + 1]):
        i += 1
        level = -1 - ref[i] + 1
    out_c[o] = -1 - level
    out_r[o] = -1 - level
    out_t[o] = stop_at
    return o + 1, i, stop_at


@njit(cache=True)
def scan(ref, tin, mode, seg, crd, dim, wbits, cap):
    """Level scanner: a fiber of coordinates (and child references) per input reference."""
    out_c = np.empty(cap, np.int64)
    out_r = np.empty(cap, np.int64)
    out_t = np.empty(cap, np.int64)
    n = len(ref)
    o = 0
    clk = -1
    last_stop = -1
    i = 0
    while i < n:
        r = ref[i]
        if (mode == DENSE or mode == COMPRESSED) and (r >= 0 or r == EMPTY):
            o, i, clk = _scan_fiber(r, i, ref, tin, mode, seg, crd, dim, clk, out_c, out_r, out_t, o)
            last_stop = o - 1
        elif r >= 0 or r == EMPTY:
            clk = max(clk, tin[i])
            if r >= 0:
                if mode == DENSE:
                    lo, hi = 0, dim
                elif mode == SINGLETON:
                    lo, hi = r, r + 1
                else:
                    lo, hi = seg[r], seg[r + 1]
                word = -1
                for p in range(lo, hi):
                    if mode == DENSE:
                        c = p
                        child = r * dim + p
                    else:
                        c = crd[p]
                        child = p
                    if mode == BITVECTOR:
                        if c // wbits != word:
                            word = c // wbits
                            clk += 1
                    else:
                        clk += 1
                    out_c[o] = c
                    out_r[o] = child
                    out_t[o] = clk
                    o += 1
            level = 0
            if i + 1 < n and _is_stop(ref[i + 1]):
                i += 1
                level = -1 - ref[i] + 1
                clk = max(clk, tin[i])
            clk += 1
            out_c[o] = -1 - level
            out_r[o] = -1 - level
            out_t[o] = clk
            last_stop = o
            o += 1
        elif _is_stop(r):
            level = -1 - r + 1
            if last_stop >= 0 and -1 - out_c[last_stop] < level:
                out_c[last_stop] = -1 - level
                out_r[last_stop] = -1 - level
        elif r == DONE:
            clk = max(clk, tin[i]) + 1
            out_c[o] = DONE
            out_r[o] = DONE
            out_t[o] = clk
            o += 1
            return out_c[:o], out_r[:o], out_t[:o], 0
        i += 1
    return out_c[:o], out_r[:o], out_t[:o], 1


@njit(cache=True)
def repeat(ref, tin, sig, tsig):
    """Repeater: each input reference once per repeat token of its signal fiber."""
    cap = len(sig)
    out = np.empty(cap, np.int64)
    out_t = np.empty(cap, np.int64)
    o = 0
    j = 0
    clk = -1
    ns = len(sig)
    for i in range(len(ref)):
        r = ref[i]
        if r >= 0 or r == EMPTY:
            clk = max(clk, tin[i])
            while j < ns and sig[j] >= 0:
                clk = max(clk + 1, tsig[j] + 1)
                out[o] = r
                out_t[o] = clk
                o += 1
                j += 1
            if j >= ns or not _is_stop(sig[j]):
                return out[:o], out_t[:o], 2
            clk = max(clk + 1, tsig[j] + 1)
            out[o] = sig[j]
            out_t[o] = clk
            o += 1
            j += 1
        elif r == DONE:
            if j >= ns or sig[j] != DONE:
                return out[:o], out_t[:o], 2
            clk = max(clk + 1, max(tin[i], tsig[j]) + 1)
            out[o] = DONE
            out_t[o] = clk
            o += 1
            return out[:o], out_t[:o], 0
    return out[:o], out_t[:o], 1


@njit(cache=True)
def _put(out, out_t, ia, ib, o, tok, clk, i, j):
    out[o] = tok
    out_t[o] = clk
    ia[o] = i
    ib[o] = j
    return o + 1


@njit(cache=True)
def _step_cost(mode, side, last_side, crd, word, wbits):
    """Cycles a one-sided advance costs: SKIP pays once per run of advances on one side,
    WORDS once per new bitvector word; returns (cost, new last_side, new word)."""
    if mode == SKIP:
        return (1 if last_side != side else 0), side, word
    if mode == WORDS:
        w = crd // wbits
        return (1 if w != word else 0), last_side, w
    return 0, last_side, word


@njit(cache=True)
def join(a, ta, b, tb, union, mode, wbits):
    """Two-way intersecter (``union=False``) or unioner of coordinate streams.

    Returns the output coordinates and times and, per output token, the position of the
    matching token in ``a`` and ``b`` (-1 where that side has no such coordinate).
    Timing modes: NORMAL (one comparison per cycle, inputs' times respected), SKIP (a run
    of tokens on one side costs one cycle: skip-ahead scanners) and WORDS (bitvector
    levels: advancing within a ``wbits``-wide word is free).
    """
    if mode == NORMAL:
        return join_held(a, ta, b, tb, union)
    na, nb = len(a), len(b)
    cap = na + nb
    out = np.empty(cap, np.int64)
    out_t = np.empty(cap, np.int64)
    ia = np.empty(cap, np.int64)
    ib = np.empty(cap, np.int64)
    o = 0
    i = 0
    j = 0
    clk = -1
    last_side = 0
    wa = -1
    wb = -1
    while i < na and j < nb:
        ca = a[i]
        cb = b[j]
        if mode == NORMAL:
            if ca >= 0 and cb >= 0:
                ready = ta[i] if ca < cb else (tb[j] if cb < ca else max(ta[i], tb[j]))
            elif ca >= 0:
                ready = ta[i]
            elif cb >= 0:
                ready = tb[j]
            else:
                ready = max(ta[i], tb[j])
            clk = max(clk + 1, ready + 1)
        if ca >= 0 and (cb < 0 or ca < cb):          # advance a alone
            if cb >= 0:
                cost, last_side, wa = _step_cost(mode, 1, last_side, ca, wa, wbits)
            else:
                cost = 1 if mode != NORMAL else 0
            clk += cost
            if union:
                o = _put(out, out_t, ia, ib, o, ca, clk, i, -1)
            i += 1
        elif cb >= 0 and (ca < 0 or cb < ca):        # advance b alone
            if ca >= 0:
                cost, last_side, wb = _step_cost(mode, 2, last_side, cb, wb, wbits)
            else:
                cost = 1 if mode != NORMAL else 0
            clk += cost
            if union:
                o = _put(out, out_t, ia, ib, o, cb, clk, -1, j)
            j += 1
        elif ca >= 0:                                # equal coordinates
            if mode != NORMAL:
                clk += 1
                last_side = 0
            o = _put(out, out_t, ia, ib, o, ca, clk, i, j)
            i += 1
            j += 1
        else:                                        # both control tokens
            if mode != NORMAL:
                clk += 1
                last_side = 0
            if ca == DONE and cb == DONE:
                o = _put(out, out_t, ia, ib, o, DONE, clk, -1, -1)
                return out[:o], out_t[:o], ia[:o], ib[:o], 0
            if ca == DONE or cb == DONE:
                return out[:o], out_t[:o], ia[:o], ib[:o], 2 if ca == DONE else 1
            o = _put(out, out_t, ia, ib, o, min(ca, cb), clk, -1, -1)  # the higher stop
            i += 1
            j += 1
    return out[:o], out_t[:o], ia[:o], ib[:o], 1 if i >= na else 2


@njit(cache=True)
def join_held(a, ta, b, tb, union):
    """The SAM artifact's two-way joiner, cycle for cycle (its Intersect2/Union2).

    It holds one current token per side.  A step needs a token waiting on *both* inputs
    (made at least one cycle earlier), even to advance one side; the step emits from the
    held pair and pops the side(s) it advanced, so a matched coordinate leaves one step
    after it arrived.  The first step only loads the pair; ``D`` leaves the cycle after
    both ``D`` were loaded.  Union: a side at a stop or with the smaller coordinate sends
    the other side's (resp. its own) coordinate with ``N`` as the missing reference.
    """
    na, nb = len(a), len(b)
    cap = na + nb + 2
    out = np.empty(cap, np.int64)
    out_t = np.empty(cap, np.int64)
    ia = np.empty(cap, np.int64)
    ib = np.empty(cap, np.int64)
    o = 0
    i = 0
    j = 0
    clk = 0
    held = False
    c1 = 0
    c2 = 0
    p1 = -1
    p2 = -1
    while i < na and j < nb:
        clk = max(clk, ta[i] + 1, tb[j] + 1)
        pop1 = False
        pop2 = False
        if not held:                                   # load the first pair
            pop1 = True
            pop2 = True
            held = True
        elif c1 == DONE or c2 == DONE:
            break
        elif c1 == c2:                                 # equal coordinates or equal stops
            o = _put(out, out_t, ia, ib, o, c1, clk, p1, p2)
            pop1 = True
            pop2 = True
        elif _is_stop(c1) and _is_stop(c2):           # stops of different levels
            o = _put(out, out_t, ia, ib, o, min(c1, c2), clk, p1, p2)
            pop1 = True
            pop2 = True
        elif _is_stop(c1):                             # side 1 waits at its stop
            if union:
                o = _put(out, out_t, ia, ib, o, c2, clk, -1, p2)
            pop2 = True
        elif _is_stop(c2):
            if union:
                o = _put(out, out_t, ia, ib, o, c1, clk, p1, -1)
            pop1 = True
        elif c1 < c2:
            if union:
                o = _put(out, out_t, ia, ib, o, c1, clk, p1, -1)
            pop1 = True
        else:
            if union:
                o = _put(out, out_t, ia, ib, o, c2, clk, -1, p2)
            pop2 = True
        if pop1:
            c1 = a[i]
            p1 = i
            i += 1
        if pop2:
            c2 = b[j]
            p2 = j
            j += 1
        clk += 1
    if held and c1 == DONE and c2 == DONE:
        o = _put(out, out_t, ia, ib, o, DONE, clk, -1, -1)
        return out[:o], out_t[:o], ia[:o], ib[:o], 0
    return out[:o], out_t[:o], ia[:o], ib[:o], 1 if (i >= na and c1 != DONE) else 2


@njit(cache=True)
def _one_per_cycle(tin, extra):
    """A stage that takes one token per cycle, each at least a cycle after it was made
    (``extra`` cycles later still): the time each token leaves it."""
    out = np.empty(len(tin), np.int64)
    clk = -(1 << 40)
    for k in range(len(tin)):
        clk = max(clk + 1, tin[k] + 1 + extra)
        out[k] = clk
    return out


@njit(cache=True)
def spacc_times(vtok, vt, itok, it, groups_in, groups_out, conv_groups):
    """The SAM artifact's vector sparse accumulator, cycle for cycle, as its graphs wire it:
    the inner coordinate passes a coordinate hold (whose held outer coordinate leaves a
    cycle after it), then coordinates and values each pass a stop-token dropper (one token
    per cycle); the accumulator takes one (outer, inner, value) triple per cycle once all
    three are waiting, and starts emitting a group's sorted points, one per cycle, when
    the first triple of the next group (or ``D``) is taken; its coordinate-point converter
    emits one token per cycle, an ``S0`` cycle before a new group's first point, and closes
    with a stop cycle and a ``D`` cycle.  The matrix accumulator is the same with one input
    group (it emits only after ``D``) and the converter grouping points by their outer
    coordinate (``conv_groups``; the vector accumulator's are its groups).

    Returns (value time per output point, coordinate time per output point, close time per
    converter group (-1 where empty), coordinate ``D`` time, value ``D`` time).
    """
    hold = _one_per_cycle(it, 0)
    inner = _one_per_cycle(hold, 0)
    outer = _one_per_cycle(hold + 1, 0)
    vals = _one_per_cycle(vt, 0)
    n_groups = 0
    for g in groups_in:
        n_groups = max(n_groups, g + 1)
    for g in groups_out:
        n_groups = max(n_groups, g + 1)
    n_conv = 0
    for g in conv_groups:
        n_conv = max(n_conv, g + 1)
    first_pop = np.full(n_groups + 1, -1, np.int64)
    pop = -(1 << 40)
    a = 0
    b = 0
    n = 0
    for k in range(len(vtok)):              # values and inner coordinates in step
        if vtok[k] < 0:
            continue
        while a < len(itok) - 1 and itok[a] < 0:   # (callers check the counts agree)
            a += 1
        pop = max(pop + 1, vals[k] + 1, inner[a] + 1, outer[a] + 1)
        g = groups_in[n]
        if first_pop[g] < 0:
            first_pop[g] = pop
        a += 1
        n += 1
    pop_done = max(pop + 1, vals[len(vtok) - 1] + 1, inner[len(itok) - 1] + 1,
                   outer[len(itok) - 1] + 1)
    trigger = np.full(n_groups + 1, pop_done, np.int64)
    nxt = pop_done
    for g in range(n_groups - 1, -1, -1):   # a group leaves when the next one starts
        trigger[g] = nxt
        if first_pop[g] >= 0:
            nxt = first_pop[g]
    m = len(groups_out)
    val_t = np.empty(m, np.int64)
    crd_t = np.empty(m, np.int64)
    close = np.full(n_conv + 1, -1, np.int64)
    e = -(1 << 40)
    c = -(1 << 40)
    for k in range(m):
        e = max(e + 1, trigger[groups_out[k]])
        val_t[k] = e
        if k > 0 and conv_groups[k] != conv_groups[k - 1]:
            c = max(c + 1, e)
            close[conv_groups[k - 1]] = c
            c += 1
        else:
            c = max(c + 1, e)
        crd_t[k] = c
    val_done = max(e + 1, pop_done) if m else pop_done
    if m:
        c = max(c + 1, val_done)
        close[conv_groups[m - 1]] = c
        crd_done = c + 1
    else:
        crd_done = val_done
    return val_t, crd_t, close, crd_done, val_done


@njit(cache=True)
def place_times(tok, data_t, group_close, done_t):
    """Times for an output stream of one fiber per group: data tokens take ``data_t`` in
    order, a group's stop its close time (an empty group's: the previous token's), ``D``
    ``done_t``; made monotone."""
    out = np.empty(len(tok), np.int64)
    k = 0
    g = 0
    last = -(1 << 40)
    for q in range(len(tok)):
        x = tok[q]
        if x >= 0:
            t = data_t[k]
            k += 1
        elif x == DONE:
            t = done_t
        else:
            t = group_close[g] if g < len(group_close) and group_close[g] >= 0 else last
            g += 1
        last = max(last, t)
        out[q] = last
    return out


@njit(cache=True)
def reduce(tok, val, tin, emit_empty):
    """Scalar reducer: one sum per innermost fiber; ``Sk`` becomes ``S(k-1)``."""
    n = len(tok)
    out = np.empty(2 * n, np.int64)
    out_v = np.zeros(2 * n, np.float64)
    out_t = np.empty(2 * n, np.int64)
    o = 0
    acc = 0.0
    seen = False
    clk = -1
    for i in range(n):
        x = tok[i]
        clk = max(clk + 1, tin[i] + 1)
        if x >= 0:
            acc += val[i]
            seen = True
        elif x == EMPTY:
            seen = True
        elif _is_stop(x):
            if seen or emit_empty:
                out[o] = 0
                out_v[o] = acc
                out_t[o] = clk
                o += 1
            level = -1 - x
            if level >= 1:
                clk += 1
                out[o] = -1 - (level - 1)
                out_t[o] = clk
                o += 1
            acc = 0.0
            seen = False
        elif x == DONE:
            out[o] = DONE
            out_t[o] = clk
            o += 1
            return out[:o], out_v[:o], out_t[:o], 0
    return out[:o], out_v[:o], out_t[:o], 1


@njit(cache=True)
def crddrop(outer, tout, inner, tinn):
    """Coordinate dropper: remove outer coordinates whose inner fiber is empty, and those
    fibers' stops from the inner stream."""
    no, ni = len(outer), len(inner)
    oo = np.empty(no, np.int64)
    oo_t = np.empty(no, np.int64)
    io = np.empty(ni, np.int64)
    io_t = np.empty(ni, np.int64)
    a = 0
    b = 0
    j = 0
    clk = -1
    last_stop = -1
    for i in range(no):
        x = outer[i]
        if x >= 0:
            start = j
            while j < ni and inner[j] >= 0:
                j += 1
            if j >= ni or not _is_stop(inner[j]):
                return oo[:a], oo_t[:a], io[:b], io_t[:b], 2
            clk = max(clk + 1, tout[i] + 1)
            if j > start:
                oo[a] = x
                oo_t[a] = clk
                a += 1
                for p in range(start, j + 1):
                    clk = max(clk + 1, tinn[p] + 1)
                    io[b] = inner[p]
                    io_t[b] = clk
                    b += 1
                last_stop = b - 1
            else:
                clk = max(clk, tinn[j] + 1)
                if last_stop >= 0 and inner[j] < io[last_stop]:
                    io[last_stop] = inner[j]
            j += 1
        elif _is_stop(x):
            clk = max(clk + 1, tout[i] + 1)
            oo[a] = x
            oo_t[a] = clk
            a += 1
        elif x == DONE:
            if j >= ni or inner[j] != DONE:
                return oo[:a], oo_t[:a], io[:b], io_t[:b], 2
            clk = max(clk + 1, max(tout[i], tinn[j]) + 1)
            oo[a] = DONE
            oo_t[a] = clk
            io[b] = DONE
            io_t[b] = clk
            return oo[:a + 1], oo_t[:a + 1], io[:b + 1], io_t[:b + 1], 0
    return oo[:a], oo_t[:a], io[:b], io_t[:b], 1


@njit(cache=True)
def stkndrop(tok, tin):
    """Stop-token dropper: a stop that follows a stop (an empty fiber) is merged into the
    previous one, keeping the higher level."""
    n = len(tok)
    out = np.empty(n, np.int64)
    out_t = np.empty(n, np.int64)
    o = 0
    prev_stop = False
    clk = -1
    for i in range(n):
        x = tok[i]
        if _is_stop(x) and (prev_stop or o == 0):
            if o > 0 and x < out[o - 1]:
                out[o - 1] = x
            continue
        clk = max(clk + 1, tin[i] + 1)
        out[o] = x
        out_t[o] = clk
        o += 1
        prev_stop = _is_stop(x)
    return out[:o], out_t[:o]


# -- single-pass maps (numba beats several numpy passes on streams of 10^4-10^6 tokens) --

@njit(cache=True)
def monotone(t):
    """Earliest times with one token per cycle: ``out[k] = max(t[k], out[k-1] + 1)``."""
    out = np.empty(len(t), np.int64)
    last = -(1 << 60)
    for k in range(len(t)):
        last = max(t[k], last + 1)
        out[k] = last
    return out


@njit(cache=True)
def array_load(ref, tin, vals):
    """Array: value behind each reference; N reads as 0.0."""
    n = len(ref)
    tok = np.empty(n, np.int64)
    val = np.zeros(n, np.float64)
    t = np.empty(n, np.int64)
    last = -(1 << 60)
    for k in range(n):
        r = ref[k]
        if r >= 0:
            tok[k] = 0
            val[k] = vals[r]
        elif r == EMPTY:
            tok[k] = 0
        else:
            tok[k] = r
        last = max(tin[k] + 1, last + 1)
        t[k] = last
    return tok, val, t


@njit(cache=True, inline="always")
def _apply(op, x, y):
    if op == 0:
        return x + y
    if op == 1:
        return x - y
    if op == 2:
        return x * y
    if op == 3:
        return max(x, y)
    if op == 4:
        return min(x, y)
    return y - x


@njit(cache=True)
def alu(atok, aval, at, btok, bval, bt, op):
    """ALU on two value streams: data tokens pair up in order; stops come from ``a``.

    Timing as the artifact's Add2/Multiply2: a step takes one token from each input (a
    control token of ``a`` pairs with ``b``'s next control token), so every output token,
    stops and ``D`` included, waits for both."""
    n = len(atok)
    val = np.zeros(n, np.float64)
    t = np.empty(n, np.int64)
    j = 0
    nb = len(btok)
    last = -(1 << 60)
    for k in range(n):
        ready = at[k]
        if atok[k] >= 0:
            while j < nb and btok[j] < 0:
                j += 1
            if j >= nb:
                return val, t, 2
            val[k] = _apply(op, aval[k], bval[j])
            ready = max(ready, bt[j])
            j += 1
        elif j < nb and btok[j] < 0:
            ready = max(ready, bt[j])
            j += 1
        last = max(ready + 1, last + 1)
        t[k] = last
    while j < nb:
        if btok[j] >= 0:
            return val, t, 2
        j += 1
    return val, t, 0


@njit(cache=True)
def alu_const(atok, aval, at, c, op):
    n = len(atok)
    val = np.zeros(n, np.float64)
    t = np.empty(n, np.int64)
    last = -(1 << 60)
    for k in range(n):
        if atok[k] >= 0:
            val[k] = _apply(op, aval[k], c)
        last = max(at[k] + 1, last + 1)
        t[k] = last
    return val, t


@njit(cache=True)
def locate_dense(crd, tin, parent, dim):
    """Locate into a dense level: ``ref = parent_ref * dim + crd`` per fiber's parent.

    Combinational, as the artifact's fused locate (a coordinate used directly as the dense
    level's reference): each reference leaves with its coordinate."""
    n = len(crd)
    out = np.empty(n, np.int64)
    t = np.empty(n, np.int64)
    p = 0
    np_ = len(parent)
    while p < np_ and parent[p] < 0 and parent[p] != EMPTY:
        p += 1
    last = -(1 << 60)
    for k in range(n):
        c = crd[k]
        if c >= 0:
            if p >= np_:
                return out, t, 2
            pr = parent[p]
            out[k] = pr * dim + c if pr >= 0 else EMPTY
        else:
            out[k] = c
            if _is_stop(c):  # next fiber: next parent reference
                p += 1
                while p < np_ and parent[p] < 0 and parent[p] != EMPTY:
                    p += 1
        last = max(tin[k], last)
        t[k] = last
    return out, t, 0


@njit(cache=True)
def spacc1(groups, crd, vals, dim):
    """Vector sparse accumulator over entries ordered by group: per group, sum values of
    equal coordinates in a dense scratch row and emit them sorted (Gustavson's SPA)."""
    n = len(groups)
    acc = np.zeros(dim, np.float64)
    used = np.zeros(dim, np.bool_)
    out_g = np.empty(n, np.int64)
    out_c = np.empty(n, np.int64)
    out_v = np.empty(n, np.float64)
    touched = np.empty(n, np.int64)
    o = 0
    k = 0
    while k < n:
        g = groups[k]
        m = 0
        while k < n and groups[k] == g:
            c = crd[k]
            if not used[c]:
                used[c] = True
                touched[m] = c
                m += 1
            acc[c] += vals[k]
            k += 1
        order = np.sort(touched[:m])
        for q in range(m):
            c = order[q]
            out_g[o] = g
            out_c[o] = c
            out_v[o] = acc[c]
            o += 1
            acc[c] = 0.0
            used[c] = False
    return out_g[:o], out_c[:o], out_v[:o]


@njit(cache=True)
def count_tokens(tok):
    """(data, stop, empty, done) token counts of one stream in a single pass."""
    data = stops = empty = done = 0
    for x in tok:
        if x >= 0:
            data += 1
        elif x == EMPTY:
            empty += 1
        elif x == DONE:
            done += 1
        else:
            stops += 1
    return data, stops, empty, done
