"""Latency of one read or write along the Linux, SPDK and SIOMMU paths, by component.

Every path ends in the same device (fixed latency + transfer at its bandwidth); the paths
differ in the software around it. Linux: system call, VFS, file system, block layer,
driver, completion interrupt and the kernel/user copy. SPDK: a userspace submit and a
polled completion, no protection. SIOMMU: the user library, the submit, then the SSD's
translation request; each block and buffer page costs a TLB lookup; a miss walks
``walk_levels`` memory accesses for the first page and one leaf access for each further
(contiguous) page; data moves by DMA straight into the user buffer.
The TLB hit rate defaults to a uniform random read over ``working_set`` blocks through a
fully associative LRU TLB of ``tlb_entries``: ``min(1, entries / working_set)``.
"""

from __future__ import annotations

import math

from labkit.lab.errors import InputError
from labkit.siommu import params
from labkit.siommu.request import PAGE_SIZE
from labkit.siommu.validate import positive_int

PATHS = ("linux", "spdk", "siommu")
OS_COMPONENTS = ("syscall", "vfs", "filesystem", "block_layer", "driver", "interrupt", "copy")
KIND = {**{c: "os" for c in OS_COMPONENTS}, "userlib": "user", "submit": "user", "poll": "user",
        "translation_request": "translation", "tlb": "translation", "page_walk": "translation",
        "device": "device", "transfer": "device"}


def check_path(path: str) -> str:
    if path not in PATHS:
        raise InputError(f"unknown I/O path {path!r}: choose one of {', '.join(PATHS)}")
    return path


def check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise InputError(f"I/O size must be a positive number of bytes, got {size!r}")
    return size


def uniform_hit_rate(tlb_entries: int, working_set: int) -> float:
    """Steady-state hit rate of a fully associative LRU TLB under uniform random pages."""
    positive_int("TLB entries", tlb_entries)
    positive_int("working set (blocks)", working_set)
    return min(1.0, tlb_entries / working_set)


def breakdown(path: str, size: int, *, write: bool = False, device="optane",
              tlb_entries: int | None = None, hit_rate: float | None = None,
              buffer_hit_rate: float = 1.0, walk_levels: int | None = None,
              memory_us: float | None = None, working_set: int | None = None,
              copy_gbps: float | None = None, overrides: dict | None = None) -> dict[str, float]:
    """Component -> microseconds for one ``size``-byte request on ``path``.

    ``overrides`` replaces any component's per-request cost (e.g. a calibrated syscall);
    components of the other paths are ignored, so one dict can serve all three.
    """
    check_path(path)
    check_size(size)
    dev = params.device(device)
    overrides = dict(overrides or {})
    pages = math.ceil(size / PAGE_SIZE)

    def cost(table: dict, name: str) -> float:
        value = overrides.pop(name, table[name][0])
        if not isinstance(value, (int, float)) or value < 0 or math.isnan(value):
            raise InputError(f"component {name!r} must be a non-negative number, got {value!r}")
        return float(value)

    out: dict[str, float] = {}
    if path == "linux":
        for name in params.LINUX:
            out[name] = cost(params.LINUX, name)
        gbps = params.COPY_GBPS[0] if copy_gbps is None else copy_gbps
        if not gbps > 0:
            raise InputError(f"copy bandwidth must be positive, got {gbps!r}")
        out["copy"] = overrides.pop("copy", size / (gbps * 1e3))
    elif path == "spdk":
        out["submit"] = cost(params.SPDK, "submit")
        out["poll"] = cost(params.SPDK, "poll")
    else:
        levels = params.WALK_LEVELS[0] if walk_levels is None else walk_levels
        mem = params.MEMORY_US[0] if memory_us is None else memory_us
        positive_int("walk levels", levels)
        if not mem >= 0:
            raise InputError(f"memory latency must be non-negative, got {mem!r}")
        if hit_rate is None:
            entries = params.TLB_ENTRIES[0] if tlb_entries is None else tlb_entries
            ws = params.WORKING_SET_BLOCKS[0] if working_set is None else working_set
            hit_rate = uniform_hit_rate(entries, ws)
        for name, h in (("hit_rate", hit_rate), ("buffer_hit_rate", buffer_hit_rate)):
            if not 0.0 <= h <= 1.0:
                raise InputError(f"{name} must be in [0, 1], got {h!r}")
        out["userlib"] = cost(params.SIOMMU, "userlib")
        out["submit"] = cost(params.SIOMMU, "submit")
        out["translation_request"] = cost(params.SIOMMU, "translation_request")
        out["tlb"] = 2 * pages * cost(params.SIOMMU, "tlb_lookup")   # block + buffer page
        # a miss walks all levels for the first page; the request's further pages are
        # contiguous and share the upper levels, so each costs one (leaf) access
        accesses = levels + (pages - 1)
        misses = (1 - hit_rate) + (1 - buffer_hit_rate)
        out["page_walk"] = overrides.pop("page_walk", misses * accesses * mem)
        out["poll"] = cost(params.SIOMMU, "poll")
    out["device"] = overrides.pop("device", dev.write_us if write else dev.read_us)
    out["transfer"] = overrides.pop("transfer", size / (dev.bandwidth_gbps * 1e3))
    unknown = sorted(k for k in overrides if k not in KIND)   # other paths' parts: ignored
    if unknown:
        raise InputError(f"unknown latency components: {', '.join(unknown)} "
                         f"(known: {', '.join(KIND)})")
    return out


