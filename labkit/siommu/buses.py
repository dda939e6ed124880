"""The memory bus and the separate I/O bus of claim 12, each charging its own latency.

FIG. 1: the processor reaches main memory over the memory bus 15 (through the memory
controller 24) and the I/O devices, the SSDs among them, over an I/O bus 28 separate
from it; the SIOMMU walks its tables in main memory and devices DMA through the memory
controller. Every crossing is a transaction on one bus, charged ``latency_us`` plus its
bytes at ``gbps``; the ledger of charges is the per-bus latency of an I/O, so a request
that crosses the wrong bus, or a bus that is not charged, shows in the totals.
"""

from __future__ import annotations

from labkit.lab.errors import InputError
from labkit.siommu import params

MEMORY, IO = "memory", "io"
MEMORY_BUS = (params.MEMORY_US[0], 25.6,
              "latency: params.MEMORY_US (one DRAM access); 25.6 GB/s: one DDR4-3200 channel "
              "(3200 MT/s x 8 B), assumption")
IO_BUS = (params.SIOMMU["translation_request"][0], 7.88,
          "latency: params.SIOMMU translation_request (one PCIe round trip); 7.88 GB/s: "
          "PCIe 4.0 x4, the P5800X's link (16 GT/s x 4 lanes x 128/130 / 8)")


class Bus:
    """One bus: a fixed cost per transaction plus bytes at its bandwidth, and a ledger."""

    def __init__(self, name: str, latency_us: float, gbps: float):
        if not latency_us >= 0 or not gbps > 0:
            raise InputError(f"bus {name!r}: latency must be >= 0 and bandwidth > 0")
        self.name, self.latency_us, self.gbps = name, float(latency_us), float(gbps)
        self.ledger: list[dict] = []

    def cost_us(self, nbytes: int = 0) -> float:
        return self.latency_us + nbytes / (self.gbps * 1e3)

    def charge(self, who: str, what: str, nbytes: int = 0, count: int = 1) -> float:
        """Record ``count`` transactions of ``nbytes`` each by ``who``; return their cost."""
        us = count * self.cost_us(nbytes)
        if count:
            self.ledger.append({"bus": self.name, "who": who, "what": what,
                                "transactions": count, "bytes": count * nbytes, "us": us})
        return us

    def total_us(self) -> float:
        return sum(row["us"] for row in self.ledger)

    def reset(self) -> None:
        self.ledger.clear()


def standard() -> dict[str, Bus]:
    """A memory bus and an I/O bus with the default costs above."""
    return {MEMORY: Bus(MEMORY, *MEMORY_BUS[:2]), IO: Bus(IO, *IO_BUS[:2])}


def ledger_frame(buses: dict[str, Bus]):
    """Every charge on every bus, one row each (a tidy DataFrame)."""
    import pandas as pd

    rows = [row for bus in buses.values() for row in bus.ledger]
    return pd.DataFrame(rows, columns=["bus", "who", "what", "transactions", "bytes", "us"])
