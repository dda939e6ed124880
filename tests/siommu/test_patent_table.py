"""The limitation-by-limitation table the notebook shows (labkit.siommu.patent)."""

import pytest

from labkit import InputError
from labkit.siommu import patent, permission
from labkit.siommu.memory import SolidStateMemory
from labkit.siommu.request import Request
from labkit.siommu.tlb import TLB
from labkit.siommu.unit import SIOMMU


def through_the_dma_table(self, pasid, vaddr, write=False):
    """A broken claim 13: processor addresses looked up in table 34b, not table 23."""
    return self._decide(Request(0, pasid, 0, vaddr, write), self.mem_table)


def test_every_claim_holds_with_its_parents_limitations():
    table = patent.check_all()
    assert table.holds.all() and sorted(table.claim.unique()) == list(range(1, 17))
    rows = table.groupby("claim").size()
    own = {n: len(patent.CLAIMS[n][1]) for n in patent.CLAIMS}
    assert rows[3] == own[1] + own[2] + own[3]               # 3 <- 2 <- 1
    assert rows[14] == own[11] + own[14] and rows[16] == own[15] + own[16]
    assert set(table[table.claim == 4].from_claim) == {1, 2, 4}
    assert all(table.element.str.len() > 0)


@pytest.mark.parametrize("claim,break_it,row", [
    (5, lambda mp: mp.setattr(permission, "grants",
                              lambda m, e, w: e.physical is not None and (e.write if w else e.read)),
     "existence"),
    (7, lambda mp: mp.setattr(TLB, "lookup", lambda self, *key: None), "cache"),
    (10, lambda mp: mp.setattr(SolidStateMemory, "power_cycle", lambda self: None), "RAM"),
    (13, lambda mp: mp.setattr(SIOMMU, "translate_processor", through_the_dma_table),
     "processors"),
])
def test_a_broken_element_shows_as_not_holding(monkeypatch, claim, break_it, row):
    break_it(monkeypatch)
    table = patent.check_claim(claim)
    broken = table[~table.holds]
    assert len(broken) >= 1 and broken.limitation.str.contains(row).any()


@pytest.mark.parametrize("bad", [0, 17, "3", True, None])
def test_unknown_claim_number_is_input_error(bad):
    with pytest.raises(InputError, match="claim"):
        patent.check_claim(bad)


def test_bus_ledger_of_a_cold_and_a_warm_read():
    from labkit.siommu import buses

    ledger = patent.bus_ledger()
    totals = ledger.groupby(["read", "bus"]).us.sum()
    mem_latency, mem_gbps = buses.MEMORY_BUS[:2]
    walk = 4 * (mem_latency + 8 / (mem_gbps * 1e3))           # one 4-level walk
    assert totals["cold", "memory"] - totals["warm", "memory"] == pytest.approx(3 * walk)
    assert totals["cold", "io"] == pytest.approx(totals["warm", "io"])
    assert set(ledger[ledger.who == "processor"].bus) == {"io", "memory"}
    assert set(ledger[ledger.what == "command"].bus) == {"io"}
