"""The vector intrinsics generated kernels are written in: partial vectors touch exactly
their lanes, loads and stores agree, non-temporal stores write what ordinary ones do."""

import numba
import numpy as np
import pytest

from labkit.smm.operands import aligned_zeros
from labkit.smm.simd import (_pieces, lanes, store_fence, vadd, vfma, vload, vload_exact, vmul,
                             vsplat, vstore, vstore_exact, vstream, vstrided, vsub, vzero)


def test_pieces_cover_each_lane_once_largest_first():
    for count in range(1, 17):
        runs = _pieces(count)
        covered = [offset + i for offset, size in runs for i in range(size)]
        assert covered == list(range(count))
        sizes = [size for _, size in runs]
        assert sizes == sorted(sizes, reverse=True)
        assert all(size & (size - 1) == 0 for size in sizes)


def _roundtrip(count, exact):
    """Load ``count`` lanes from src[3:] and store them to dst[5:], masked or exact."""
    if exact:
        @numba.njit
        def f(src, dst):
            vstore_exact(dst, 5, vload_exact(src, 3, count), count)
    else:
        @numba.njit
        def f(src, dst):
            vstore(dst, 5, vload(src, 3, count), count)
    return f


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("exact", [False, True])
def test_partial_vectors_touch_only_their_lanes(dtype, exact):
    width = lanes(dtype)
    for count in sorted({1, 2, 3, 5, width - 1, width}):
        src = np.arange(1, 40, dtype=dtype)
        dst = np.full(40, -1.0, dtype=dtype)
        _roundtrip(count, exact)(src, dst)
        want = np.full(40, -1.0, dtype=dtype)
        want[5:5 + count] = src[3:3 + count]
        np.testing.assert_array_equal(dst, want)


def test_arithmetic_splat_and_strided_columns():
    @numba.njit
    def f(a, b, out):
        x = vload(a, 0, 8)
        y = vsplat(b, 1)
        acc = vfma(x, y, vzero(a))                 # a * 3
        acc = vadd(acc, vmul(x, y))               # a * 6
        acc = vsub(acc, x)                        # a * 5
        vstore(out, 0, acc, 8)
        vstore(out, 8, vstrided(a, 1, 3, 4), 4)   # a[1], a[4], a[7], a[10]
    a = np.arange(16.0)
    out = np.zeros(12)
    f(a, np.array([0.0, 3.0]), out)
    np.testing.assert_array_equal(out[:8], 5 * a[:8])
    np.testing.assert_array_equal(out[8:], a[[1, 4, 7, 10]])


def test_non_temporal_stores_write_what_plain_stores_write():
    @numba.njit
    def f(src, dst):
        for i in range(0, src.size, 8):
            vstream(dst, i, vload(src, i, 8))
        store_fence()
    src = np.random.default_rng(0).standard_normal(4096)
    dst = aligned_zeros(4096, "float64")
    assert dst.ctypes.data % 64 == 0
    f(src, dst)
    np.testing.assert_array_equal(dst, src)


def test_aligned_zeros_starts_on_a_line():
    for shape in [(3,), (5, 7), (2, 3, 9)]:
        z = aligned_zeros(shape, "float32")
        assert z.shape == shape and z.dtype == np.float32 and not z.any()
        assert z.ctypes.data % 64 == 0 and z.flags.c_contiguous
