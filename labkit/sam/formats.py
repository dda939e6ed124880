"""Fibertree tensors stored level by level, as SAM's scanners and writers see them.

A level format is one letter: ``d`` dense (uncompressed: a fiber is every coordinate of
the dimension), ``c`` compressed (``seg``/``crd`` arrays), ``s`` singleton (one coordinate
per parent position; the level above keeps duplicates, as in COO) and ``b`` bitvector (a
bitmask per fiber in ``W``-bit words, kept next to the equivalent ``seg``/``crd`` so the
scanner can report both).  ``mode_order`` says which tensor mode each stored level holds,
so ``B`` stored column-major is ``mode_order=(1, 0)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from labkit.lab.errors import InputError

LEVEL_FORMATS = "dcsb"
WORD_BITS = 64
MAX_POSITIONS = 200_000_000   # a dense level beyond this is a mistake, not a tensor


@dataclass
class Level:
    """One stored level: its format, dimension and arrays (inspectable)."""

    fmt: str
    dim: int
    seg: np.ndarray | None = None
    crd: np.ndarray | None = None
    bits: np.ndarray | None = None  # bitvector: (fibers, words) uint64

    def arrays(self) -> dict:
        return {k: v for k, v in (("seg", self.seg), ("crd", self.crd), ("bits", self.bits))
                if v is not None}


@dataclass
class Tensor:
    """A tensor as SAM stores it: ``levels`` in storage order, then ``vals``."""

    name: str
    shape: tuple
    formats: str
    mode_order: tuple
    levels: list = field(default_factory=list)
    vals: np.ndarray = field(default_factory=lambda: np.zeros(1))

    @property
    def order(self) -> int:
        return len(self.shape)

    @property
    def nnz(self) -> int:
        return int(np.count_nonzero(self.vals))

    def describe(self) -> "object":
        """The level arrays as a tidy DataFrame (``level, mode, format, array, values``)."""
        import pandas as pd

        rows = [{"level": k, "mode": self.mode_order[k], "format": lv.fmt, "array": name,
                 "length": len(arr), "values": arr.ravel()[:12].tolist()}
                for k, lv in enumerate(self.levels) for name, arr in lv.arrays().items()]
        rows.append({"level": len(self.levels), "mode": None, "format": "vals", "array": "vals",
                     "length": len(self.vals), "values": self.vals[:12].tolist()})
        return pd.DataFrame(rows)

    def to_coo(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coords (nnz, order) in natural mode order, values)``, zeros dropped."""
        pos = np.zeros(1, dtype=np.int64)
        stored = []
        for lv in self.levels:
            if lv.fmt == "d":
                parent = np.repeat(np.arange(len(pos)), lv.dim)
                crd = np.tile(np.arange(lv.dim, dtype=np.int64), len(pos))
                new_pos = pos[parent] * lv.dim + crd
            elif lv.fmt == "s":
                parent = np.arange(len(pos))
                crd = lv.crd[pos]
                new_pos = pos
            else:
                starts, ends = lv.seg[pos], lv.seg[pos + 1]
                counts = ends - starts
                parent = np.repeat(np.arange(len(pos)), counts)
                offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
                new_pos = starts[parent] + offsets
                crd = lv.crd[new_pos]
            stored = [c[parent] for c in stored] + [crd]
            pos = new_pos
        vals = self.vals[pos] if len(self.levels) else self.vals[:1]
        coords = np.stack(stored, axis=1) if stored else np.zeros((1, 0), dtype=np.int64)
        keep = vals != 0
        natural = np.empty_like(coords)
        for level, mode in enumerate(self.mode_order):
            natural[:, mode] = coords[:, level]
        return natural[keep], vals[keep]

    def to_numpy(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=np.float64)
        coords, vals = self.to_coo()
        np.add.at(out, tuple(coords.T), vals)
        return out

    def to_scipy(self):
        import scipy.sparse as sp

        if self.order != 2:
            raise InputError(f"tensor {self.name}: to_scipy needs a matrix, not order {self.order}")
        coords, vals = self.to_coo()
        return sp.coo_matrix((vals, (coords[:, 0], coords[:, 1])), shape=self.shape).tocsr()

    def to_sparse(self):
        import sparse

        coords, vals = self.to_coo()
        return sparse.COO(coords.T, vals, shape=self.shape)


def check_formats(formats: str, order: int, name: str = "tensor") -> str:
    if len(formats) != order:
        raise InputError(f"format {formats!r} for {name}: needs {order} level letters "
                         f"(one per mode), got {len(formats)}")
    bad = [f for f in formats if f not in LEVEL_FORMATS]
    if bad:
        raise InputError(f"format {formats!r} for {name}: unknown level format {bad[0]!r} "
                         f"(use d dense, c compressed, s singleton, b bitvector)")
    for k, f in enumerate(formats):
        if f == "s" and (k == 0 or formats[k - 1] not in "cs"):
            raise InputError(f"format {formats!r} for {name}: a singleton level must follow a "
                             f"compressed level")
    return formats


