"""The what-if dashboard's two plain functions: ``compute`` and ``chart``.

``compute`` runs a short trace-driven simulation of a 4 KB read workload on all three
paths for one setting of device latency, TLB entries, walk levels, memory latency and
workload locality; ``chart`` draws mean latency per path split into software and device.
"""

from __future__ import annotations

from dataclasses import replace

from labkit.lab.errors import InputError
from labkit.siommu import latency, params, sim, workloads


def compute(device_us: float = 3.15, tlb_entries: int = 64, walk_levels: int = 4,
            memory_us: float = 0.09, locality: str = "uniform", processes: int = 1,
            requests: int = 20_000, blocks: int = 262_144, seed: int = 0):
    """Mean latency (µs) and TLB hit rate per path: a tidy DataFrame."""
    import pandas as pd

    if not isinstance(device_us, (int, float)) or device_us <= 0:
        raise InputError(f"device latency must be positive, got {device_us!r}")
    dev = replace(params.DEVICES["optane"], name="what-if", read_us=float(device_us),
                  write_us=float(device_us))
    trace = workloads.generate(locality, requests, blocks=blocks, processes=processes, seed=seed)
    rows = []
    for path in latency.PATHS:
        r = sim.simulate(trace, path=path, device=dev, tlb_entries=tlb_entries,
                         walk_levels=walk_levels, memory_us=memory_us)
        service = dev.service_us(4096)
        rows.append({"path": path, "part": "device", "us": service,
                     "hit_rate": r.hit_rate if path == "siommu" else float("nan")})
        rows.append({"path": path, "part": "software + translation",
                     "us": float(r.latency_us.mean()) - service,
                     "hit_rate": r.hit_rate if path == "siommu" else float("nan")})
    return pd.DataFrame(rows)


def chart(frame):
    import altair as alt

    import labkit.lab.charts  # noqa: F401

    hit = frame.loc[frame.path == "siommu", "hit_rate"].iloc[0]
    return alt.Chart(frame, title=f"4 KB read latency (SIOMMU TLB hit rate {hit:.1%})").mark_bar().encode(
        y=alt.Y("path:N", sort=["linux", "spdk", "siommu"], title=None),
        x=alt.X("sum(us):Q", title="mean latency (µs)"),
        color=alt.Color("part:N", title=None),
        tooltip=["path", "part", alt.Tooltip("us:Q", format=".2f")],
    )
