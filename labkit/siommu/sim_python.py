"""The simulation's two passes in plain Python: the reference for the compiled ones.

The TLB pass drives :class:`labkit.siommu.tlb.TLB` (the functional model's own TLB) and
the schedule picks the earliest free slot and channel by a linear scan, the way the model
is described, so the compiled heap-based passes in :mod:`labkit.siommu.sim` are checked
against an independent implementation of the same model (tests and
``benchmarks/bench_siommu_sim.py``). Slow: about a microsecond per lookup.
"""

from __future__ import annotations

import numpy as np

from labkit.siommu.tlb import TLB


def tlb_misses(pasid, block, pages, sets, ways):
    """Misses per request, like :func:`labkit.siommu.sim.tlb_misses`."""
    tlb = TLB(sets * ways, ways, "lru")
    pages = np.broadcast_to(np.asarray(pages), np.shape(pasid))
    out = []
    for p, b, n in zip(np.asarray(pasid).tolist(), np.asarray(block).tolist(), pages.tolist()):
        missed = 0
        for page in range(b, b + n):
            if tlb.lookup(1, p, 0, page) is None:
                tlb.fill(1, p, 0, page, True)
                missed += 1
        out.append(missed)
    return np.array(out, np.int32)


def schedule(cpu, xlat, service, post, threads, queue_depth, channels):
    """(issue, completion) per request, like :func:`labkit.siommu.sim.schedule`."""
    ready = [0.0] * (threads * queue_depth)
    thread_free = [0.0] * threads
    chan_free = [0.0] * channels
    issue, done = [], []
    slots, chans = range(len(ready)), range(channels)
    for c_i, x_i, s_i, p_i in zip(cpu.tolist(), xlat.tolist(), service.tolist(), post.tolist()):
        s = min(slots, key=ready.__getitem__)         # the first of the earliest
        th = s // queue_depth
        t0 = ready[s]
        start = max(t0, thread_free[th])
        thread_free[th] = start + c_i
        c = min(chans, key=chan_free.__getitem__)
        begin = max(start + c_i - p_i + x_i, chan_free[c])
        chan_free[c] = begin + s_i
        issue.append(t0)
        done.append(begin + s_i + p_i)
        ready[s] = done[-1]
    return np.array(issue), np.array(done)
