"""What-if studies: change cores, events in flight, thread-safety mix and the speed of the
slowest modules (the paper's "parallelize inside the tracking modules"), see throughput."""

from __future__ import annotations

import random
from dataclasses import replace

from labkit.lab.errors import InputError
from labkit.scheduler.hep.config import _copy_module
from labkit.scheduler.hep.modules import ONE_AT_A_TIME, UNSAFE
from labkit.scheduler.hep.study import prepare, run_framework, run_serial


def scale_slowest(config, count: int, speedup: float):
    """Divide the times of the ``count`` slowest modules (by mean time) by ``speedup``."""
    if not isinstance(count, int) or count < 0:
        raise InputError(f"count must be a non-negative integer, got {count!r}")
    if not speedup >= 1:
        raise InputError(f"speedup must be >= 1, got {speedup!r}")
    slow = set(m.label for m in sorted(config.modules, key=lambda m: -sum(m.times) / m.n_times)
               [:count])
    modules = [_copy_module(m, times=[t / speedup for t in m.times]) if m.label in slow else m
               for m in config.modules]
    return replace(config, modules=modules)


def mix_safety(config, unsafe_share: float, one_at_a_time_share: float, seed: int = 0):
    """Make a random share of modules thread-unsafe and another one-event-at-a-time;
    every other module keeps its configured thread type (so zero shares change nothing)."""
    if not (0 <= unsafe_share <= 1 and 0 <= one_at_a_time_share <= 1
            and unsafe_share + one_at_a_time_share <= 1):
        raise InputError("shares must be in [0, 1] and sum to at most 1")
    rng = random.Random(seed)
    modules = []
    for m in config.modules:
        u = rng.random()
        kind = (UNSAFE if u < unsafe_share else
                ONE_AT_A_TIME if u < unsafe_share + one_at_a_time_share else m.thread_type)
        modules.append(_copy_module(m, thread_type=kind))
    return replace(config, modules=modules)


def compute(config, *, cores: int = 16, inflight: int = 16, unsafe_share: float = 0.0,
            one_at_a_time_share: float = 0.0, slowest: int = 0, speedup: float = 1.0,
            wait: str = "busy", events: int = 100, progress=None):
    """Throughput vs events in flight (1..``inflight``, doubling) for the configuration as
    is and with the what-if changes. Rows: ``curve, inflight, throughput, speedup``.
    ``progress(done, total)``, if given, is called after each simulation (a dashboard's
    progress bar; it may raise to abandon the computation)."""
    import pandas as pd

    if not isinstance(inflight, int) or inflight < 1:
        raise InputError(f"events in flight must be a positive integer, got {inflight!r}")
    base = prepare(config, wait)
    changed = scale_slowest(mix_safety(base, unsafe_share, one_at_a_time_share), slowest,
                            speedup)
    serial = run_serial(base, events=events + 1).throughput
    points = sorted({1, inflight, *[2 ** k for k in range(12) if 2 ** k < inflight]})
    rows = []
    for curve, cfg in (("as configured", base), ("what if", changed)):
        for n in points:
            x = run_framework(cfg, cores=cores, inflight=n, events=2 * n + events).throughput
            rows.append((curve, n, x, x / serial))
            if progress is not None:
                progress(len(rows), 2 * len(points))
    return pd.DataFrame(rows, columns=["curve", "inflight", "throughput", "speedup"])


def chart(frame):
    from labkit.scheduler.charts import throughput_lines

    return throughput_lines(frame, y="speedup", y_title="speedup over single-threaded",
                            title="What if?")
