"""A two-level memory model for tiled SAM graphs (the paper's recreation of ExTensor).

Main memory (unbounded) feeds a global buffer (GLB) over a link of ``glb_bandwidth``
bytes per cycle with ``glb_latency`` cycles per transfer; the GLB feeds a memory tile next
to the SAM graph at ``mem_bandwidth`` bytes per cycle with ``mem_latency``. Tiles are
square: a memory tile holds ``mem_tile x mem_tile`` coordinates, a GLB tile
``glb_tile x glb_tile`` memory tiles. Defaults are the paper's (and the artifact's
``memory_config_extensor_17M_llb.yaml``): 1 GHz, a 17.1 MB GLB at 68.256 B/cycle with
200-cycle latency, a 70 KB memory tile at 256 B/cycle (1-cycle latency), 2 bytes per
element, tile sizes 16 and 128.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labkit.lab.errors import InputError
from labkit.sam.tiling import check_tile_side


@dataclass(frozen=True)
class MemoryModel:
    clock_hz: float = 1e9
    glb_bytes: float = 17.1e6
    glb_bandwidth: float = 68.256
    glb_latency: int = 200
    mem_bytes: float = 70e3
    mem_bandwidth: float = 256.0
    mem_latency: int = 1
    bytes_per_element: int = 2
    glb_tile: int = 16
    mem_tile: int = 128

    def __post_init__(self):
        check_tile_side(self.glb_tile, "GLB tile size")
        check_tile_side(self.mem_tile, "memory tile size")
        for name in ("clock_hz", "glb_bytes", "glb_bandwidth", "mem_bytes", "mem_bandwidth",
                     "bytes_per_element"):
            if not getattr(self, name) > 0:
                raise InputError(f"memory model {name} {getattr(self, name)!r}: must be > 0")
        for name in ("glb_latency", "mem_latency"):
            if getattr(self, name) < 0:
                raise InputError(f"memory model {name} {getattr(self, name)!r}: must be >= 0")

    @property
    def glb_side(self) -> int:
        """Coordinates per side of a GLB tile."""
        return self.glb_tile * self.mem_tile

    def bytes_of(self, elements: int) -> int:
        return int(elements) * self.bytes_per_element

    def glb_transfer(self, elements: int) -> int:
        """Cycles to move ``elements`` between main memory and the GLB."""
        return self.glb_latency + math.ceil(self.bytes_of(elements) / self.glb_bandwidth)

    def mem_transfer(self, elements: int) -> int:
        """Cycles to move ``elements`` between the GLB and the memory tile."""
        return self.mem_latency + math.ceil(self.bytes_of(elements) / self.mem_bandwidth)

    def check_fits(self, elements: int, level: str) -> None:
        """Refuse a working set larger than the buffer it must sit in."""
        cap = self.glb_bytes if level == "glb" else self.mem_bytes
        if self.bytes_of(elements) > cap:
            raise InputError(f"{level} working set of {self.bytes_of(elements)} bytes exceeds "
                             f"its {cap:g} bytes: choose smaller tiles")

    def seconds(self, cycles: int) -> float:
        return cycles / self.clock_hz
