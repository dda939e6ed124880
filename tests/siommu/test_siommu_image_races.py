"""Adversarial sequences on the real-bytes path: processes opening, reading, closing and
forging addresses on an ext4 image served through the SIOMMU model. Invariant: every read
either faults or returns exactly the bytes of a file the reading process has open at that
place (never another process's bytes, never stale bytes after close). Needs e2fsprogs."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from labkit.siommu import direct, image

FILES = {"/a.bin": 9000, "/b.bin": 4096, "/c/d.bin": 20_000}
PASIDS = st.sampled_from([1, 2, 3])
_IMAGE = {}


def built_image(tmp_path_factory):
    if not _IMAGE:
        root = tmp_path_factory.mktemp("races")
        rng = np.random.default_rng(7)
        for path, size in FILES.items():
            target = root / "src" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            _IMAGE[path] = rng.bytes(size)
            target.write_bytes(_IMAGE[path])
        _IMAGE["image"] = image.build(root / "src", root / "fs.ext4")
    return _IMAGE


class ImageRaces(RuleBasedStateMachine):
    handles = Bundle("handles")

    def __init__(self):
        super().__init__()
        self.emu = direct.DirectImage(IMAGE["image"])
        self.open = {}    # (pasid, fd) -> (path, base virtual address)
        self.stale = []   # (pasid, address, path) of closed handles

    def teardown(self):
        self.emu.close_image()

    def _owner_bytes(self, pasid, address, length):
        """The bytes ``pasid`` may legitimately see at ``address``: from a file it has
        open there (None: nothing of its own is mapped there)."""
        for (p, _), (path, base) in self.open.items():
            size = FILES[path]
            if p == pasid and base <= address and address + length <= base + size:
                return IMAGE[path][address - base:address - base + length]
        return None

    @rule(target=handles, pasid=PASIDS, path=st.sampled_from(sorted(FILES)))
    def open_file(self, pasid, path):
        fd = self.emu.open(pasid, path)
        self.open[(pasid, fd)] = (path, self.emu.virtual_address(pasid, fd, 0))
        return (pasid, fd)

    @rule(handle=handles)
    def close_file(self, handle):
        if handle not in self.open:
            with pytest.raises(direct.Fault):
                self.emu.close(*handle)
            return
        path, base = self.open.pop(handle)
        self.emu.close(*handle)
        self.stale.append((handle[0], base, path))

    @rule(handle=handles, offset=st.integers(0, 20_000), length=st.integers(1, 9000))
    def read(self, handle, offset, length):
        entry = self.open.get(handle)
        if entry is None or offset + length > FILES[entry[0]]:
            with pytest.raises(direct.Fault):
                self.emu.read(*handle, offset, length)
            return
        assert self.emu.read(*handle, offset, length) == IMAGE[entry[0]][offset:offset + length]

    @rule(reader=PASIDS, handle=handles, offset=st.integers(0, 8000),
          length=st.integers(1, 4096))
    def forged_address(self, reader, handle, offset, length):
        """``reader`` puts another handle's (or a closed handle's) virtual address in a
        request: it gets its own bytes mapped there or a fault, never someone else's."""
        entry = self.open.get(handle)
        if entry is None:
            if not self.stale:
                return
            _, base, _ = self.stale[offset % len(self.stale)]
        else:
            base = entry[1]
        address = base + offset
        expected = self._owner_bytes(reader, address, length)
        try:
            got = self.emu.read_virtual(reader, address, length)
        except direct.Fault:
            return
        assert expected is not None, f"PASID {reader} read bytes it has no open file for"
        assert got == expected

    @invariant()
    def closed_handles_fault(self):
        for pasid, base, _ in self.stale[-3:]:
            if self._owner_bytes(pasid, base, 1) is None:
                with pytest.raises(direct.Fault):
                    self.emu.read_virtual(pasid, base, 1)


IMAGE = {}


@pytest.fixture(scope="module", autouse=True)
def _image(tmp_path_factory):
    IMAGE.update(built_image(tmp_path_factory))


TestImageRaces = ImageRaces.TestCase
TestImageRaces.settings = settings(max_examples=40, stateful_step_count=25, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
