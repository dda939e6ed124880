"""Tiled ikj SpM*SpM under the memory model: the paper's recreation of ExTensor's Fig. 19.

Both operands are tiled twice (:mod:`labkit.sam.tiling`): into GLB tiles, and each GLB
tile into memory tiles. The tile-level Gustavson graph picks the GLB tile pairs in ikj
order; each pair is loaded into the GLB (unless already there: B stays while J varies),
the memory-level graph picks the memory tile pairs inside, each loaded into the memory
tile, and one tile-level SAM graph multiplies the GLB pair: Gustavson over its memory
tiles (the outer levels of order-4 fibertrees) and inside each memory tile pair (the inner
levels); its cycles are the compute. Partial products accumulate per output GLB tile, and
each finished output tile is written back through both links. Cycles are the serial sum
of compute, loads and write-back; ``overlapped_cycles`` is the double-buffered bound, where
each GLB pair's loads hide behind its compute (per pair the larger of the two).

What is left out: partial outputs are not spilled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labkit.lab.errors import InputError
from labkit.sam.memory import MemoryModel
from labkit.sam.tiling import (as_fibertree, from_fibertree, tile_elements, tile_matrix,
                                tile_pairs)

# the sweep of ExTensor's Fig. 19 as the SAM paper recreates it (issue 14; the artifact's
# plot_memory_model.py legend lists the nonzero counts)
DIMS = tuple(range(1024, 15721, 1336))
NNZS = (5000, 10000, 25000, 50000)


def fixed_nnz_matrix(dim: int, nnz: int, seed: int = 0) -> sp.csr_matrix:
    """A ``dim x dim`` matrix with exactly ``nnz`` nonzeros at uniform random places."""
    if dim < 1 or not 0 <= nnz <= dim * dim:
        raise InputError(f"fixed-nnz matrix: {nnz} nonzeros do not fit in {dim}x{dim}")
    rng = np.random.default_rng(seed)
    flat = rng.choice(dim * dim, size=nnz, replace=False)
    return sp.csr_matrix((1.0 + rng.random(nnz), divmod(flat, dim)), shape=(dim, dim))


@dataclass
class Counters:
    compute: int = 0
    glb_load: int = 0
    mem_load: int = 0
    writeback: int = 0
    schedule: int = 0          # the tile-level graphs' own cycles (reported, not added)
    overlapped: int = 0        # double-buffered bound: per GLB pair max(compute, loads)
    glb_pairs: int = 0
    mem_pairs: int = 0
    glb_bytes: int = 0
    mem_bytes: int = 0

    @property
    def cycles(self) -> int:
        return self.compute + self.glb_load + self.mem_load + self.writeback


@dataclass
class TiledRun:
    counters: Counters
    result: sp.csr_matrix = field(repr=False)
    model: MemoryModel = field(repr=False)

    def summary(self) -> dict:
        c = self.counters
        return {"cycles": c.cycles, "seconds": self.model.seconds(c.cycles),
                "overlapped_cycles": c.overlapped, "compute_cycles": c.compute,
                "glb_load_cycles": c.glb_load,
                "mem_load_cycles": c.mem_load, "writeback_cycles": c.writeback,
                "tile_schedule_cycles": c.schedule, "glb_pairs": c.glb_pairs,
                "mem_pairs": c.mem_pairs, "glb_bytes": c.glb_bytes, "mem_bytes": c.mem_bytes}


def _load(model, counters, elements, level, writeback=False):
    """Move one tile over the ``level`` link ("glb": main<->GLB, "mem": GLB<->memory tile)."""
    if level == "glb":
        cycles = model.glb_transfer(elements)
        counters.glb_bytes += model.bytes_of(elements)
    else:
        cycles = model.mem_transfer(elements)
        counters.mem_bytes += model.bytes_of(elements)
    if writeback:
        counters.writeback += cycles
    elif level == "glb":
        counters.glb_load += cycles
    else:
        counters.mem_load += cycles


def _load_pair(model, counters, held, pair, elements, level):
    """Load B's tile ``pair[0]`` and C's tile ``pair[1]`` into ``level`` (``elements``:
    each side's element counts per tile), each unless it is the one already held there;
    the pair is checked to fit first. Returns the pair now held."""
    (x, y), (eb, ec) = pair, (int(elements[0][pair[0]]), int(elements[1][pair[1]]))
    model.check_fits(eb + ec, level)
    if x != held[0]:
        _load(model, counters, eb, level)
    if y != held[1]:
        _load(model, counters, ec, level)
    return pair


def _memory_tiles(model, counters, btile, ctile):
    """Load the memory tile pairs of one GLB pair, in the memory-level graph's order."""
    bm, cm = tile_matrix(btile, model.mem_tile), tile_matrix(ctile, model.mem_tile)
    pairs, cycles = tile_pairs(bm, cm)
    counters.schedule += cycles
    counters.mem_pairs += len(pairs)
    held = (None, None)
    for x, y in pairs:
        held = _load_pair(model, counters, held, (x, y), (bm.elements, cm.elements), "mem")


TILED_GUSTAVSON = "X(a,b,i,j)=B(a,c,i,k)*C(c,b,k,j)"   # a,b,c: memory-tile coordinates


@lru_cache(maxsize=1)
def _tiled_program():
    from labkit.sam.custard import compile_expr

    return compile_expr(TILED_GUSTAVSON, {"B": "cccc", "C": "cccc"}, "acbikj")


def _multiply(btile, ctile, side) -> tuple[int, sp.csr_matrix]:
    """One GLB tile pair through the tile-level SAM graph: Gustavson over the memory
    tiles (outer levels a, c, b) and inside each memory tile pair (levels i, k, j)."""
    from labkit.sam.simulate import simulate

    sim = simulate(_tiled_program(), {"B": as_fibertree(btile, side),
                                      "C": as_fibertree(ctile, side)})
    coords, vals = sim.output.to_coo()
    return int(sim.cycles), from_fibertree(coords, vals, side, (btile.shape[0], ctile.shape[1]))


def _write_back(model, counters, partials):
    for part in partials.values():
        part = sp.csr_matrix(part)
        part.eliminate_zeros()
        if part.nnz == 0:
            continue
        _load(model, counters, tile_elements(part), "glb", writeback=True)
        for elements in tile_matrix(part, model.mem_tile).elements:
            _load(model, counters, int(elements), "mem", writeback=True)


def tiled_spmspm(b, c, model: MemoryModel = MemoryModel()) -> TiledRun:
    """``X = B C`` tiled for ``model``; the result and the cycle and byte counters."""
    b, c = sp.csr_matrix(b), sp.csr_matrix(c)
    if b.shape[1] != c.shape[0]:
        raise InputError(f"tiled SpM*SpM: B is {b.shape}, C is {c.shape}; inner dimensions differ")
    bg, cg = tile_matrix(b, model.glb_side), tile_matrix(c, model.glb_side)
    counters = Counters()
    pairs, counters.schedule = tile_pairs(bg, cg)
    counters.glb_pairs = len(pairs)
    partials: dict = {}
    held = (None, None)
    for x, y in pairs:
        loads_before = counters.glb_load + counters.mem_load
        btile, ctile = bg.tile(x), cg.tile(y)
        held = _load_pair(model, counters, held, (x, y), (bg.elements, cg.elements), "glb")
        _memory_tiles(model, counters, btile, ctile)
        cycles, product = _multiply(btile, ctile, model.mem_tile)
        counters.compute += cycles
        counters.overlapped += max(cycles, counters.glb_load + counters.mem_load - loads_before)
        key = (bg.keys[x][0], cg.keys[y][1])
        partials[key] = partials[key] + product if key in partials else product
    _write_back(model, counters, partials)
    counters.overlapped += counters.writeback
    return TiledRun(counters, _assemble(partials, model.glb_side, (b.shape[0], c.shape[1])), model)


def _assemble(partials, side, shape) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for (r, c), part in partials.items():
        coo = sp.coo_matrix(part)
        rows.append(coo.row + r * side)
        cols.append(coo.col + c * side)
        vals.append(coo.data)
    if not rows:
        return sp.csr_matrix(shape)
    rows, cols, vals = (np.concatenate(a) for a in (rows, cols, vals))
    keep = (rows < shape[0]) & (cols < shape[1])
    return sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=shape)


