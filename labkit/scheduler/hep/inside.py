"""Parallelizing inside the long modules: the paper's conclusion, measured.

The paper ends (Secs. 3-4) by saying the modest 30% comes from the dependencies between
modules, and that splitting the work inside the long-running modules would raise it.
toy-mt-framework's ``_imt`` configurations do exactly that with ParallelFor modules
(``nRanges``). Two measurements: a what-if that makes a family of modules (e.g. the
tracking steps of the high-pileup configuration) ParallelFor with growing ``nRanges``, and
the real ``_imt`` minbias configuration beside its plain twin.
"""

from __future__ import annotations

from dataclasses import replace

from labkit.lab.errors import InputError
from labkit.scheduler.hep.analysis import family_of
from labkit.scheduler.hep.config import _copy_module
from labkit.scheduler.hep.study import prepare, run_framework, run_serial, sweep_events


def parallelize(config, families, n_ranges: int):
    """The configuration with every module of ``families`` split into ``n_ranges`` pieces;
    ``families`` holds family names (see :func:`~labkit.scheduler.hep.analysis.family_of`)
    or module labels."""
    if isinstance(n_ranges, bool) or not isinstance(n_ranges, int) or n_ranges < 1:
        raise InputError(f"nRanges must be a positive integer, got {n_ranges!r}")
    families = set(families)
    modules = [_copy_module(m, n_ranges=n_ranges)
               if m.label in families or family_of(m.label) in families else m
               for m in config.modules]
    if all(a is b for a, b in zip(modules, config.modules)):
        raise InputError(f"no module of {sorted(families)} in {config.name!r}")
    return replace(config, modules=modules)


def inside_gain(config, *, ranges=(1, 2, 4, 8, 16), families=("tracking",), cores: int = 16,
                inflight: int = 1):
    """Busy modules, fully re-entrant, ``inflight`` events on ``cores`` cores: throughput
    and speedup over the single-threaded framework as the modules of ``families`` are
    split into more pieces. Rows: ``n_ranges, throughput, speedup_vs_serial``."""
    import pandas as pd

    config = prepare(config, "busy")
    events, warmup = sweep_events(inflight)
    serial = run_serial(config, events=events, warmup=warmup).throughput
    rows = []
    for n in ranges:
        split = parallelize(config, families, n)
        x = run_framework(split, cores=cores, inflight=inflight, events=events,
                          safety="reentrant", warmup=warmup).throughput
        rows.append((n, x, x / serial))
    return pd.DataFrame(rows, columns=["n_ranges", "throughput", "speedup_vs_serial"])


def imt_comparison(configs: dict, *, inflights=(1, 2, 4, 8, 16), cores: int = 16):
    """Each configuration as configured (its own waits and thread types) at each events in
    flight: throughput and speedup over its single-threaded framework. ``configs`` maps a
    name to a configuration. Rows: ``config, inflight, throughput, speedup_vs_serial``."""
    import pandas as pd

    rows = []
    for name, config in configs.items():
        events, warmup = sweep_events(1)
        serial = run_serial(config, events=events, warmup=warmup).throughput
        for n in inflights:
            events, warmup = sweep_events(n)
            x = run_framework(config, cores=cores, inflight=n, events=events,
                              warmup=warmup).throughput
            rows.append((name, n, x, x / serial))
    return pd.DataFrame(rows, columns=["config", "inflight", "throughput", "speedup_vs_serial"])
