"""Trace-driven discrete-event simulation of the I/O paths (numba, >= 1e6 requests/min).

Two compiled passes over a trace. :func:`tlb_misses` runs a set-associative LRU TLB
(tags = PASID and virtual block, like the SIOMMU's 50a) over every block each request
touches. :func:`schedule` then plays a closed loop: ``threads`` threads each keep
``queue_depth`` requests outstanding; a request occupies its thread's CPU for the path's
software cost (submission and completion are charged at issue, an approximation that
keeps the CPU bound right), waits for the SIOMMU translation (hit, or a walk), then for
the first free device channel, then completes. Results: per-request latency, IOPS, hit
rate, as a :class:`SimResult`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, types
from numba.typed import Dict

from labkit.lab.errors import InputError
from labkit.siommu import latency, params
from labkit.siommu.request import PAGE_SIZE
from labkit.siommu.validate import positive_int
from labkit.siommu.workloads import check_trace

CPU_PRE = {"linux": ("syscall", "vfs", "filesystem", "block_layer", "driver"),
           "spdk": ("submit",), "siommu": ("userlib", "submit")}
CPU_POST = {"linux": ("interrupt", "copy"), "spdk": ("poll",), "siommu": ("poll",)}


@njit(cache=True)
def tlb_misses(pasid, block, pages, sets, ways):
    """Misses per request of an LRU ``sets`` x ``ways`` TLB over blocks
    ``block[i] .. block[i] + pages - 1`` tagged with ``pasid[i]``.

    O(1) per lookup at any associativity: a hash map from tag to slot, and per set a
    doubly linked list of its slots from most to least recently used."""
    n = pasid.shape[0]
    cap = sets * ways
    keys = np.full(cap, -1, np.int64)
    prev = np.empty(cap, np.int64)
    nxt = np.empty(cap, np.int64)
    head = np.empty(sets, np.int64)
    tail = np.empty(sets, np.int64)
    for s in range(sets):
        base = s * ways
        for w in range(ways):
            prev[base + w] = base + w - 1 if w > 0 else -1
            nxt[base + w] = base + w + 1 if w < ways - 1 else -1
        head[s] = base
        tail[s] = base + ways - 1
    where = Dict.empty(key_type=types.int64, value_type=types.int64)
    misses = np.zeros(n, np.int32)
    for i in range(n):
        for p in range(pages):
            b = block[i] + p
            key = (pasid[i] << 36) | b
            s = b % sets
            if key in where:
                slot = where[key]
            else:
                misses[i] += 1
                slot = tail[s]                  # the least recently used way
                if keys[slot] >= 0:
                    del where[keys[slot]]
                keys[slot] = key
                where[key] = slot
            if head[s] != slot:                 # move to the front of its set
                pv, nx = prev[slot], nxt[slot]
                nxt[pv] = nx
                if nx >= 0:
                    prev[nx] = pv
                else:
                    tail[s] = pv
                prev[slot] = -1
                nxt[slot] = head[s]
                prev[head[s]] = slot
                head[s] = slot
    return misses


@njit(cache=True)
def schedule(cpu, xlat, service, post, threads, queue_depth, channels):
    """Closed-loop event schedule; returns (issue time, completion time) per request.

    ``cpu`` is the thread's whole software cost (charged at issue), ``post`` the part of
    it that follows the device (completion); a slot reissues once its request completes."""
    n = cpu.shape[0]
    slots = threads * queue_depth
    ready = np.zeros(slots)
    thread_free = np.zeros(threads)
    chan_free = np.zeros(channels)
    issue = np.empty(n)
    done = np.empty(n)
    for i in range(n):
        s = 0
        for k in range(1, slots):
            if ready[k] < ready[s]:
                s = k
        th = s // queue_depth
        t0 = ready[s]
        start = max(t0, thread_free[th])
        thread_free[th] = start + cpu[i]
        c = 0
        for k in range(1, channels):
            if chan_free[k] < chan_free[c]:
                c = k
        at_device = start + cpu[i] - post[i] + xlat[i]
        begin = max(at_device, chan_free[c])
        chan_free[c] = begin + service[i]
        issue[i] = t0
        done[i] = begin + service[i] + post[i]
        ready[s] = done[i]
    return issue, done


@dataclass
class SimResult:
    path: str
    requests: int
    latency_us: np.ndarray
    makespan_us: float
    misses: np.ndarray
    pages: int
    threads: int
    queue_depth: int

    @property
    def iops(self) -> float:
        return self.requests / self.makespan_us * 1e6

    @property
    def hit_rate(self) -> float:
        return 1.0 - self.misses.sum() / (self.requests * self.pages)

    def summary(self) -> dict:
        lat = self.latency_us
        return {"path": self.path, "requests": self.requests, "threads": self.threads,
                "queue_depth": self.queue_depth, "tlb_hit_rate": float(self.hit_rate),
                "mean_latency_us": float(lat.mean()), "p99_latency_us": float(np.quantile(lat, 0.99)),
                "iops": float(self.iops), "makespan_us": float(self.makespan_us)}


def simulate(trace, *, path: str = "siommu", device="optane", size: int = 4096,
             tlb_entries: int = 64, ways: int | None = None, threads: int = 1,
             queue_depth: int = 1, walk_levels: int | None = None,
             memory_us: float | None = None, overrides: dict | None = None) -> SimResult:
    """Run ``trace`` through ``path``: TLB pass, then the event schedule."""
    latency.check_path(path)
    latency.check_size(size)
    trace = check_trace(trace)
    threads = positive_int("simulation threads", threads)
    queue_depth = positive_int("simulation queue_depth", queue_depth)
    entries = positive_int("simulation tlb_entries", tlb_entries)
    ways = entries if ways is None else positive_int("simulation ways", ways)
    if entries % ways:
        raise InputError(f"TLB ways ({ways}) must divide entries ({entries})")
    dev = params.device(device)
    levels = params.WALK_LEVELS[0] if walk_levels is None else walk_levels
    mem = params.MEMORY_US[0] if memory_us is None else memory_us
    pages = math.ceil(size / PAGE_SIZE)
    n = len(trace)
    write = trace["write"].to_numpy()
    parts = {w: latency.breakdown(path, size, write=w, device=dev, hit_rate=1.0,
                                  walk_levels=levels, memory_us=mem, overrides=overrides)
             for w in (False, True)}

    def per_request(names):
        return np.where(write, sum(parts[True][k] for k in names),
                        sum(parts[False][k] for k in names)).astype(np.float64)

    cpu = per_request(CPU_PRE[path] + CPU_POST[path])
    post = per_request(CPU_POST[path])
    service = per_request(("device", "transfer"))
    pasid = trace["pasid"].to_numpy(np.int64)
    block = trace["block"].to_numpy(np.int64)
    if path == "siommu":
        misses = tlb_misses(pasid, block, pages, entries // ways, ways)
        fixed = per_request(("translation_request", "tlb"))
        walk = np.where(misses > 0, (levels + misses - 1) * mem, 0.0)
        xlat = fixed + walk
    else:
        misses = np.zeros(n, np.int32)
        xlat = np.zeros(n)
    issue, done = schedule(cpu, xlat, service, post, threads, queue_depth,
                           dev.channels)
    return SimResult(path, n, done - issue, float(done.max()), misses, pages, threads,
                     queue_depth)


def sweep(traces, *, name: str = "trace", progress: bool = False, **grid):
    """:func:`simulate` over a grid, as a tidy DataFrame: one row per trace and combination
    of the ``grid`` keywords (each a list of values, or one value kept fixed), with those
    settings first and :meth:`SimResult.summary`'s columns after.

    ``traces`` is one trace or ``{label: trace}``; the labels go in column ``name`` (e.g.
    ``name="processes"`` for traces generated per process count)."""
    import itertools

    import pandas as pd
    from tqdm.auto import tqdm

    named = isinstance(traces, dict)
    labelled = traces if named else {None: traces}
    if not labelled:
        raise InputError("sweep needs at least one trace")
    axes = {key: list(v) if isinstance(v, (list, tuple, range)) else [v] for key, v in grid.items()}
    combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    rows = []
    for label, trace in tqdm(list(labelled.items()), disable=not progress, desc="traces"):
        for combo in combos:
            result = simulate(trace, **combo)
            rows.append({**({name: label} if named else {}), **combo, **{k: v for k, v in result.summary().items()
                                             if k not in combo}})
    return pd.DataFrame(rows)
