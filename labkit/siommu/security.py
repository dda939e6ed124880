"""An adversarial workload against the SIOMMU: every attempt must fault, no data may leak.

A victim (PASID 1) opens a writable database and a read-only log and maps a DMA buffer;
an attacker (PASID 2) opens its own file. Attempts: the attacker replays the victim's
addresses (other PASID); the victim replays addresses of a file it closed; requests
name the wrong device; writes to the read-only log; forged FT bits (block addresses
presented as memory addresses and the reverse); reads past the end of a file; DMA into
the other process's buffer. Legitimate requests run alongside as a control.
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.siommu.kernel import POLICIES
from labkit.siommu.request import Request
from labkit.siommu.system import Machine
from labkit.siommu.validate import positive_int

VICTIM, ATTACKER = 1, 2
SCENARIOS = ("legitimate", "other_pasid", "closed_file", "wrong_device", "write_read_only",
             "forged_ft", "past_end_of_file", "other_buffer")


def _setup(policy: str, tlb: str, entries: int):
    m = Machine({0: 1 << 14, 1: 1 << 14}, policy=policy, tlb=tlb, entries=entries)
    m.fs.create("victim.db", [(0, 100, 64), (1, 0, 32)], writable=True)
    m.fs.create("victim.log", [(0, 1000, 16)], writable=False)
    m.fs.create("victim.old", [(1, 500, 16)], writable=True)
    m.fs.create("attacker.dat", [(0, 5000, 16)], writable=True)
    fds = {"db": m.kernel.open(VICTIM, "victim.db", "rw"),
           "log": m.kernel.open(VICTIM, "victim.log", "r"),
           "old": m.kernel.open(VICTIM, "victim.old", "rw"),
           "att": m.kernel.open(ATTACKER, "attacker.dat", "rw")}
    m.kernel.map_buffer(VICTIM, 0, 0x100000, 4)
    m.kernel.map_buffer(VICTIM, 1, 0x200000, 4)
    m.kernel.map_buffer(ATTACKER, 0, 0x300000, 4)
    return m, fds


def run(attempts: int = 200, *, policy: str = "deny", tlb: str = "split", entries: int = 16,
        seed: int = 0):
    """Counts per scenario: ``scenario, policy, attempts, served, faulted, violations``
    and the fault codes seen (a tidy DataFrame)."""
    import pandas as pd

    if policy not in POLICIES:
        raise InputError(f"unknown fault policy {policy!r}: one of {POLICIES}")
    positive_int("attempts", attempts)
    rng = np.random.default_rng(seed)
    m, fds = _setup(policy, tlb, entries)
    kernel = m.kernel
    old_addresses = [kernel.address(VICTIM, fds["old"], b * 4096) for b in range(16)]
    for b in range(16):   # warm the TLB with the old file, then close it
        m.read(VICTIM, fds["old"], b * 4096)
    kernel.close(VICTIM, fds["old"])
    rows = []

    def record(scenario, result):
        rows.append({"scenario": scenario, "ok": result.ok, "served_by": result.served_by,
                     "fault": result.fault, "stage": result.stage})

    for _ in range(attempts):
        scenario = SCENARIOS[int(rng.integers(len(SCENARIOS)))]
        block = int(rng.integers(0, 96))
        write = bool(rng.integers(0, 2))
        dev, addr = kernel.address(VICTIM, fds["db"], block * 4096)
        vbuf = Request(0, VICTIM, dev, (0x100000 if dev == 0 else 0x200000) + 64, write=not write)
        if scenario == "legitimate":
            result = m.submit(Request(1, VICTIM, dev, addr, write), vbuf, data=b"v")
        elif scenario == "other_pasid":
            result = m.submit(Request(1, ATTACKER, dev, addr, write),
                              Request(0, ATTACKER, dev, 0x300000, write=not write), data=b"a")
        elif scenario == "closed_file":
            odev, oaddr = old_addresses[block % 16]
            result = m.submit(Request(1, VICTIM, odev, oaddr, write), None, data=b"v")
        elif scenario == "wrong_device":
            result = m.submit(Request(1, VICTIM, 1 - dev, addr, write), None, data=b"v")
        elif scenario == "write_read_only":
            ldev, laddr = kernel.address(VICTIM, fds["log"], (block % 16) * 4096)
            result = m.submit(Request(1, VICTIM, ldev, laddr, True), None, data=b"v")
        elif scenario == "forged_ft":
            if block % 2:   # a block address presented as a memory address
                result = m.submit(Request(0, VICTIM, dev, addr, write), None, data=b"v")
            else:           # a buffer address presented as a block address
                result = m.submit(Request(1, VICTIM, 0, 0x100000 + block, write), None, data=b"v")
        elif scenario == "past_end_of_file":
            base = kernel.handle(VICTIM, fds["db"]).base
            result = m.submit(Request(1, VICTIM, dev, (base + 96 + block) << 12, write), None)
        else:   # other_buffer: the victim's data DMA'd into the attacker's memory
            result = m.submit(Request(1, VICTIM, dev, addr, False),
                              Request(0, VICTIM, 0, 0x300000, write=True))
        record(scenario, result)
    frame = pd.DataFrame(rows)
    table = (frame.assign(served=frame.ok, faulted=~frame.ok)
             .groupby("scenario", sort=False)
             .agg(attempts=("ok", "size"), served=("served", "sum"), faulted=("faulted", "sum"),
                  faults=("fault", lambda s: ", ".join(sorted(set(s.dropna())))))
             .reset_index())
    table.insert(1, "policy", policy)
    table["violations"] = [sum(1 for r, row in zip(rows, m.log) if r["scenario"] == sc
                               and row["violation"]) for sc in table["scenario"]]
    return table


def verdict(table) -> bool:
    """True when every adversarial attempt faulted, no data reached the wrong process,
    and the legitimate control requests were all served."""
    adversarial = table[table.scenario != "legitimate"]
    legit = table[table.scenario == "legitimate"]
    return bool((adversarial.served == 0).all() and (table.violations == 0).all()
                and (legit.served == legit.attempts).all() and len(legit) > 0)
