"""Multi-level page tables kept in main memory by the OS (tables 34a and 34b).

One radix tree per PASID; a virtual page number is split into ``levels`` indices of
``bits`` bits each. A walk touches one node per level until it finds the leaf or a
missing node, and reports how many it touched: that count times the memory latency is
the walk's cost in the latency model. Table 34a maps virtual block addresses to physical
blocks of a device; table 34b maps buffer pages to physical memory frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.lab.errors import InputError
from labkit.siommu.faults import check_handling


@dataclass(frozen=True)
class Entry:
    """A leaf: the physical page (None = not a valid physical address), the device the
    mapping belongs to, the read / write permission bits, and the fault code the OS chose
    for a fault on this entry (None: the request's or the machine's)."""

    physical: int | None
    device: int
    read: bool = True
    write: bool = False
    on_fault: str | None = None

    def __post_init__(self):
        check_handling(self.on_fault, "entry fault code")

    def allows(self, write: bool) -> bool:
        """Permission of FIG. 4: a valid physical address and the needed R/W bit."""
        return self.physical is not None and (self.write if write else self.read)


class PageTable:
    """Radix page tables, one tree per PASID, ``levels`` deep with ``bits`` per level."""

    def __init__(self, levels: int = 4, bits: int = 9, name: str = ""):
        if not isinstance(levels, int) or not 1 <= levels <= 6:
            raise InputError(f"page-table levels must be an integer in 1..6, got {levels!r}")
        if not isinstance(bits, int) or not 1 <= bits <= 16:
            raise InputError(f"page-table bits per level must be in 1..16, got {bits!r}")
        self.levels, self.bits, self.name = levels, bits, name
        self.span = 1 << (levels * bits)      # virtual pages per PASID
        self.roots: dict[int, dict] = {}
        self.count = 0

    def _indices(self, page: int) -> list[int]:
        mask = (1 << self.bits) - 1
        return [(page >> (self.bits * (self.levels - 1 - i))) & mask for i in range(self.levels)]

    def in_range(self, page: int) -> bool:
        return 0 <= page < self.span

    def _check(self, page: int) -> None:
        if not self.in_range(page):
            raise InputError(f"page {page} is outside the {self.levels}-level table "
                             f"{self.name or ''} (0..{self.span - 1})")

    def map(self, pasid: int, page: int, entry: Entry) -> None:
        """Install or replace the leaf for ``(pasid, page)`` (the OS's job)."""
        self._check(page)
        node = self.roots.setdefault(pasid, {})
        *upper, last = self._indices(page)
        for index in upper:
            node = node.setdefault(index, {})
        if last not in node:
            self.count += 1
        node[last] = entry

    def unmap(self, pasid: int, page: int) -> Entry | None:
        """Remove the leaf; return it (None if there was none). Empty nodes are pruned."""
        path, node = [], self.roots.get(pasid)
        if node is None or not self.in_range(page):
            return None
        *upper, last = self._indices(page)
        for index in upper:
            path.append((node, index))
            node = node.get(index)
            if node is None:
                return None
        entry = node.pop(last, None)
        if entry is not None:
            self.count -= 1
            while path and not node:   # prune empty nodes bottom-up
                parent, index = path.pop()
                del parent[index]
                node = parent
            if not self.roots[pasid]:
                del self.roots[pasid]
        return entry

    def walk(self, pasid: int, page: int) -> tuple[Entry | None, int]:
        """``(leaf or None, levels touched)``: the hardware page walk."""
        node = self.roots.get(pasid)
        if node is None or not self.in_range(page):
            return None, 1   # the PASID-table lookup itself is one access
        touched = 0
        for index in self._indices(page):
            touched += 1
            node = node.get(index)
            if node is None:
                return None, touched
        return node, touched

    def clear(self) -> None:
        """Forget every entry (the memory holding the table lost power)."""
        self.roots, self.count = {}, 0

    def lookup(self, pasid: int, page: int) -> Entry | None:
        return self.walk(pasid, page)[0]

    def entries(self):
        """Every ``(pasid, page, entry)``, for checks and tests."""
        def visit(node, depth, prefix):
            for index, child in node.items():
                value = (prefix << self.bits) | index
                if depth == self.levels - 1:
                    yield value, child
                else:
                    yield from visit(child, depth + 1, value)
        for pasid, root in self.roots.items():
            for page, entry in visit(root, 0, 0):
                yield pasid, page, entry

    def __len__(self) -> int:
        return self.count
