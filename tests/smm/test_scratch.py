"""The scratch allocator: aligned, non-overlapping, reused after a scope, per thread."""

import threading

import numpy as np
import pytest

from labkit import InputError
from labkit.smm import scratch


def _span(a):
    return a.ctypes.data, a.ctypes.data + a.nbytes


def test_aligned_disjoint_and_reused():
    arena = scratch.Arena(1 << 16)
    with arena.scope():
        x = arena.take((3, 5))
        y = arena.take(7, np.float32)
        z = arena.take((2, 2, 2), np.int64)
        spans = sorted(_span(v) for v in (x, y, z))
        assert all(v.ctypes.data % 64 == 0 for v in (x, y, z))
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))      # no overlap
        assert x.shape == (3, 5) and y.dtype == np.float32 and z.shape == (2, 2, 2)
        x[...] = 1.0
        y[...] = 2.0
        z[...] = 3
        assert x.sum() == 15 and y.sum() == 14 and z.sum() == 24      # writes do not clobber
        first = x.ctypes.data
    with arena.scope():
        assert arena.take((3, 5)).ctypes.data == first                  # memory given back
    assert arena.offset == 0 and arena.high_water >= 3 * 64


@pytest.mark.parametrize("capacity", [1000, 1001, 1003, 1007])
def test_any_capacity_and_dtype(capacity):
    arena = scratch.Arena(capacity)
    with arena.scope():
        for dtype in (np.uint8, np.float32, np.float64, np.complex128):
            v = arena.take(3, dtype)
            v[...] = 1
            assert v.dtype == dtype and v.ctypes.data % 64 == 0


def test_nested_scopes_are_a_stack():
    arena = scratch.Arena(4096)
    with arena.scope():
        outer = arena.take(8)
        with arena.scope():
            inner = arena.take(8)
        again = arena.take(8)
        assert again.ctypes.data == inner.ctypes.data != outer.ctypes.data


def test_grows_when_a_scope_needs_more():
    arena = scratch.Arena(256)
    with arena.scope():
        small = arena.take(16)
        small[...] = 5.0
        big = arena.take(1000)
        big[...] = 1.0
        assert arena.grown == 1 and arena.capacity >= 8000
        np.testing.assert_array_equal(small, 5.0)                          # old views stay valid
    assert arena.offset == 0


def test_threads_get_their_own_arenas():
    pool = scratch.ScratchPool(4096)
    seen = {}

    def work(i):
        seen[i] = pool.arena()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(a) for a in seen.values()}) == 3
    assert pool.arena() is pool.arena()


def test_bad_input():
    with pytest.raises(InputError):
        scratch.Arena(0)
    with pytest.raises(InputError, match="of memory; the limit is"):
        scratch.Arena(1 << 50)
    arena = scratch.Arena(1024)
    with pytest.raises(InputError):
        arena.take((3, 0))
    with pytest.raises(InputError):
        scratch.bench(sizes=(-1,))


def test_bench_rows():
    frame = scratch.bench(sizes=(4096,), calls=20, repeat=1)
    assert set(frame["method"]) == {"scratch", "numpy.empty", "numpy.zeros"}
    assert (frame["ns_per_call"] > 0).all()
    row = frame.set_index("method").loc["numpy.empty"]
    assert row["speedup_vs_empty"] == pytest.approx(1.0)


def test_cli(capsys):
    import json

    from labkit.cli import main

    assert main(["smm", "scratch", "--sizes", "512", "--calls", "10", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 3
    for argv in (["--sizes", "a"], ["--sizes", "0"], ["--calls", "0"]):
        assert main(["smm", "scratch", *argv, "--json"]) == 2
        assert "\n" not in capsys.readouterr().err.strip()
