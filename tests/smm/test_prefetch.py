"""prefetch='next': the batched driver touches every cache line of the next product's
operands, spread over the steps of k, without leaving them, and computes what numpy does."""

import pytest

from labkit.smm.codegen import _steps, gemm_body, spread_prefetch
from labkit.smm.spec import make_spec
from labkit.smm.streaming import bench

SHAPES = [(5, 5, 5), (25, 5, 5), (13, 5, 7), (64, 8, 8), (8, 64, 8), (32, 32, 32), (70, 33, 9)]


def touched(spec):
    """(operand, offset) pairs one product's generated code prefetches, found by running
    that code in Python: the vector intrinsics stubbed out, ``prefetch`` recording, the
    next operands at offset 0. This checks the block indices the generator writes into
    its loops, not only :func:`spread_prefetch`."""
    seen = []
    scope = {name: (lambda *args: None) for name in
             ("vload", "vload_exact", "vstrided", "vsplat", "vzero", "vmul", "vfma", "vadd",
              "vsub", "vstore_exact", "vstream")}
    scope.update(prefetch=lambda name, offset: seen.append((name, offset)),
                 a="a", b="b", c="c", ao=0, bo=0, co=0, na=0, nb=0, nc=0)
    exec("\n".join(gemm_body(spec, indent="", prefetch=True)), scope)
    per_step = len(spread_prefetch(spec, "0"))
    assert len(seen) == _steps(spec) * per_step     # every step of k issues its share once
    return seen


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("beta", [0.0, 1.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_line_of_the_next_operands_is_touched_and_nothing_outside(shape, beta, dtype):
    spec = make_spec(*shape, beta=beta, dtype=dtype, prefetch="next")
    per_line = 64 // spec.itemsize
    seen = touched(spec)
    sizes = {"a": spec.a_size, "b": spec.b_size, "c": spec.c_size}
    wanted = {"a", "b", "c"} if beta else {"a", "b"}      # C is not read when beta = 0
    assert {name for name, _ in seen} == wanted
    for name in wanted:
        offsets = {offset for n, offset in seen if n == name}
        assert all(0 <= offset < sizes[name] for offset in offsets)
        # wherever the operand starts, each of its lines holds one of these offsets
        assert set(range(0, sizes[name], per_line)) | {sizes[name] - 1} <= offsets


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("stream", ["ABC", "AC", "AB"])
@pytest.mark.parametrize("shape", [(32, 32, 32), (70, 33, 9), (8, 64, 8)])
def test_prefetching_kernels_compute_what_numpy_does(shape, stream, threads):
    r = bench(*shape, stream=stream, kernel="labkit", batch=9, threads=threads,
              prefetch="next", repeat=1)
    assert r["max_error"] < 1e-12


def test_auto_prefetches_only_products_of_many_steps():
    assert bench(32, 32, 32, batch=3, repeat=1)["prefetch"] == "next"     # 256 steps of k
    assert bench(5, 5, 5, batch=3, repeat=1)["prefetch"] == "none"       # 5
    assert bench(32, 32, 32, batch=3, repeat=1, prefetch="none")["prefetch"] == "none"
    assert bench(32, 32, 32, batch=3, repeat=1, kernel="numpy")["prefetch"] == "none"
