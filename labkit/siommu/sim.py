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
from numba import njit

from labkit.lab.errors import InputError
from labkit.siommu import latency, params
from labkit.siommu.request import PAGE_SIZE
from labkit.siommu.validate import positive_int
from labkit.siommu.workloads import check_trace

CPU_PRE = {"linux": ("syscall", "vfs", "filesystem", "block_layer", "driver"),
           "spdk": ("submit",), "siommu": ("userlib", "submit")}
CPU_POST = {"linux": ("interrupt", "copy"), "spdk": ("poll",), "siommu": ("poll",)}


def tlb_misses(pasid, block, pages, sets, ways):
    """Misses per request of an LRU ``sets`` x ``ways`` TLB over blocks
    ``block[i] .. block[i] + pages[i] - 1`` tagged with ``pasid[i]`` (``pages`` is one
    count for every request, or one per request)."""
    pasid = np.ascontiguousarray(pasid, np.int64)
    pages = np.broadcast_to(np.asarray(pages, np.int64), pasid.shape)
    return _tlb_misses(pasid, np.ascontiguousarray(block, np.int64),
                       np.ascontiguousarray(pages), sets, ways)


@njit(cache=True)
def _home(key, mask):
    """Home bucket of ``key`` in a power-of-two open-addressing table (a multiplicative
    hash; int64 products wrap, which is all a hash needs)."""
    h = key * 0x9E3779B97F4A7C15
    return (h ^ (h >> 29)) & mask


@njit(cache=True)
def _find(table_keys, key, mask):
    """Bucket holding ``key``, or the empty bucket where it would go (linear probing)."""
    i = _home(key, mask)
    while table_keys[i] != -1 and table_keys[i] != key:
        i = (i + 1) & mask
    return i


@njit(cache=True)
def _remove(table_keys, table_vals, hole, mask):
    """Delete the key at bucket ``hole``, shifting later entries of its probe run back so
    every remaining key stays reachable from its home (no tombstones)."""
    j = hole
    while True:
        j = (j + 1) & mask
        if table_keys[j] == -1:
            break
        k = _home(table_keys[j], mask)
        movable = (k <= hole or k > j) if hole <= j else (k <= hole and k > j)
        if movable:
            table_keys[hole] = table_keys[j]
            table_vals[hole] = table_vals[j]
            hole = j
    table_keys[hole] = -1


@njit(cache=True)
def _tlb_misses(pasid, block, pages, sets, ways):
    """The compiled pass of :func:`tlb_misses`.

    O(1) per lookup at any associativity: an open-addressing hash table (at most a
    quarter full) from tag to slot, and per set a doubly linked list of its slots from
    most to least recently used."""
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
    size = 16
    while size < 4 * cap:
        size *= 2
    mask = size - 1
    table_keys = np.full(size, -1, np.int64)
    table_vals = np.zeros(size, np.int64)
    misses = np.zeros(n, np.int32)
    for i in range(n):
        for p in range(pages[i]):
            b = block[i] + p
            key = (pasid[i] << 36) | b
            s = b % sets
            at = _find(table_keys, key, mask)
            if table_keys[at] == key:
                slot = table_vals[at]
            else:
                misses[i] += 1
                slot = tail[s]                  # the least recently used way
                if keys[slot] >= 0:
                    _remove(table_keys, table_vals, _find(table_keys, keys[slot], mask), mask)
                    at = _find(table_keys, key, mask)
                keys[slot] = key
                table_keys[at] = key
                table_vals[at] = slot
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
def _earlier(time, a, b):
    """Whether slot ``a`` comes before slot ``b``: earlier time, then lower index."""
    return time[a] < time[b] or (time[a] == time[b] and a < b)


@njit(cache=True)
def _sift_root(heap, time):
    """Restore the heap after the root's time grew (a binary min-heap of slot indices)."""
    n = heap.shape[0]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            return
        child = left
        if left + 1 < n and _earlier(time, heap[left + 1], heap[left]):
            child = left + 1
        if not _earlier(time, heap[child], heap[i]):
            return
        heap[i], heap[child] = heap[child], heap[i]
        i = child


