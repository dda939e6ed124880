"""Solid-state memory and what a power cycle does to it (claim 10).

Claim 10: the main computer memory is random-access memory and the solid-state drive is
nonvolatile solid-state memory. Both are arrays of fixed-size units (bytes in frames of
main memory, blocks of the SSD); they differ in one property the model makes observable:
a power cycle of volatile memory loses every unit (and everything held in it, such as
the page tables of claim 1 (b) and (e)), a power cycle of nonvolatile memory keeps them.
Units never written read as zeros.
"""

from __future__ import annotations

from labkit.lab.errors import InputError
from labkit.siommu.request import PAGE_SIZE


class SolidStateMemory:
    """``units`` addressable units of ``unit_size`` bytes, volatile or not."""

    def __init__(self, name: str, units: int, *, volatile: bool, unit_size: int = PAGE_SIZE):
        if not isinstance(units, int) or units < 1:
            raise InputError(f"{name}: size must be a positive number of units, got {units!r}")
        self.name, self.units, self.volatile, self.unit_size = name, units, volatile, unit_size
        self._data: dict[int, bytes] = {}
        self._held: list = []        # structures stored here (page tables): lost with power
        self.power_cycles = 0

    @property
    def kind(self) -> str:
        return "volatile RAM" if self.volatile else "nonvolatile"

    def _unit(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.units:
            raise InputError(f"{self.name}: unit {index!r} is outside 0..{self.units - 1}")
        return index

    def read(self, index: int) -> bytes:
        return self._data.get(self._unit(index), bytes(self.unit_size))

    def write(self, index: int, data: bytes) -> None:
        """Store ``data`` (at most one unit, zero-padded) in unit ``index``."""
        self._unit(index)
        if not isinstance(data, (bytes, bytearray)) or len(data) > self.unit_size:
            raise InputError(f"{self.name}: a write takes at most {self.unit_size} bytes")
        self._data[index] = bytes(data).ljust(self.unit_size, b"\0")

    def hold(self, structure) -> None:
        """Record that ``structure`` (with a ``clear()``) is stored in this memory."""
        self._held.append(structure)

    def holds(self, structure) -> bool:
        return any(structure is held for held in self._held)

    def power_cycle(self) -> None:
        """Power off and on: volatile memory forgets every unit and held structure."""
        self.power_cycles += 1
        if self.volatile:
            self._data.clear()
            for structure in self._held:
                structure.clear()
