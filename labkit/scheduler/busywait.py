"""Busy-waiting that really occupies a core: a numba ``nogil`` integration loop.

As the paper's BusyWaitCalibrate, the loop integrates a function for a number of
iterations; :func:`calibrate` measures iterations per second on this machine once, and
:func:`busy_wait` turns seconds into iterations. The loop releases the GIL, so two
worker threads really run two modules on two cores.
"""

from __future__ import annotations

import time

import numba

_RATE: list = []


@numba.njit(nogil=True, cache=True)
def integrate(iterations: int) -> float:
    """Midpoint integral of x**2 on [0, 1] with ``iterations`` steps (pure CPU work)."""
    if iterations <= 0:
        return 0.0
    step = 1.0 / iterations
    total = 0.0
    for i in range(iterations):
        x = (i + 0.5) * step
        total += x * x
    return total * step


def calibrate(seconds: float = 0.05) -> float:
    """Iterations per second of :func:`integrate` here (best of three short runs)."""
    integrate(1000)  # compile or load from cache
    n = 200_000
    while True:
        t = time.perf_counter()
        integrate(n)
        dt = time.perf_counter() - t
        if dt > seconds / 3:
            break
        n *= 4
    best = min(_timed(n) for _ in range(3))
    return n / best


def _timed(n: int) -> float:
    t = time.perf_counter()
    integrate(n)
    return time.perf_counter() - t


def iterations_per_second() -> float:
    if not _RATE:
        _RATE.append(calibrate())
    return _RATE[0]


def busy_wait(seconds: float) -> None:
    """Burn ``seconds`` of one core without holding the GIL."""
    if seconds > 0:
        integrate(int(seconds * iterations_per_second()))
