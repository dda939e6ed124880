"""Default costs of the three I/O paths and the devices, each with where it comes from.

Microseconds unless the name says otherwise. A value marked ``assumption`` is our
estimate, not a published measurement; the notebooks show how the results move with it.
``SOURCES`` is printed in the notebooks so every default is cited next to its use.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.lab.errors import InputError

XRP = "XRP (Zhong et al., OSDI'22), Table 1: 512 B read() on an Optane P5800X, Linux 5.x ext4"
ANANDTECH = ("AnandTech P4800X review (2017): QD1 4 KB random read, mean 8.9 us (Optane), "
             "77.9 us (Intel P3700 flash); Intel spec: typical latency < 10 us, 2400 MB/s")
FAST12 = ("Yang, Minturn, Hady, 'When poll is better than interrupt', FAST'12: interrupt-driven "
          "completion costs microseconds more than polling on a us-scale device")

# Linux kernel path of a read()/pread() (XRP's breakdown, plus completion and copy).
LINUX = {
    "syscall": (0.351, XRP + ": kernel crossing"),
    "vfs": (0.199, XRP + ": read syscall / VFS"),
    "filesystem": (2.006, XRP + ": ext4"),
    "block_layer": (0.379, XRP + ": bio / blk-mq"),
    "driver": (0.113, XRP + ": NVMe driver"),
    "interrupt": (1.0, "assumption: IRQ, completion and wake-up of the sleeping thread; " + FAST12),
}
COPY_GBPS = (10.0, "assumption: kernel-to-user memcpy bandwidth; calibrate.py measures this machine")

# SPDK: userspace driver, polled completion, no file system and no protection.
SPDK = {
    "submit": (0.15, "assumption: build the NVMe command and ring the doorbell from userspace "
                     "(SPDK's own overhead tool measures sub-microsecond submission)"),
    "poll": (0.10, "assumption: reap the completion queue entry by polling"),
}

# SIOMMU / BypassD: a user library, the device asks the SIOMMU to translate, DMA to the buffer.
SIOMMU = {
    "userlib": (0.25, "assumption: BypassD userLib intercepts the call and maps fd/offset to "
                      "a virtual block address (a lookup, no kernel entry)"),
    "submit": SPDK["submit"],
    "translation_request": (0.30, "assumption: the SSD's translation request / completion "
                                  "over PCIe (ATS-like round trip)"),
    "tlb_lookup": (0.02, "assumption: an on-chip TLB lookup, ~tens of ns"),
    "poll": SPDK["poll"],
}
# The BypassD evaluation's setups (labkit.siommu.bypassd). The kernel layers are LINUX's
# XRP figures above; XRP's layers add up to its measured total, completion included.
XRP_TOTAL_512_US = (6.27, XRP + ": 6.27 us end to end for the 512 B O_DIRECT read")
BYPASSD = "Yadalam et al., BypassD, ASPLOS'24, userLib and emulation notes"
BYPASSD_TRANSLATION_US = (0.55, BYPASSD + ": IOMMU block-address translation ~550 ns, "
                                          "including PCIe and an IOTLB miss")
BYPASSD_SOFTWARE_WALK_US = (1.0, BYPASSD + ": software page-table walk used to emulate the "
                                           "translation, ~1 us")
SECTOR_BYTES = (512, "the SSD's logical block (LBA) size, 512 B in the P5800X's default format: "
                    "O_DIRECT reads and SPDK commands move whole LBAs")
LIBAIO_SUBMIT_US = (0.20, "assumption: io_submit's own work in place of read()'s (XRP: 199 ns)")
LIBAIO_REAP_US = (0.35 + 0.10, "assumption: io_getevents, a second kernel crossing (XRP: "
                               "351 ns) plus ~100 ns to reap the completion")
IO_URING_SUBMIT_US = (0.10, "assumption: io_uring_enter's ring handling in place of read()'s "
                            "syscall work; one crossing, completion reaped from the shared ring")
WALK_LEVELS = (4, "x86-64 style 4-level radix page table (the patent's multi-level table)")
MEMORY_US = (0.09, "assumption: one DRAM access per walk level, ~90 ns")
TLB_ENTRIES = (64, "assumption: IOTLB entries")
WORKING_SET_BLOCKS = (262_144, "a 1 GiB file of 4 KB blocks read uniformly at random "
                               "(BypassD's random-read microbenchmarks)")


@dataclass(frozen=True)
class Device:
    """An SSD: fixed latency plus transfer time at ``bandwidth_gbps``; ``channels`` is how
    many requests it serves at once (its internal parallelism)."""

    name: str
    read_us: float
    write_us: float
    bandwidth_gbps: float
    channels: int
    source: str

    def __post_init__(self):
        for field_name in ("read_us", "write_us", "bandwidth_gbps"):
            value = getattr(self, field_name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise InputError(f"device {self.name!r}: {field_name} must be positive, got {value!r}")
        if not isinstance(self.channels, int) or self.channels < 1:
            raise InputError(f"device {self.name!r}: channels must be a positive integer")

    def service_us(self, size: int, write: bool = False) -> float:
        """Time the device holds one request of ``size`` bytes."""
        return (self.write_us if write else self.read_us) + size / (self.bandwidth_gbps * 1e3)


DEVICES = {
    # XRP measured 3.224 us in the device for a 512 B read; minus 512 B at 7.2 GB/s.
    "optane": Device("optane", read_us=3.224 - 512 / 7.2e3, write_us=3.224 - 512 / 7.2e3,
                     bandwidth_gbps=7.2, channels=6,
                     source=XRP + ": storage device 3.224 us; P5800X vendor figures ~7.2 GB/s "
                            "sequential read and ~1.5 M 4 KB random-read IOPS (6 channels x "
                            "3.7 us gives 1.6 M)"),
    "flash": Device("flash", read_us=77.9 - 4096 / 2.8e3, write_us=20.0, bandwidth_gbps=2.8,
                    channels=35,
                    source=ANANDTECH + "; P3700 vendor figures 2.8 GB/s and ~450 k read IOPS "
                           "(35 channels x 78 us); write_us: assumption"),
}


def device(name_or_device) -> Device:
    """A :class:`Device` from a preset name (``optane``, ``flash``) or a Device."""
    if isinstance(name_or_device, Device):
        return name_or_device
    try:
        return DEVICES[name_or_device]
    except (KeyError, TypeError):
        raise InputError(f"unknown device {name_or_device!r}: one of {', '.join(DEVICES)}") from None


def sources():
    """Every default with its value and source, one row each (a DataFrame)."""
    import pandas as pd

    rows = [("linux", k, v, s) for k, (v, s) in LINUX.items()]
    rows += [("linux", "copy_gbps", *COPY_GBPS)]
    rows += [("spdk", k, v, s) for k, (v, s) in SPDK.items()]
    rows += [("siommu", k, v, s) for k, (v, s) in SIOMMU.items()]
    rows += [("bypassd", name, *value) for name, value in (
        ("xrp_total_512_us", XRP_TOTAL_512_US), ("translation_us", BYPASSD_TRANSLATION_US),
        ("software_walk_us", BYPASSD_SOFTWARE_WALK_US), ("libaio_submit_us", LIBAIO_SUBMIT_US),
        ("libaio_reap_us", LIBAIO_REAP_US), ("io_uring_submit_us", IO_URING_SUBMIT_US),
        ("sector_bytes", SECTOR_BYTES))]
    rows += [("siommu", "walk_levels", *WALK_LEVELS), ("siommu", "memory_us", *MEMORY_US),
             ("siommu", "tlb_entries", *TLB_ENTRIES),
             ("siommu", "working_set_blocks", *WORKING_SET_BLOCKS)]
    for d in DEVICES.values():
        rows += [(f"device:{d.name}", "read_us", round(d.read_us, 3), d.source),
                 (f"device:{d.name}", "bandwidth_gbps", d.bandwidth_gbps, d.source)]
    return pd.DataFrame(rows, columns=["path", "component", "value", "source"])
