"""Cycle counts for the pseudo-performance the LIBXSMM samples print.

The samples read ``libxsmm_timer_tick()``, which on x86 is ``rdtsc``: the time-stamp
counter, which on every current x86 core ticks at the nominal (base) clock whatever the
core's actual frequency (``constant_tsc``). labkit reads the same counter, through LLVM's
``readcyclecounter`` intrinsic compiled by numba, so its "FLOPS per cycle" are the
samples' pseudo cycles. Where the CPU has no constant TSC (or is not x86), the cycle
count is derived from wall time and the clock ``/proc/cpuinfo`` reports, and
:func:`cycle_source` says so.
"""

from __future__ import annotations

import platform
import time
from functools import lru_cache

import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _readcyclecounter(typingctx):
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.readcyclecounter")
        return builder.call(fn, [])
    return types.uint64(), codegen


@numba.njit(cache=True, nogil=True)
def tsc() -> int:
    """The time-stamp counter now (``rdtsc`` on x86)."""
    return _readcyclecounter()


@lru_cache(maxsize=None)
def _cpu_flags() -> set:
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def has_tsc() -> bool:
    """Whether the counter is a constant-rate TSC (x86 with ``constant_tsc``)."""
    return platform.machine() in ("x86_64", "AMD64", "i686") and "constant_tsc" in _cpu_flags()


def cycle_source() -> str:
    """What the cycle counts below come from, for reports."""
    if has_tsc():
        return "rdtsc (constant TSC, the counter libxsmm_timer_tick reads)"
    return "wall time x the clock /proc/cpuinfo reports (no constant TSC on this CPU)"


@lru_cache(maxsize=None)
def tsc_hz(seconds: float = 0.05) -> float:
    """The counter's rate, measured against ``perf_counter`` over ``seconds``."""
    tsc()
    t0, c0 = time.perf_counter(), tsc()
    while time.perf_counter() - t0 < seconds:
        pass
    t1, c1 = time.perf_counter(), tsc()
    return (c1 - c0) / (t1 - t0)


class CycleTimer:
    """Times a block in seconds and cycles: ``with CycleTimer() as t: ...; t.cycles``."""

    def __enter__(self):
        self._t0 = time.perf_counter()
        self._c0 = tsc() if has_tsc() else 0
        return self

    def __exit__(self, *exc):
        c1 = tsc() if has_tsc() else 0
        self.seconds = time.perf_counter() - self._t0
        if has_tsc():
            self.cycles = float(c1 - self._c0)
        else:
            from labkit.smm.streaming import nominal_hz
            self.cycles = self.seconds * nominal_hz()
        return False
