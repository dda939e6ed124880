"""The format study's synthetic vector pairs (SAM Fig. 11): uniform, runs and blocks.

The artifact builds them with its ``sam/onyx/synthetic`` scripts; these are labkit's own
generators of the same three patterns (values uniform in [1, 2), so no product cancels):
- *uniform*: each vector has ``round((1 - sparsity) * n)`` nonzeros at random coordinates;
- *runs*: b's run, one shared coordinate, c's run, one shared coordinate, ... until each
  vector holds ``nnz`` nonzeros, so the two vectors' runs interleave and barely intersect
  (what coordinate skipping exploits);
- *blocks*: blocks of ``block_length`` consecutive nonzeros at random places, c's block
  shifted from b's by up to half a block, so each pair of blocks partly overlaps.
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError


def _check(n: int, nnz: int, length: int) -> None:
    if n < 1 or nnz < 1 or length < 1:
        raise InputError(f"synthetic vectors: n={n}, nnz={nnz}, length={length} must be >= 1")


def uniform_pair(n: int, sparsity: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two length-``n`` vectors with a fraction ``sparsity`` of zeros each (seeds differ)."""
    if not 0.0 <= sparsity <= 1.0:
        raise InputError(f"sparsity {sparsity}: must be in [0, 1]")
    _check(n, 1, 1)
    out = []
    for k in range(2):
        rng = np.random.default_rng(seed + k)
        vec = np.zeros(n)
        nnz = int(round((1.0 - sparsity) * n))
        vec[rng.choice(n, size=nnz, replace=False)] = 1.0 + rng.random(nnz)
        out.append(vec)
    return out[0], out[1]


def runs_pair(n: int, run_length: int, nnz: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved runs: each vector holds exactly ``nnz`` nonzeros."""
    _check(n, nnz, run_length)
    rng = np.random.default_rng(seed)
    b, c = np.zeros(n), np.zeros(n)
    pos = 0
    while np.count_nonzero(b) < nnz or np.count_nonzero(c) < nnz:
        for own in (b, c):
            k = min(run_length, nnz - np.count_nonzero(own))
            if pos + k + 1 > n:
                raise InputError(f"runs of {run_length} with {nnz} nonzeros do not fit in {n}")
            own[pos:pos + k] = 1.0 + rng.random(k)
            pos += k
            if np.count_nonzero(b) < nnz and np.count_nonzero(c) < nnz:
                b[pos], c[pos] = 1.0 + rng.random(2)
                pos += 1
    return b, c


def blocks_pair(n: int, block_length: int, nnz: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Partly overlapping blocks: each vector holds exactly ``nnz`` nonzeros."""
    _check(n, nnz, block_length)
    rng = np.random.default_rng(seed)
    length = block_length
    sizes = [length] * (nnz // length) + ([nnz % length] if nnz % length else [])
    half = length // 2
    slack = n - 2 * half - sum(sizes) - length * (len(sizes) - 1)
    if slack < 0:
        raise InputError(f"blocks of {block_length} with {nnz} nonzeros do not fit in {n}")
    extra = np.diff(np.concatenate([[0], np.sort(rng.integers(0, slack + 1, len(sizes))),
                                    [slack]]))[:-1]
    b, c = np.zeros(n), np.zeros(n)
    start = half
    for size, gap in zip(sizes, extra):
        start += gap
        shift = int(rng.integers(-half, half + 1))
        b[start:start + size] = 1.0 + rng.random(size)
        c[start + shift:start + shift + size] = 1.0 + rng.random(size)
        start += size + length
    return b, c


def split(vec: np.ndarray, factor: int) -> np.ndarray:
    """A length-n vector as a ``(ceil(n / factor), factor)`` matrix: coordinate i at
    ``(i // factor, i % factor)`` (the split formats' two levels)."""
    if factor < 1:
        raise InputError(f"split factor {factor}: must be >= 1")
    rows = -(-len(vec) // factor)
    out = np.zeros(rows * factor)
    out[:len(vec)] = vec
    return out.reshape(rows, factor)
