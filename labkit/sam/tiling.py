"""Tensor tiling into fibertree tiles, and the tile-level SAM graph that schedules them.

A matrix cut into ``side x side`` tiles becomes a two-level fibertree of tiles: the
*occupancy* matrix (one entry per nonempty tile, its value the tile's number + 1) over
the tiles themselves (local coordinates). Tiled SpM*SpM in ikj order runs the same
Gustavson graph twice: on the occupancy matrices, where its value streams name the tile
pairs to multiply in order (:func:`tile_pairs`), and on each pair of tiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from labkit.lab.errors import InputError


def check_tile_side(side, what: str = "tile size") -> int:
    """The one validator of a tile size: a positive integer."""
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 1:
        raise InputError(f"{what} {side!r}: must be a positive integer")
    return int(side)


@dataclass
class Tiled:
    """A matrix in ``side``-square tiles: ``keys[n]`` is tile n's (row, column) in the
    tile grid, ``elements[n]`` its stored size (:func:`tile_elements`), ``tile(n)`` its
    CSR matrix in local coordinates (built on demand)."""

    side: int
    shape: tuple
    keys: list
    elements: np.ndarray
    occupancy: sp.csr_matrix
    _coo: tuple = field(repr=False, default=())
    _bounds: np.ndarray = field(repr=False, default=None)

    def tile(self, n: int) -> sp.csr_matrix:
        lo, hi = self._bounds[n], self._bounds[n + 1]
        rows, cols, vals = (a[lo:hi] for a in self._coo)
        return sp.csr_matrix((vals, (rows, cols)), shape=(self.side, self.side))

    @property
    def tiles(self) -> list:
        return [self.tile(n) for n in range(len(self.keys))]


def tile_matrix(matrix, side: int) -> Tiled:
    """Cut ``matrix`` (anything scipy reads) into ``side x side`` tiles; empty tiles are
    not stored. Tiles are numbered in row-major order of the tile grid."""
    side = check_tile_side(side)
    coo = sp.coo_matrix(matrix)
    coo.sum_duplicates()
    grid = (-(-coo.shape[0] // side), -(-coo.shape[1] // side))
    tile_id = (coo.row // side).astype(np.int64) * grid[1] + coo.col // side
    order = np.lexsort((coo.col, coo.row, tile_id))
    tile_id = tile_id[order]
    rows, cols = coo.row[order] % side, coo.col[order] % side
    ids, starts, nnz = np.unique(tile_id, return_index=True, return_counts=True)
    bounds = np.append(starts, len(order))
    row_key = tile_id * side + rows
    first_of_row = np.ones(len(row_key), dtype=bool)
    first_of_row[1:] = row_key[1:] != row_key[:-1]
    nonempty_rows = np.add.reduceat(first_of_row.astype(np.int64), starts) if len(ids) else nnz
    elements = 2 * nnz + 2 * nonempty_rows + 3
    keys = [divmod(int(t), grid[1]) for t in ids]
    occupancy = sp.csr_matrix((np.arange(1, len(keys) + 1, dtype=float),
                               ([k[0] for k in keys], [k[1] for k in keys])), shape=grid)
    return Tiled(side, coo.shape, keys, elements, occupancy,
                 (rows, cols, coo.data[order]), bounds)


def as_fibertree(matrix, side: int):
    """``matrix`` as an order-4 fibertree of tiles: modes (tile row, tile column, row in
    tile, column in tile), so a SAM graph iterates tiles at its outer levels."""
    import sparse

    side = check_tile_side(side)
    coo = sp.coo_matrix(matrix)
    grid = (-(-coo.shape[0] // side), -(-coo.shape[1] // side))
    coords = np.stack([coo.row // side, coo.col // side, coo.row % side, coo.col % side])
    return sparse.COO(coords, coo.data, shape=(*grid, side, side))


def from_fibertree(coords: np.ndarray, vals: np.ndarray, side: int, shape) -> sp.csr_matrix:
    """Back from order-4 tile coordinates ``(n, 4)`` to a flat matrix of ``shape``."""
    rows = coords[:, 0] * side + coords[:, 2]
    cols = coords[:, 1] * side + coords[:, 3]
    return sp.csr_matrix((vals, (rows, cols)), shape=shape)


def tile_elements(tile: sp.csr_matrix) -> int:
    """Stored elements of one tile held as a compressed-row fibertree: a coordinate and a
    value per nonzero, a segment entry and a coordinate per nonempty row, and three words
    of header (the artifact's tile-size rule)."""
    rows = int(np.count_nonzero(np.diff(tile.indptr)))
    return 2 * int(tile.nnz) + 2 * rows + 3


def tile_pairs(b: Tiled, c: Tiled) -> tuple[list, int]:
    """The tile-level SAM graph: Gustavson ``X(i,j)=B(i,k)*C(k,j)`` (ikj) on the
    occupancy matrices. Returns the (B tile, C tile) numbers its value streams deliver to
    the multiplier, in stream order, and the graph's cycles."""
    from labkit.sam.run import run_expression

    if b.shape[1] != c.shape[0] or b.side != c.side:
        raise InputError(f"tiled operands: B {b.shape} in {b.side}-tiles and C {c.shape} in "
                         f"{c.side}-tiles do not chain")
    if not b.keys or not c.keys:
        return [], 0
    res = run_expression("X(i,j)=B(i,k)*C(k,j)", {"B": b.occupancy, "C": c.occupancy},
                         {"B": "cc", "C": "cc"}, "ikj", check=False)
    alu = next(n for n in res.program.graph.nodes if n.prim.kind == "alu")
    streams = [res.sim.streams[alu.ins[p]] for p in ("a", "b")]
    b_ids, c_ids = (np.rint(s.data()).astype(int) - 1 for s in streams)
    return list(zip(b_ids.tolist(), c_ids.tolist())), int(res.sim.cycles)
