"""Tile sizes of the tiled GEMM and the transpose: the defaults, and the tuned ones
(:mod:`labkit.smm.tile_tuning`) persisted per size range in the user's cache folder, so a
search done once is used by every later call.

Why per size range: the best cache tiles follow the problem's size (a 192^3 GEMM is one
tile; a 4000^3 one wants ``kc`` rows of B in L1 and an ``mc x kc`` block of A in L2), as
LIBXSMM's xgemm sample tunes per range with OpenTuner. The store is a small JSON file
(``tiles.json`` under :func:`labkit.smm.codegen.cache_root`); a corrupt or missing file
means the defaults.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass

from labkit.lab.errors import InputError
from labkit.smm.simd import lanes
from labkit.smm.spec import positive_int

RANGES = (256, 512, 1024, 2048, 4096, 8192)
"""Upper bounds of the size ranges (the geometric mean of m, n, k); beyond: the last."""


@dataclass(frozen=True)
class GemmTiles:
    """Micro-tile ``(vectors * lanes) x nr`` (compiled in) and cache tiles ``mc``, ``kc``,
    ``nc`` (run-time: trying another never recompiles)."""

    vectors: int = 3
    nr: int = 8
    mc: int = 192
    kc: int = 256
    nc: int = 2048

    def mr(self, dtype: str) -> int:
        return self.vectors * lanes(dtype)

    def checked(self, dtype: str = "float64") -> "GemmTiles":
        """Itself, or InputError: positive, and a micro-tile within the 32 vector registers
        (accumulators, one column of A and one broadcast)."""
        for name, value in asdict(self).items():
            positive_int(f"tile {name}", value)
        if self.vectors * self.nr + self.vectors + 1 > 32:
            raise InputError(f"micro-tile of {self.vectors} vectors x {self.nr} columns needs "
                             "more than 32 vector registers")
        if self.mc % self.mr(dtype):
            raise InputError(f"tile mc={self.mc} is not a multiple of the micro-tile's "
                             f"{self.mr(dtype)} rows")
        return self


@dataclass(frozen=True)
class TransposeTiles:
    """Rows and columns of the blocks the out-of-place transpose walks."""

    rows: int = 32
    cols: int = 128

    def checked(self, dtype: str = "float64") -> "TransposeTiles":
        """Itself, or InputError: positive, and at most 2**16 elements per block (its buffer)."""
        for name, value in asdict(self).items():
            positive_int(f"tile {name}", value)
        if self.rows * self.cols > 2**16:
            raise InputError(f"transpose block {self.rows}x{self.cols} is larger than 65536 elements")
        return self


KINDS = {"gemm": GemmTiles, "transpose": TransposeTiles}


def size_range(*dims: int) -> int:
    """The upper bound of the range holding these sizes (their geometric mean)."""
    mean = math.prod(dims) ** (1.0 / len(dims))
    return next((bound for bound in RANGES if mean <= bound), RANGES[-1])


def store_path():
    from labkit.smm.codegen import cache_root

    return cache_root() / "tiles.json"


def _key(kind: str, dtype: str, threads: int, bound: int) -> str:
    return f"{kind}:{dtype}:t{threads}:<={bound}"


def _read() -> dict:
    try:
        data = json.loads(store_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def tuned(kind: str, dtype: str, threads: int, *dims: int):
    """The tuned tiles for this kind, dtype, thread count and size range, else None."""
    entry = _read().get(_key(kind, dtype, threads, size_range(*dims)))
    if not isinstance(entry, dict):
        return None
    try:
        return KINDS[kind](**entry["tiles"]).checked(dtype)
    except (KeyError, TypeError, InputError):
        return None                      # a stale or hand-edited entry: the defaults


def tiles_for(kind: str, dtype: str, threads: int, *dims: int):
    """What a call uses: the tuned tiles when a search stored some, else the defaults."""
    return tuned(kind, dtype, threads, *dims) or KINDS[kind]()


def save(kind: str, dtype: str, threads: int, dims, tiles, seconds: float) -> str:
    """Store ``tiles`` (measured at ``seconds`` on ``dims``) for their size range; returns
    the key. Written atomically: a reader never sees half a file."""
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _read()
    key = _key(kind, dtype, threads, size_range(*dims))
    data[key] = {"tiles": asdict(tiles), "dims": list(dims), "seconds": seconds}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)
    return key