def from_coo(coords, vals, shape, formats: str | None = None, mode_order=None,
             name: str = "T") -> Tensor:
    """Build a tensor from coordinates ``(nnz, order)`` (duplicates summed)."""
    shape = tuple(int(s) for s in shape)
    order = len(shape)
    vals = np.asarray(vals, dtype=np.float64).ravel()
    if order == 0:
        return Tensor(name, (), "", (), [], np.array([vals.sum() if len(vals) else 0.0]))
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, order)
    formats = check_formats(formats if formats is not None else "c" * order, order, name)
    mode_order = tuple(range(order)) if mode_order is None else tuple(int(m) for m in mode_order)
    if sorted(mode_order) != list(range(order)):
        raise InputError(f"mode order {mode_order} for {name}: not a permutation of 0..{order - 1}")
    if len(coords) and ((coords < 0).any() or (coords >= np.array(shape)).any()):
        raise InputError(f"tensor {name}: coordinates outside shape {shape}")
    stored = coords[:, list(mode_order)]
    dims = [shape[m] for m in mode_order]
    # sum duplicates, sort in storage order
    if len(stored):
        key = np.ravel_multi_index(stored.T, dims) if np.prod(dims, dtype=float) < 2**62 else None
        if key is not None and not (np.diff(key) > 0).all():   # not already sorted and unique
            uniq, inv = np.unique(key, return_inverse=True)
            vals = np.bincount(inv.ravel(), weights=vals, minlength=len(uniq))
            stored = np.stack(np.unravel_index(uniq, dims), axis=1).astype(np.int64)
        else:
            idx = np.lexsort(stored.T[::-1])
            stored, vals = stored[idx], vals[idx]
    nnz = len(stored)
    levels = []
    ref = np.zeros(nnz, dtype=np.int64)   # position of each nonzero's fiber at this level
    n_pos = 1
    for k, (fmt, dim) in enumerate(zip(formats, dims)):
        c = stored[:, k]
        next_single = k + 1 < order and formats[k + 1] == "s"
        if fmt == "d":
            ref = ref * dim + c
            n_pos = n_pos * dim
            if n_pos > MAX_POSITIONS:
                raise InputError(f"tensor {name}: format {formats!r} would store {n_pos:,} "
                                 f"positions in dense level {k}; compress that level")
            levels.append(Level("d", dim))
        elif fmt == "s":
            levels.append(Level("s", dim, crd=c.copy()))
            # positions unchanged: one coordinate per parent position
        else:
            if next_single:
                new_ref = np.arange(nnz, dtype=np.int64)
                crd = c.copy()
            else:
                if nnz:
                    change = np.ones(nnz, dtype=bool)
                    change[1:] = (ref[1:] != ref[:-1]) | (c[1:] != c[:-1])
                    new_ref = np.cumsum(change) - 1
                    crd = c[change]
                    owners = ref[change]
                else:
                    new_ref, crd, owners = ref, c, ref
            owners = ref if next_single else (owners if nnz else ref)
            counts = np.bincount(owners, minlength=n_pos) if len(owners) else np.zeros(n_pos, int)
            seg = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            level = Level(fmt, dim, seg=seg, crd=crd.astype(np.int64))
            if fmt == "b":
                level.bits = _bitmask(seg, level.crd, dim)
            levels.append(level)
            ref = new_ref.astype(np.int64)
            n_pos = len(crd)
    out_vals = np.bincount(ref, weights=vals, minlength=n_pos).astype(np.float64) if nnz \
        else np.zeros(n_pos, dtype=np.float64)
    return Tensor(name, shape, formats, mode_order, levels, out_vals)


def _bitmask(seg, crd, dim) -> np.ndarray:
    words = max(1, -(-dim // WORD_BITS))
    bits = np.zeros((len(seg) - 1, words), dtype=np.uint64)
    fiber = np.repeat(np.arange(len(seg) - 1), np.diff(seg))
    np.bitwise_or.at(bits, (fiber, crd // WORD_BITS),
                     np.left_shift(np.uint64(1), (crd % WORD_BITS).astype(np.uint64)))
    return bits


def from_numpy(array, formats: str | None = None, mode_order=None, name: str = "T") -> Tensor:
    array = np.asarray(array, dtype=np.float64)
    coords = np.argwhere(array != 0)
    return from_coo(coords, array[tuple(coords.T)], array.shape, formats, mode_order, name)


def from_scipy(matrix, formats: str | None = None, mode_order=None, name: str = "T") -> Tensor:
    coo = matrix.tocoo()
    coords = np.stack([coo.row, coo.col], axis=1)
    return from_coo(coords, coo.data, coo.shape, formats, mode_order, name)


def from_sparse(array, formats: str | None = None, mode_order=None, name: str = "T") -> Tensor:
    """From a pydata ``sparse`` array."""
    coo = array.asformat("coo") if hasattr(array, "asformat") else array
    return from_coo(coo.coords.T, coo.data, coo.shape, formats, mode_order, name)


def as_tensor(obj, formats: str | None = None, mode_order=None, name: str = "T") -> Tensor:
    """Any supported input (Tensor, numpy, scipy.sparse, pydata sparse, scalar) as a Tensor
    with the requested formats and mode order."""
    import scipy.sparse as sp

    if isinstance(obj, Tensor):
        coords, vals = obj.to_coo()
        return from_coo(coords, vals, obj.shape, formats, mode_order, name)
    if sp.issparse(obj):
        return from_scipy(obj, formats, mode_order, name)
    if type(obj).__module__.startswith("sparse"):
        return from_sparse(obj, formats, mode_order, name)
    if np.isscalar(obj) or isinstance(obj, (np.ndarray, list, tuple)):
        return from_numpy(np.asarray(obj, dtype=np.float64), formats, mode_order, name)
    raise InputError(f"tensor {name}: cannot convert a {type(obj).__name__}")