def run_point(dim: int, nnz: int, model: MemoryModel = MemoryModel(), seed: int = 0) -> dict:
    """One point of the sweep: ``B C`` of two random ``dim x dim`` matrices with ``nnz``
    nonzeros each; the summary and whether the tiled result equals scipy's product."""
    b, c = fixed_nnz_matrix(dim, nnz, seed), fixed_nnz_matrix(dim, nnz, seed + 1)
    run = tiled_spmspm(b, c, model)
    gold = (b @ c).tocsr()
    diff = abs(run.result - gold)
    ok = bool(diff.nnz == 0 or diff.max() <= 1e-9 * max(1.0, abs(gold).max()))
    return {"dim": dim, "nnz": nnz, "glb_tile": model.glb_tile, "mem_tile": model.mem_tile,
            **run.summary(), "result_nnz": int(gold.nnz), "matches_scipy": ok}


def sweep(nnzs=NNZS, dims=DIMS, model: MemoryModel = MemoryModel(), seed: int = 0) -> pd.DataFrame:
    """The Fig. 15 grid, one row per (nnz, dimension)."""
    from tqdm.auto import tqdm

    grid = [(n, d) for n in nnzs for d in dims]
    return pd.DataFrame([run_point(d, n, model, seed) for n, d in tqdm(grid, leave=False,
                                                                        desc="tiled SpM*SpM")])


def fig15_findings(frame: pd.DataFrame) -> dict:
    """What the figure shows, as measured values: cycles against nnz at each dimension,
    the share of cycles moving tiles at the fewest nonzeros by dimension, and the cycle
    trend over dimension per nnz."""
    table = frame.pivot_table(index="dim", columns="nnz", values="cycles")
    rising = bool((table.diff(axis=1).iloc[:, 1:] > 0).all().all()) if table.shape[1] > 1 else False
    share = (frame.glb_load_cycles + frame.mem_load_cycles + frame.writeback_cycles) / frame.cycles
    fewest = frame[frame.nnz == frame.nnz.min()].assign(share=share).sort_values("dim")
    trend = {int(n): float(table[n].iloc[-1] / table[n].iloc[0]) for n in table.columns}
    return {"more_nnz_more_cycles": rising, "all_match_scipy": bool(frame.matches_scipy.all()),
            "transfer_share_smallest_dim": float(fewest.share.iloc[0]),
            "transfer_share_largest_dim": float(fewest.share.iloc[-1]),
            "transfer_share_grows": bool(len(fewest) > 1
                                         and fewest.share.iloc[-1] > fewest.share.iloc[0]),
            "largest_over_smallest_dim": trend}
