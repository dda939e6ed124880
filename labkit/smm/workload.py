"""Rough run-time estimates of the SMM commands, checked against the time budget of
:mod:`labkit.lab.limits` before a run starts (memory is checked where each command
allocates, with the bytes it will allocate).

Why estimates at all: a loop over ``--calls 1e15`` or ``--repeat 1e12`` allocates nothing
and never ends. The per-item costs below were measured once on the 2-core reference
machine (``labkit smm dispatch``, ``wrap``, ``trylock``, ``stpm ... loops``,
``transpose``) and rounded; they only need to tell minutes from months, so each is the
slow end of what was seen.
"""

from __future__ import annotations

from labkit.lab.limits import check_time

PYTHON_CALL_S = 0.35e-6   # one Python loop step calling a jitted function or a registry
                          # lookup (measured: empty call 45 ns, 1x1x1 kernel and cached
                          # lookup 310-340 ns)
GENERATION_S = 0.25       # generating and compiling one new kernel (measured 0.24 s)
SMALL_PRODUCT_S = 1.5e-6  # one numpy small product in a Python loop (wrap: 20,000 5x5x5
                          # products in 29 ms)
THREAD_S = 60e-6          # starting a Python thread that computes one small product
                          # (trylock: 55-62 us each)
FLOP_S = 1 / 1e9          # the slowest strategies (einsum, loops) ran at 0.8-2 GFLOPS
GEMM_FLOP_S = 1 / 20e9    # a big GEMM (xgemm and numpy's BLAS, 1000^3) ran at 30-36 GFLOPS
BYTE_S = 1 / 4e9          # a copy or transpose moved about 4 GB/s


def run_seconds(flops: float = 0.0, nbytes: float = 0.0, flop_s: float = FLOP_S) -> float:
    """Rough seconds of one run doing ``flops`` operations over ``nbytes`` of memory."""
    return max(flops * flop_s, nbytes * BYTE_S)


def check_runs(what: str, runs: int, flops: float = 0.0, nbytes: float = 0.0,
               flop_s: float = FLOP_S) -> None:
    """Refuse ``runs`` runs of ``flops``/``nbytes`` each when they exceed the budget."""
    check_time(what, runs * run_seconds(flops, nbytes, flop_s))


def check_steps(what: str, steps: float, seconds_each: float) -> None:
    """Refuse a loop of ``steps`` items of ``seconds_each`` when it exceeds the budget."""
    check_time(what, steps * seconds_each)