def summary(path: str, size: int, **options) -> dict:
    """``{"total_us", "breakdown_us", "os_share"}``: the CLI's answer (DESIGN.md)."""
    parts = breakdown(path, size, **options)
    total = sum(parts.values())
    os_us = sum(v for k, v in parts.items() if KIND[k] == "os")
    return {"total_us": total, "breakdown_us": parts, "os_share": os_us / total}


def frame(paths=PATHS, sizes=(4096,), **options):
    """Tidy rows ``path, size, component, kind, us`` for every path and size."""
    import pandas as pd

    rows = []
    for path in paths:
        for size in sizes:
            for name, us in breakdown(path, size, **options).items():
                rows.append({"path": path, "size": size, "component": name,
                             "kind": KIND[name], "us": us})
    return pd.DataFrame(rows, columns=["path", "size", "component", "kind", "us"])


def totals(paths=PATHS, sizes=(4096,), **options):
    """One row per path and size: ``total_us``, ``os_share`` and ``software_share``."""
    f = frame(paths, sizes, **options)
    g = f.groupby(["path", "size"], sort=False)
    out = g["us"].sum().rename("total_us").reset_index()
    os_us = f[f.kind == "os"].groupby(["path", "size"], sort=False)["us"].sum()
    dev_us = f[f.kind == "device"].groupby(["path", "size"], sort=False)["us"].sum()
    idx = list(zip(out["path"], out["size"]))
    out["os_share"] = [os_us.get(i, 0.0) for i in idx] / out["total_us"]
    out["software_share"] = 1 - [dev_us.get(i, 0.0) for i in idx] / out["total_us"]
    return out


def headline(size: int = 4096, **options) -> dict:
    """The three published comparisons at ``size``: Linux OS share, SIOMMU's cut against
    Linux, and SIOMMU's distance above SPDK (fractions)."""
    t = {p: summary(p, size, **options) for p in PATHS}
    return {"linux_os_share": t["linux"]["os_share"],
            "siommu_cut_vs_linux": 1 - t["siommu"]["total_us"] / t["linux"]["total_us"],
            "siommu_over_spdk": t["siommu"]["total_us"] / t["spdk"]["total_us"] - 1,
            **{f"{p}_us": t[p]["total_us"] for p in PATHS}}


def os_time_needed(share: float, path: str = "linux", size: int = 4096, **options) -> float:
    """Microseconds of kernel time to add to ``path`` for its OS share to reach ``share``
    (0 when it already does): the gap between the model's costs and a published share.
    Adding ``x`` to the OS part gives ``(os + x) / (total + x)``; solved for ``x``."""
    if not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise InputError(f"share must be a fraction in [0, 1), got {share!r}")
    s = summary(path, size, **options)
    os_us = s["os_share"] * s["total_us"]
    return max(0.0, (share * s["total_us"] - os_us) / (1 - share))


def sensitivity(component: str, costs, size: int = 4096, hit_rates=(None,), **options):
    """The headline comparisons with one component's per-request cost set to each of
    ``costs`` (microseconds), for each TLB hit rate (``None``: the model's own), as tidy
    rows ``<component>_us, hit_rate`` plus the :func:`headline` columns. Why: several
    SIOMMU costs are assumptions; this shows which values would meet a published claim."""
    import pandas as pd

    if component not in KIND:
        raise InputError(f"unknown component {component!r} (known: {', '.join(KIND)})")
    rows = []
    for us in costs:
        for hit in hit_rates:
            extra = {} if hit is None else {"hit_rate": hit}
            head = headline(size, overrides={component: us}, **extra, **options)
            rows.append({f"{component}_us": float(us),
                         "hit_rate": "model" if hit is None else str(hit), **head})
    return pd.DataFrame(rows)
