"""Between streams and fibertrees: recover coordinates from a set of level streams, and
emit level streams from sorted coordinates.  Writers and sparse accumulators use these.

A level stream has one fiber (closed by one stop) per data token of its parent level, so
a data token's parent is simply the number of stops before it.
"""

from __future__ import annotations

import numpy as np

from labkit.sam.tokens import DONE, Stream, fiber_index


class StreamMismatch(Exception):
    """Two streams that should line up do not (the caller names the primitive)."""

    def __init__(self, port: str, why: str = "ran dry or disagreed"):
        super().__init__(f"input {port!r} {why}")
        self.port = port


def monotone(t: np.ndarray) -> np.ndarray:
    """Earliest times, one token per cycle: ``out[k] = max(t[k], out[k-1] + 1)``."""
    if len(t) == 0:
        return t.astype(np.int64)
    k = np.arange(len(t), dtype=np.int64)
    return np.maximum.accumulate(t.astype(np.int64) - k) + k


def parents(tok: np.ndarray) -> np.ndarray:
    """For each data token of a level stream, the index of its parent data token."""
    return fiber_index(tok)[tok >= 0]


def to_coo(levels: list[Stream], values: Stream | None):
    """``(coords (n, len(levels)), vals)`` from level crd streams (outer first) and the
    value stream aligned with the innermost level."""
    coords, vals, _ = to_coo_grouped(levels, values)
    return coords, vals


def to_coo_grouped(levels: list[Stream], values: Stream | None):
    """Like :func:`to_coo`, plus each entry's group: the fiber of the outermost level
    stream that holds it (what a sparse accumulator reduces within)."""
    if not levels:
        data = values.val[values.tok >= 0] if values is not None else np.zeros(0)
        return np.zeros((len(data), 0), dtype=np.int64), data, np.zeros(len(data), np.int64)
    crds = [s.tok[s.tok >= 0] for s in levels]
    up = [parents(s.tok) for s in levels]
    n = len(crds[-1])
    idx = np.arange(n)
    cols = [None] * len(levels)
    for q in range(len(levels) - 1, -1, -1):
        cols[q] = crds[q][idx]
        idx = up[q][idx]
    coords = np.stack(cols, axis=1) if n else np.zeros((0, len(levels)), dtype=np.int64)
    if values is None:
        return coords, np.ones(n), idx
    vals = values.val[values.tok >= 0]
    if len(vals) != n:
        raise StreamMismatch("val", f"carries {len(vals)} values for {n} coordinates")
    return coords, vals, idx


def emit_levels(groups: np.ndarray, coords: np.ndarray, vals: np.ndarray, n_groups: int,
                group_close: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Level token arrays for sorted unique ``coords`` (n, m) grouped into ``n_groups`` outer
    fibers (``groups`` sorted), whose top-level fibers close with ``group_close`` levels.

    Returns the m token arrays (each ending with D) and the value array aligned with the
    last one (NaN on control tokens).
    """
    n, m = coords.shape
    out = []
    parent_counts = np.bincount(groups, minlength=n_groups) if n else np.zeros(n_groups, int)
    fiber_close = np.asarray(group_close, dtype=np.int64)
    parent_of = groups
    vals_tok = None
    for q in range(m):
        # unique prefixes up to level q
        if n:
            if q == 0:
                new = np.ones(n, dtype=bool)
                new[1:] = (groups[1:] != groups[:-1]) | (coords[1:, 0] != coords[:-1, 0])
            else:
                new = new_prev.copy()
                new[1:] |= coords[1:, q] != coords[:-1, q]
        else:
            new = np.zeros(0, dtype=bool)
        fiber_of_token = parent_of[new] if q == 0 else prefix_id_prev[new]
        n_fibers = n_groups if q == 0 else int(new_prev.sum())
        counts = np.bincount(fiber_of_token, minlength=n_fibers) if n else np.zeros(n_fibers, int)
        crd = coords[new, q]
        tok = np.empty(len(crd) + n_fibers + 1, dtype=np.int64)
        stop_pos = np.cumsum(counts + 1) - 1
        data_mask = np.ones(len(tok) - 1, dtype=bool)
        data_mask[stop_pos] = False
        tok[:-1][data_mask] = crd
        tok[stop_pos] = -1 - fiber_close
        tok[-1] = DONE
        out.append(tok)
        if q == m - 1:
            summed = vals
            vals_tok = np.full(len(tok), np.nan)
            vals_tok[:-1][data_mask] = summed
        # close levels of the next level's fibers (one per data token here)
        if q < m - 1:
            last_in_fiber = np.zeros(len(crd), dtype=bool)
            ends = np.cumsum(counts) - 1
            nonempty = counts > 0
            last_in_fiber[ends[nonempty]] = True
            owner = np.repeat(np.arange(n_fibers), counts)
            child_close = np.where(last_in_fiber, fiber_close[owner] + 1, 0)
            # an empty fiber has no children: its close merges into the previous child
            empty = np.flatnonzero(~nonempty)
            before = np.cumsum(counts)[empty] - 1 - 0
            ok = before >= 0
            if ok.any():
                np.maximum.at(child_close, before[ok], fiber_close[empty[ok]] + 1)
            fiber_close = child_close
            new_prev = new
            prefix_id_prev = np.cumsum(new) - 1
    return out, vals_tok