@njit(cache=True)
def schedule(cpu, xlat, service, post, threads, queue_depth, channels):
    """Closed-loop event schedule; returns (issue time, completion time) per request.

    ``cpu`` is the thread's whole software cost (charged at issue), ``post`` the part of
    it that follows the device (completion); a slot reissues once its request completes.
    The next slot (and channel) is the earliest free, the lowest-numbered on a tie, found
    with a binary heap: O(log slots) per request."""
    n = cpu.shape[0]
    slots = threads * queue_depth
    ready = np.zeros(slots)
    thread_free = np.zeros(threads)
    chan_free = np.zeros(channels)
    slot_heap = np.arange(slots)
    chan_heap = np.arange(channels)
    issue = np.empty(n)
    done = np.empty(n)
    for i in range(n):
        s = slot_heap[0]
        th = s // queue_depth
        t0 = ready[s]
        start = max(t0, thread_free[th])
        thread_free[th] = start + cpu[i]
        c = chan_heap[0]
        at_device = start + cpu[i] - post[i] + xlat[i]
        begin = max(at_device, chan_free[c])
        chan_free[c] = begin + service[i]
        _sift_root(chan_heap, chan_free)
        issue[i] = t0
        done[i] = begin + service[i] + post[i]
        ready[s] = done[i]
        _sift_root(slot_heap, ready)
    return issue, done


@dataclass
class SimResult:
    path: str
    requests: int
    latency_us: np.ndarray
    makespan_us: float
    misses: np.ndarray
    pages: int          # blocks looked up in the TLB, all requests together
    threads: int
    queue_depth: int

    @property
    def iops(self) -> float:
        return self.requests / self.makespan_us * 1e6

    @property
    def hit_rate(self) -> float:
        return 1.0 - self.misses.sum() / self.pages

    @property
    def walks(self) -> int:
        """Requests whose translation walked the page table (at least one miss)."""
        return int(np.count_nonzero(self.misses))

    def summary(self) -> dict:
        lat = self.latency_us
        return {"path": self.path, "requests": self.requests, "threads": self.threads,
                "queue_depth": self.queue_depth,
                # paths without the SIOMMU translate nothing: no hit rate to report
                "tlb_hit_rate": float(self.hit_rate) if self.path == "siommu" else None,
                "walks": self.walks,
                "mean_latency_us": float(lat.mean()), "p99_latency_us": float(np.quantile(lat, 0.99)),
                "iops": float(self.iops), "makespan_us": float(self.makespan_us)}


ENGINES = ("compiled", "python")


@dataclass
class Inputs:
    """Per-request arrays both engines run on: the same numbers, so the same results."""

    pasid: np.ndarray
    block: np.ndarray
    pages: np.ndarray
    cpu: np.ndarray
    post: np.ndarray
    service: np.ndarray
    fixed: np.ndarray       # translation request + TLB lookups (SIOMMU path), else 0
    sets: int
    ways: int
    levels: int
    memory_us: float
    translates: bool


