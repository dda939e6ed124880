"""The SIOMMU's translation lookaside buffer (50a for I/O addresses, 50b for memory).

Set-associative with ``entries`` total and ``ways`` per set (``ways == entries`` is fully
associative) and LRU, FIFO or random replacement. A hit needs the whole tag to match:
FT bit, PASID, device id and virtual page, so one combined TLB can hold both kinds of
translation (the patent allows one table for both) and entries of different processes
never alias. The OS invalidates copies when it removes mappings (:meth:`invalidate`).
"""

from __future__ import annotations

import random
from collections import OrderedDict

from labkit.lab.errors import InputError

REPLACEMENTS = ("lru", "fifo", "random")


class TLB:
    """A set-associative TLB keyed by ``(ft, pasid, device, page)``."""

    def __init__(self, entries: int = 64, ways: int | None = None, replacement: str = "lru",
                 seed: int = 0, name: str = "tlb"):
        ways = entries if ways is None else ways
        if not isinstance(entries, int) or entries < 1:
            raise InputError(f"TLB entries must be a positive integer, got {entries!r}")
        if not isinstance(ways, int) or ways < 1 or entries % ways:
            raise InputError(f"TLB ways must divide the {entries} entries, got {ways!r}")
        if replacement not in REPLACEMENTS:
            raise InputError(f"unknown TLB replacement {replacement!r}: one of {REPLACEMENTS}")
        self.entries, self.ways, self.replacement, self.name = entries, ways, replacement, name
        self.sets = entries // ways
        self._sets = [OrderedDict() for _ in range(self.sets)]
        self._rng = random.Random(seed)
        self.hits = self.misses = self.evictions = self.invalidations = 0

    def _set(self, page: int) -> OrderedDict:
        return self._sets[page % self.sets]

    def lookup(self, ft: int, pasid: int, device: int, page: int):
        """The cached entry on a full-tag match, else None (counts hits and misses)."""
        key = (ft, pasid, device, page)
        s = self._set(page)
        entry = s.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        if self.replacement == "lru":
            s.move_to_end(key)
        return entry

    def fill(self, ft: int, pasid: int, device: int, page: int, entry) -> None:
        """Insert after a successful walk, evicting one entry of the set if it is full."""
        key = (ft, pasid, device, page)
        s = self._set(page)
        if key in s:
            s[key] = entry
            return
        if len(s) >= self.ways:
            if self.replacement == "random":
                victim = self._rng.choice(list(s))
                del s[victim]
            else:
                s.popitem(last=False)   # LRU and FIFO both keep the oldest first
            self.evictions += 1
        s[key] = entry

    def invalidate(self, *, ft: int | None = None, pasid: int | None = None,
                   pages=None) -> int:
        """Drop every cached copy matching ``ft``, ``pasid`` and ``pages`` (None = any);
        returns how many were dropped."""
        pages = None if pages is None else set(pages)
        dropped = 0
        for s in self._sets:
            doomed = [k for k in s if (ft is None or k[0] == ft) and
                      (pasid is None or k[1] == pasid) and (pages is None or k[3] in pages)]
            for k in doomed:
                del s[k]
            dropped += len(doomed)
        self.invalidations += dropped
        return dropped

    def cached(self):
        """Every ``((ft, pasid, device, page), entry)`` currently held."""
        for s in self._sets:
            yield from s.items()

    def __len__(self) -> int:
        return sum(len(s) for s in self._sets)

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")
