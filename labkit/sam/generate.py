"""Synthetic inputs: uniform random sparse tensors and vectors with runs of nonzeros."""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError


def random_tensor(shape, density: float, seed: int = 0):
    """A pydata ``sparse`` COO tensor with about ``density`` of its entries nonzero
    (values uniform in [1, 2) so no product cancels to zero by accident)."""
    import sparse

    shape = tuple(int(s) for s in shape)
    if not shape or min(shape) < 1:
        raise InputError(f"random tensor shape {shape}: every dimension must be >= 1")
    if not 0.0 <= density <= 1.0:
        raise InputError(f"random tensor density {density}: must be in [0, 1]")
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    nnz = int(round(density * size))
    flat = rng.choice(size, size=nnz, replace=False) if nnz else np.zeros(0, dtype=np.int64)
    coords = np.stack(np.unravel_index(np.sort(flat), shape))
    return sparse.COO(coords, 1.0 + rng.random(nnz), shape=shape)


def parse_random(spec: str):
    """``"100x100:0.01"`` -> ``((100, 100), 0.01)``."""
    try:
        dims, density = spec.split(":")
        shape = tuple(int(d) for d in dims.lower().split("x"))
        return shape, float(density)
    except ValueError:
        raise InputError(f"random spec {spec!r}: expected DIMxDIM...:DENSITY, e.g. 100x100:0.01") from None


def run_vector(n: int, density: float, run_length: int, seed: int = 0) -> np.ndarray:
    """A dense length-``n`` vector whose nonzeros (about ``density``) come in runs of
    ``run_length`` consecutive coordinates (the format study's clustered inputs)."""
    rng = np.random.default_rng(seed)
    runs = max(0, int(round(density * n / max(run_length, 1))))
    out = np.zeros(n)
    starts = rng.choice(max(1, n - run_length + 1), size=min(runs, max(1, n - run_length + 1)),
                        replace=False) if runs else []
    for s in starts:
        out[s:s + run_length] = 1.0 + rng.random(min(run_length, n - s))
    return out
