"""A tiny best-fit allocator over a reusable buffer, for functional mode's streams.

Functional mode keeps every stream of a run in one int64 buffer (tokens) and a parallel
float64 buffer (values of value streams), reused from run to run: fresh numpy/numba
arrays for each stream would cost a page fault per 4 KiB on every run once the freed
memory has gone back to the OS.  Blocks are rows ``(start, size, free)`` of ``blk`` kept in
address order (``nb[0]`` of them); a stream's block is freed after its last reader, so a
run's working set stays small.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def alloc(blk, nb, cap):
    """Best-fit a free block of ``cap`` tokens; its start, or -1 when the arena is full."""
    cap = max(cap, 1)
    best = -1
    for k in range(nb[0]):
        if blk[k, 2] == 1 and blk[k, 1] >= cap and (best < 0 or blk[k, 1] < blk[best, 1]):
            best = k
    if best < 0 or nb[0] + 1 >= blk.shape[0]:
        return -1
    if blk[best, 1] > cap:
        for k in range(nb[0], best + 1, -1):
            blk[k] = blk[k - 1]
        blk[best + 1, 0] = blk[best, 0] + cap
        blk[best + 1, 1] = blk[best, 1] - cap
        blk[best + 1, 2] = 1
        nb[0] += 1
        blk[best, 1] = cap
    blk[best, 2] = 0
    return blk[best, 0]


@njit(cache=True)
def find(blk, nb, start):
    for k in range(nb[0]):
        if blk[k, 0] == start and blk[k, 2] == 0:
            return k
    return -1


@njit(cache=True)
def remove(blk, nb, k):
    for q in range(k, nb[0] - 1):
        blk[q] = blk[q + 1]
    nb[0] -= 1


@njit(cache=True)
def shrink(blk, nb, start, n):
    """Keep the first ``n`` tokens of the block at ``start``; the rest becomes free."""
    k = find(blk, nb, start)
    n = max(n, 1)
    extra = blk[k, 1] - n
    if extra <= 0:
        return
    blk[k, 1] = n
    if k + 1 < nb[0] and blk[k + 1, 2] == 1:
        blk[k + 1, 0] -= extra
        blk[k + 1, 1] += extra
    else:
        for q in range(nb[0], k + 1, -1):
            blk[q] = blk[q - 1]
        blk[k + 1, 0] = start + n
        blk[k + 1, 1] = extra
        blk[k + 1, 2] = 1
        nb[0] += 1


@njit(cache=True)
def release(blk, nb, start):
    k = find(blk, nb, start)
    if k < 0:
        return
    blk[k, 2] = 1
    if k + 1 < nb[0] and blk[k + 1, 2] == 1:
        blk[k, 1] += blk[k + 1, 1]
        remove(blk, nb, k + 1)
    if k > 0 and blk[k - 1, 2] == 1:
        blk[k - 1, 1] += blk[k, 1]
        remove(blk, nb, k)
