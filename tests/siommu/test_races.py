"""Security under adversarial timing: hypothesis stateful tests of the byte-level model.

The OS acts between a request's checks and its transfer (close, truncate, exit while a
request is in flight), remaps a file's virtual blocks while their translations are
cached (truncate then append), gives an exited process's PASID to a new process, and two
SSDs hold files at the same block numbers while requests name the wrong device. After
every step: nothing reaches a device without a matching entry and permission (every
cached translation equals the table, every leaf belongs to a file its PASID has open),
and every byte a process receives is what its own file holds at that block, compared
with a reference model of the files' contents kept by the test.
"""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from labkit.siommu.architecture import Computer, block_bytes
from labkit.siommu.device import Command
from labkit.siommu.request import PAGE_SIZE, Request

BUF = 0x40000
PASIDS = st.integers(1, 3)
PICK = st.integers(0, 7)
# the same block numbers on two SSDs, and a third file beside the first
FILES = {"a": [(0, 0, 4)], "b": [(1, 0, 4)], "c": [(0, 8, 3)]}


class Races(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.c = Computer({0: 64, 1: 64})
        self.expected = {}                # path -> expected bytes of each block
        for path, extents in FILES.items():
            f = self.c.create_file(path, extents)
            self.expected[path] = [block_bytes(path, i) for i in range(f.blocks)]
        self.flights = []                 # (device, flight, pasid, path, index)
        self.writes = 0
        self.served = 0
        self.slots = 0                    # buffers of in-flight requests, one each

    # -- helpers --------------------------------------------------------------------------
    def _open(self, pasid):
        return sorted(fd for (p, fd) in self.c.kernel.open_files if p == pasid)

    def _pick(self, pasid, pick):
        fds = self._open(pasid)
        if not fds:
            return None
        fd = fds[pick % len(fds)]
        return fd, self.c.kernel.handle(pasid, fd)

    def _buffer(self, pasid, device, slot=0):
        """The process's buffer ``slot`` for ``device`` (one per PASID, device and slot:
        an in-flight request has a buffer of its own)."""
        vaddr = BUF + (2 * slot + device) * PAGE_SIZE
        if self.c.unit.mem_table.lookup(pasid, vaddr >> 12) is None:
            self.c.buffer(pasid, device, vaddr)
            assert self.c.load(pasid, vaddr) == bytes(PAGE_SIZE)   # a new frame: no one's bytes
        return vaddr

    def _command(self, pasid, pick, index, write, slot=0):
        chosen = self._pick(pasid, pick)
        if chosen is None:
            return None
        fd, of = chosen
        f = self.c.fs.file(of.path)
        index %= f.blocks + 1                      # one past the end, too
        device = f.block(min(index, f.blocks - 1))[0]
        buffer = self._buffer(pasid, device, slot)
        data = None
        if write:
            self.writes += 1
            data = f"{of.path}#{index};w{self.writes}".encode().ljust(PAGE_SIZE, b"\0")
            self.c.store(pasid, buffer, data)
        address = (of.base + index) << 12
        return device, Command(pasid, address, buffer, write), of, index, data

    def _received(self, pasid, path, index, buffer):
        """Check the bytes a completed read put in the process's buffer."""
        got = self.c.load(pasid, buffer)
        assert got == self.expected[path][index], (path, index, got[:24])
        assert path in self.c.kernel.readable(pasid)

    def _landed(self, path, index, data, of):
        assert of.write and index < len(self.expected[path])
        self.expected[path][index] = data

    # -- the OS -----------------------------------------------------------------------------
    @rule(pasid=PASIDS, path=st.sampled_from(sorted(FILES)), mode=st.sampled_from(["r", "rw"]))
    def open(self, pasid, path, mode):
        self.c.kernel.open(pasid, path, mode)

    @rule(pasid=PASIDS, pick=PICK)
    def close(self, pasid, pick):
        chosen = self._pick(pasid, pick)
        if chosen:
            self.c.kernel.close(pasid, chosen[0])

    @rule(pasid=PASIDS, pick=PICK, blocks=st.integers(1, 2))
    def truncate(self, pasid, pick, blocks):
        chosen = self._pick(pasid, pick)
        if chosen and chosen[1].write and self.c.fs.file(chosen[1].path).blocks > blocks:
            path = chosen[1].path
            self.c.kernel.truncate(pasid, chosen[0], blocks)
            del self.expected[path][-blocks:]

    @rule(pasid=PASIDS, pick=PICK, blocks=st.integers(1, 3))
    def append(self, pasid, pick, blocks):
        chosen = self._pick(pasid, pick)
        if chosen and chosen[1].write:
            self.c.append(pasid, chosen[0], blocks)
            self.expected[chosen[1].path] += [bytes(PAGE_SIZE)] * blocks

    @rule(pasid=PASIDS, pick=PICK, blocks=st.integers(1, 2))
    def remap_cached_blocks(self, pasid, pick, blocks):
        """The same virtual blocks, cached in the TLB, now name other physical blocks:
        truncate, then append as many (the freed blocks may be reused by any file)."""
        chosen = self._pick(pasid, pick)
        if chosen and chosen[1].write and self.c.fs.file(chosen[1].path).blocks > blocks:
            _, of = chosen
            for index in range(self.c.fs.file(of.path).blocks):   # cache every block
                self.c.unit.translate(Request(1, pasid, self.c.fs.file(of.path).block(index)[0],
                                              (of.base + index) << 12))
            self.truncate(pasid, pick, blocks)
            self.append(pasid, pick, blocks)

    @precondition(lambda self: self.flights)
    @rule(which=PICK)
    def unmap_in_flight_buffer(self, which):
        """The process frees the buffer an in-flight request will DMA into (or from)."""
        device, flight, pasid, *_ = self.flights[which % len(self.flights)]
        self.c.kernel.unmap_buffer(pasid, flight.command.buffer)

    @rule(pasid=PASIDS)
    def exit_and_reuse_pasid(self, pasid):
        """The process ends; its PASID goes to the next process (the next open)."""
        self.c.kernel.exit(pasid)

    # -- the processes ----------------------------------------------------------------------
    @rule(pasid=PASIDS, pick=PICK, index=st.integers(0, 6), write=st.booleans())
    def io(self, pasid, pick, index, write):
        made = self._command(pasid, pick, index, write)
        if made is None:
            return
        device, command, of, index, data = made
        allowed = index < len(self.expected[of.path]) and (of.write or not write)
        outcome = self.c.submit(device, command)
        assert outcome.ok == allowed, (outcome, allowed)
        if outcome.ok:
            self.served += 1
            if write:
                self._landed(of.path, index, data, of)
            else:
                self._received(pasid, of.path, index, command.buffer)

    @rule(pasid=PASIDS, pick=PICK, index=st.integers(0, 3), write=st.booleans())
    def begin(self, pasid, pick, index, write):
        """A request passes its checks (a)-(f) and waits for its transfer."""
        self.slots += 1
        made = self._command(pasid, pick, index, write, slot=self.slots)
        if made is not None:
            device, command, of, index, data = made
            flight = self.c.devices[device].begin(command, self.c.unit, self.c.buses)
            if flight.ok:
                self.flights.append((device, flight, pasid, of, index, data))

    @precondition(lambda self: self.flights)
    @rule(which=PICK)
    def finish(self, which):
        device, flight, pasid, of, index, data = self.flights.pop(which % len(self.flights))
        outcome = self.c.devices[device].finish(flight, self.c.memory, self.c.buses)
        still = (self.c.kernel.open_files.get((pasid, of.fd)) is of
                 and index < len(self.expected[of.path]))
        if outcome.ok:
            assert still, "a transfer after its file was closed, truncated or its PASID exited"
            assert self.c.unit.mem_table.lookup(pasid, flight.command.buffer >> 12) is not None, \
                "a DMA into or out of a buffer the process had freed"
            if flight.command.write:
                self._landed(of.path, index, data, of)
            else:
                self._received(pasid, of.path, index, flight.command.buffer)

    @rule(pasid=PASIDS, pick=PICK, index=st.integers(0, 3))
    def forged_device(self, pasid, pick, index):
        """The command goes to the other SSD, where the same block numbers hold another
        file; and a request names the other device directly."""
        made = self._command(pasid, pick, index, False)
        if made is None:
            return
        device, command, of, index, _ = made
        other = 1 - device
        self._buffer(pasid, other)
        forged = Command(pasid, command.address, BUF + other * PAGE_SIZE)
        assert not self.c.submit(other, forged).ok
        assert not self.c.unit.translate(Request(1, pasid, other, command.address)).ok

    # -- invariants -------------------------------------------------------------------------
    @invariant()
    def caches_agree_with_tables(self):
        unit = self.c.unit
        for tlb in {id(t): t for t in unit.tlbs.values()}.values():
            for (ft, pasid, device, page), entry in tlb.cached():
                table = unit.io_table if ft == 1 else (
                    unit.cpu_table if device == 0xFFFF else unit.mem_table)
                assert table.lookup(pasid, page) == entry

    @invariant()
    def every_leaf_belongs_to_an_open_file(self):
        for pasid, page, entry in self.c.unit.io_table.entries():
            found = self.c.kernel.resolve(pasid, page)
            assert found is not None
            assert self.c.fs.file(found[0].path).block(found[1]) == (entry.device, entry.physical)

    @invariant()
    def files_hold_what_was_written(self):
        for path, blocks in self.expected.items():
            f = self.c.fs.file(path)
            assert f.blocks == len(blocks)
            for index, data in enumerate(blocks):
                device, block = f.block(index)
                assert self.c.devices[device].media.read(block) == data, (path, index)


Races.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
TestRaces = Races.TestCase


def test_the_race_machine_reaches_the_device():
    """Guard against a vacuous run: the generated steps do serve I/O and complete
    in-flight transfers."""
    import random

    machine, served = Races(), 0
    rng = random.Random(3)
    for pasid in (1, 2, 3):
        machine.open(pasid, "abc"[pasid - 1], "rw")
    for _ in range(200):
        pasid, pick, index = rng.randint(1, 3), rng.randint(0, 7), rng.randint(0, 3)
        machine.io(pasid, pick, index, rng.random() < 0.3)
        machine.begin(pasid, pick, index, False)
        if machine.flights:
            machine.finish(0)
        machine.files_hold_what_was_written()
    assert machine.served > 100


RACES = {
    "close": lambda m: m.close(1, 0),
    "truncate": lambda m: m.truncate(1, 0, 3),
    "remap": lambda m: m.remap_cached_blocks(1, 0, 3),
    "exit": lambda m: m.exit_and_reuse_pasid(1),
    "unmap_buffer": lambda m: m.unmap_in_flight_buffer(0),
}


@pytest.mark.parametrize("write", [False, True])
@pytest.mark.parametrize("race", sorted(RACES))
def test_each_race_aborts_the_request_in_flight(race, write):
    """Each race pinned as a fixed sequence (the stateful run explores around them): a
    request checked before the OS acts must not transfer after it."""
    m = Races()
    m.open(1, "a", "rw")
    m.begin(1, 0, 1, write)
    device, flight, *_ = m.flights[0]
    RACES[race](m)
    m.finish(0)                                   # the machine's own checks of the outcome
    assert flight.aborted
    m.files_hold_what_was_written()
    m.caches_agree_with_tables()
