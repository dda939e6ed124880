"""Non-temporal stores for C: used only where the kernel and the data allow them, only
for batches beyond the cache, and with the same results as ordinary stores."""

import numpy as np
import pytest

from labkit.smm.cases import get_case
from labkit.smm.codegen import can_stream
from labkit.smm.operands import aligned_zeros, random_stack
from labkit.smm.registry import dispatch
from labkit.smm.spec import make_spec
from labkit.smm.streaming_stores import last_level_cache_bytes, streaming_stores


def test_which_kernels_can_stream():
    assert can_stream(make_spec(16, 4, 8, beta=0.0))
    assert can_stream(make_spec(16, 4, 8, ldc=24, beta=0.0))
    assert not can_stream(make_spec(16, 4, 8, beta=1.0))          # C is read
    assert not can_stream(make_spec(13, 4, 8, beta=0.0))          # partial vector
    assert not can_stream(make_spec(16, 4, 8, ldc=20, beta=0.0))  # columns off the lines
    assert can_stream(make_spec(32, 2, 3, beta=0.0, dtype="float32"))
    assert not can_stream(make_spec(24, 2, 3, beta=0.0, dtype="float32"))


@pytest.mark.parametrize("m, n, k, dtype", [(16, 4, 8, "float64"), (64, 3, 5, "float64"),
                                            (72, 5, 2, "float64"), (32, 6, 3, "float32")])
@pytest.mark.parametrize("threads", [1, 2])
def test_streamed_and_plain_stores_give_the_same_c(m, n, k, dtype, threads):
    spec = make_spec(m, n, k, beta=0.0, dtype=dtype)
    kernel = dispatch(m, n, k, beta=0.0, dtype=dtype)
    rng = np.random.default_rng(1)
    batch = 101
    A, B = random_stack(spec, "a", batch, rng), random_stack(spec, "b", batch, rng)
    results = []
    for stream in (True, False):
        C = random_stack(spec, "c", batch, rng)
        kernel.run(A.reshape(-1), B.reshape(-1), C.reshape(-1), batch, spec.a_size,
                   spec.b_size, spec.c_size, 0, threads, stream)
        results.append(C)
    np.testing.assert_array_equal(results[0], results[1])
    want = np.matmul(B.astype(float), A.astype(float))
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(results[0], want, rtol=tol, atol=tol)


def test_policy_needs_a_large_batch_an_aligned_streamed_c_and_a_kernel_that_can():
    spec = make_spec(16, 4, 8, beta=0.0)
    abc = get_case("ABC")
    c = aligned_zeros((10, 4, 16), "float64")
    per_product = (spec.a_size + spec.b_size + spec.c_size) * 8
    assert streaming_stores(spec, abc, c, 10, threshold_bytes=10 * per_product)
    assert not streaming_stores(spec, abc, c, 10, threshold_bytes=10 * per_product + 1)
    assert not streaming_stores(spec, abc, c, 10)          # 10 products: far below the cache
    misaligned = aligned_zeros(10 * 64 + 1, "float64")[1:]
    assert not streaming_stores(spec, abc, misaligned, 10, threshold_bytes=0)
    assert not streaming_stores(spec, get_case("AB"), c, 10, threshold_bytes=0)   # C cached
    odd = make_spec(13, 4, 8, beta=0.0)
    assert not streaming_stores(odd, abc, c, 10, threshold_bytes=0)


def test_streamed_footprint_counts_only_streamed_operands():
    spec = make_spec(16, 4, 8, beta=0.0)
    c = aligned_zeros((1,), "float64")
    only_c = spec.c_size * 8
    assert streaming_stores(spec, get_case("BC"), c, 10, threshold_bytes=10 * (spec.b_size * 8 + only_c))
    assert not streaming_stores(spec, get_case("BC"), c, 10,
                                threshold_bytes=10 * (spec.b_size * 8 + only_c) + 1)


def test_last_level_cache_is_read():
    assert last_level_cache_bytes() >= 1 << 20


def test_a_misaligned_c_falls_back_to_plain_stores_instead_of_faulting():
    spec = make_spec(16, 4, 8, beta=0.0)
    kernel = dispatch(16, 4, 8, beta=0.0)
    rng = np.random.default_rng(3)
    batch = 9
    A, B = random_stack(spec, "a", batch, rng), random_stack(spec, "b", batch, rng)
    C = aligned_zeros(batch * spec.c_size + 1, "float64")[1:]      # 8 bytes past a line
    kernel.run(A.reshape(-1), B.reshape(-1), C, batch, spec.a_size, spec.b_size,
               spec.c_size, 0, 1, True)
    np.testing.assert_allclose(C.reshape(batch, 4, 16), np.matmul(B, A), rtol=1e-12)