def _costs(path, sizes, write, dev, levels, mem, overrides):
    """Per-request (cpu, post, service, fixed) from the latency model, one breakdown per
    distinct (size, write) pair of the trace."""
    if sizes.size and (sizes == sizes[0]).all():     # one size: a select, no sort
        pairs, which = np.array([[sizes[0], sizes[0]], [0, 1]]), None
    else:
        keys, which = np.unique(sizes * 2 + write, return_inverse=True)
        pairs = np.stack([keys // 2, keys % 2])
    table = np.zeros((4, pairs.shape[1]))
    for j, (size, w) in enumerate(pairs.T):
        parts = latency.breakdown(path, int(size), write=bool(w), device=dev, hit_rate=1.0,
                                  walk_levels=levels, memory_us=mem, overrides=overrides)
        pick = lambda names: sum(parts[k] for k in names if k in parts)
        table[:, j] = (pick(CPU_PRE[path] + CPU_POST[path]), pick(CPU_POST[path]),
                       pick(("device", "transfer")), pick(("translation_request", "tlb")))
    if which is None:
        return [np.where(write, row[1], row[0]) for row in table]
    return [np.ascontiguousarray(row[which.reshape(-1)]) for row in table]


def prepare(trace, *, path: str = "siommu", device="optane", size: int = 4096,
            tlb_entries: int = 64, ways: int | None = None, walk_levels: int | None = None,
            memory_us: float | None = None, overrides: dict | None = None) -> Inputs:
    """Validate the settings and turn ``trace`` into per-request costs (:class:`Inputs`).

    A trace with a ``size`` column gives each request its own size in bytes (and its own
    ``pages`` if it has that column too, e.g. an unaligned request spanning one more page);
    otherwise every request is ``size`` bytes."""
    latency.check_path(path)
    latency.check_size(size)
    trace = check_trace(trace)
    entries = positive_int("simulation tlb_entries", tlb_entries)
    ways = entries if ways is None else positive_int("simulation ways", ways)
    if entries % ways:
        raise InputError(f"TLB ways ({ways}) must divide entries ({entries})")
    dev = params.device(device)
    levels = params.WALK_LEVELS[0] if walk_levels is None else walk_levels
    mem = params.MEMORY_US[0] if memory_us is None else memory_us
    n = len(trace)
    write = trace["write"].to_numpy()
    sizes = (trace["size"].to_numpy(np.int64) if "size" in trace
             else np.full(n, size, np.int64))
    pages = (trace["pages"].to_numpy(np.int64) if "pages" in trace
             else -(-sizes // PAGE_SIZE))
    cpu, post, service, fixed = _costs(path, sizes, write, dev, levels, mem, overrides)
    return Inputs(trace["pasid"].to_numpy(np.int64), trace["block"].to_numpy(np.int64),
                  np.ascontiguousarray(pages), cpu, post, service, fixed,
                  entries // ways, ways, levels, mem, path == "siommu")


def run(inputs: Inputs, *, path: str, threads: int = 1, queue_depth: int = 1,
        channels: int, engine: str = "compiled") -> SimResult:
    """TLB pass and event schedule over prepared inputs, compiled or in plain Python."""
    if engine not in ENGINES:
        raise InputError(f"unknown simulation engine {engine!r}: one of {', '.join(ENGINES)}")
    threads = positive_int("simulation threads", threads)
    queue_depth = positive_int("simulation queue_depth", queue_depth)
    if engine == "python":
        from labkit.siommu import sim_python as impl
    else:
        impl = None
    n = inputs.pasid.shape[0]
    if inputs.translates:
        count = impl.tlb_misses if impl else tlb_misses
        misses = count(inputs.pasid, inputs.block, inputs.pages, inputs.sets, inputs.ways)
        walk = np.where(misses > 0, (inputs.levels + misses - 1) * inputs.memory_us, 0.0)
        xlat = inputs.fixed + walk
    else:
        misses = np.zeros(n, np.int32)
        xlat = np.zeros(n)
    play = impl.schedule if impl else schedule
    issue, done = play(inputs.cpu, xlat, inputs.service, inputs.post, threads, queue_depth,
                       channels)
    return SimResult(path, n, done - issue, float(done.max()), misses,
                     int(inputs.pages.sum()), threads, queue_depth)


def simulate(trace, *, path: str = "siommu", device="optane", size: int = 4096,
             tlb_entries: int = 64, ways: int | None = None, threads: int = 1,
             queue_depth: int = 1, walk_levels: int | None = None,
             memory_us: float | None = None, overrides: dict | None = None,
             engine: str = "compiled") -> SimResult:
    """Run ``trace`` through ``path``: TLB pass, then the event schedule.

    ``engine="python"`` runs the same model in plain Python (the reference the compiled
    passes are tested and benchmarked against)."""
    positive_int("simulation threads", threads)
    positive_int("simulation queue_depth", queue_depth)
    if engine not in ENGINES:
        raise InputError(f"unknown simulation engine {engine!r}: one of {', '.join(ENGINES)}")
    inputs = prepare(trace, path=path, device=device, size=size, tlb_entries=tlb_entries,
                     ways=ways, walk_levels=walk_levels, memory_us=memory_us,
                     overrides=overrides)
    return run(inputs, path=path, threads=threads, queue_depth=queue_depth,
               channels=params.device(device).channels, engine=engine)


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
