"""The BypassD evaluation's setups, as model studies on the XRP-measured Optane stack.

Five ways to read a file on an Optane P5800X-class SSD: ``psync`` (``pread`` with
O_DIRECT through ext4: XRP's measured layers, whose sum is its 6.27 us total at 512 B),
``libaio`` (``io_submit`` + ``io_getevents``: the same file-system and block layers, two
crossings), ``io_uring`` (one ``io_uring_enter``, completion from the shared ring), ``spdk``
(userspace driver, no file system, no protection) and ``siommu`` (BypassD: the userLib
maps fd/offset to a virtual block address, the SSD asks the IOMMU to translate it, ~550 ns
with PCIe and an IOTLB miss); ``siommu_emulated`` is BypassD's own emulation, a ~1 us
software walk in place of the hardware translation. Every cost is a constant of
:mod:`labkit.siommu.params` with its source. The studies: latency against request size;
4 KB latency of one reader while N others read (the device's channels are shared; each
reader has its own core); throughput of 1-20 reader threads at queue depth 1 (closed
loop, :func:`labkit.siommu.sim.schedule`).
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.siommu import latency, params, sim
from labkit.siommu.validate import positive_int

PATHS = ("psync", "libaio", "io_uring", "spdk", "siommu", "siommu_emulated")
WHOLE_SECTORS = ("psync", "libaio", "io_uring", "spdk")      # O_DIRECT and raw NVMe commands
SIZES_KIB = (4, 8, 16, 32, 64, 128)
BACKGROUND_READERS = (0, 1, 2, 4, 8, 12, 16)
FS_LAYERS = ("filesystem", "block_layer", "driver")       # ext4, bio, NVMe driver (XRP)
POST = {"psync": (), "libaio": ("reap",), "io_uring": (), "spdk": ("poll",),
        "siommu": ("poll",), "siommu_emulated": ("poll",)}   # CPU after the device
DEVICE_PARTS = ("device", "transfer")
TRANSLATION_PARTS = ("translation",)


def check_path(path: str) -> str:
    if path not in PATHS:
        raise InputError(f"unknown BypassD-study path {path!r}: one of {', '.join(PATHS)}")
    return path


def layers(path: str, size: int, device="optane") -> dict[str, float]:
    """Component -> microseconds of one ``size``-byte read on ``path``. The O_DIRECT paths
    and SPDK move whole sectors (InputError otherwise); the SIOMMU's user library reads
    the blocks around a partial request itself."""
    check_path(path)
    latency.check_size(size)
    sector = params.SECTOR_BYTES[0]
    if path in WHOLE_SECTORS and size % sector:
        raise InputError(f"the {path} path reads whole {sector}-byte sectors (O_DIRECT / NVMe): "
                         f"size {size} is not a multiple of {sector}")
    dev = params.device(device)
    kernel = {k: params.LINUX[k][0] for k in FS_LAYERS}
    crossing, read_call = params.LINUX["syscall"][0], params.LINUX["vfs"][0]
    if path == "psync":
        out = {"syscall": crossing, "vfs": read_call, **kernel}
    elif path == "libaio":
        out = {"syscall": crossing, "submit": params.LIBAIO_SUBMIT_US[0], **kernel,
               "reap": params.LIBAIO_REAP_US[0]}
    elif path == "io_uring":
        out = {"syscall": crossing, "submit": params.IO_URING_SUBMIT_US[0], **kernel}
    elif path == "spdk":
        out = {"submit": params.SPDK["submit"][0], "poll": params.SPDK["poll"][0]}
    else:
        translate = (params.BYPASSD_TRANSLATION_US if path == "siommu"
                     else params.BYPASSD_SOFTWARE_WALK_US)[0]
        out = {"userlib": params.SIOMMU["userlib"][0], "submit": params.SIOMMU["submit"][0],
               "translation": translate, "poll": params.SIOMMU["poll"][0]}
    out["device"] = dev.read_us
    out["transfer"] = size / (dev.bandwidth_gbps * 1e3)
    return out


def total(path: str, size: int, device="optane") -> float:
    return sum(layers(path, size, device).values())


def latency_vs_size(paths=PATHS, sizes_kib=SIZES_KIB, device="optane"):
    """Tidy frame: one row per path, size and component (``us``), plus ``total_us``."""
    import pandas as pd

    rows = []
    for path in paths:
        for kib in sizes_kib:
            parts = layers(path, positive_int("request size (KiB)", kib) * 1024, device)
            whole = sum(parts.values())
            rows += [{"path": path, "size_kib": kib, "component": name, "us": us,
                      "total_us": whole} for name, us in parts.items()]
    return pd.DataFrame(rows)


def _run(path: str, size: int, threads: int, requests: int, device):
    """Closed-loop QD1 schedule of ``threads`` readers; (mean latency us, IOPS)."""
    parts = layers(path, size, device)
    dev = params.device(device)
    whole = sum(parts.values())
    post = sum(parts[k] for k in POST[path])
    service = sum(parts[k] for k in DEVICE_PARTS)
    xlat = sum(parts.get(k, 0.0) for k in TRANSLATION_PARTS)
    cpu = whole - service - xlat
    fill = lambda v: np.full(requests, float(v))
    issue, done = sim.schedule(fill(cpu), fill(xlat), fill(service), fill(post),
                               threads, 1, dev.channels)
    return float((done - issue).mean()), requests / float(done.max()) * 1e6


def background(readers=BACKGROUND_READERS, paths=PATHS, size: int = 4096,
               requests_per_reader: int = 2000, device="optane"):
    """4 KB latency of a reader while ``n`` background readers do the same (QD1 each):
    with identical readers, the foreground's mean is every reader's mean."""
    import pandas as pd

    per = positive_int("requests per reader", requests_per_reader)
    rows = []
    for path in paths:
        for n in readers:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise InputError(f"background readers must be non-negative integers, got {n!r}")
            mean, _ = _run(path, size, n + 1, per * (n + 1), device)
            rows.append({"path": path, "background_readers": int(n), "latency_us": mean})
    return pd.DataFrame(rows)


def throughput(threads=range(1, 21), paths=PATHS, size: int = 4096,
               requests_per_thread: int = 2000, device="optane"):
    """IOPS of ``t`` reader threads at queue depth 1 (each on its own core)."""
    import pandas as pd

    per = positive_int("requests per thread", requests_per_thread)
    rows = []
    for path in paths:
        for t in threads:
            t = positive_int("threads", t)
            mean, iops = _run(path, size, t, per * t, device)
            rows.append({"path": path, "threads": t, "kiops": iops / 1e3, "latency_us": mean})
    return pd.DataFrame(rows)


def what_claims_need(size: int = 4096, device="optane") -> dict:
    """What the two claims that do not hold on these costs would need, at ``size``:

    * ``os_share_60``: kernel time to add to psync so the OS is 60% of its latency
      (``o + x = 0.6 (t + x)``);
    * ``near_spdk_10``: the largest SIOMMU translation cost (replacing BypassD's 550 ns)
      that keeps the path within 10% of SPDK, and the current fraction above SPDK."""
    psync = layers("psync", size, device)
    t = sum(psync.values())
    os_us = t - psync["device"] - psync["transfer"]
    spdk, bypass = total("spdk", size, device), layers("siommu", size, device)
    others = sum(bypass.values()) - bypass["translation"]
    return {"psync_us": t, "psync_os_share": os_us / t,
            "os_share_60_extra_kernel_us": max(0.0, (0.6 * t - os_us) / 0.4),
            "siommu_us": sum(bypass.values()), "spdk_us": spdk,
            "siommu_over_spdk": sum(bypass.values()) / spdk - 1,
            "siommu_cut_vs_psync": 1 - sum(bypass.values()) / t,
            "near_spdk_10_max_translation_us": 1.10 * spdk - others}
