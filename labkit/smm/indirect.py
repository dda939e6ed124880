"""The batched driver that calls a dispatched kernel through a function pointer.

This is how a library that dispatches at run time uses a kernel (LIBXSMM's
``libxsmm_dispatch`` + call through the returned pointer): one driver, compiled once,
runs any kernel; nothing of the kernel is known when the driver is compiled, so nothing
can be inlined. Compare with the generated ``run`` of :mod:`labkit.smm.codegen`, which
binds its kernel statically.
"""

from __future__ import annotations

import numba
from numba import types

_i = types.int64


def _driver(f, a, b, c, nbatch, sa, sb, sc_item, sc_chunk, nchunks, asz, bsz, csz):
    for t in numba.prange(nchunks):
        lo = t * nbatch // nchunks
        hi = (t + 1) * nbatch // nchunks
        for i in range(lo, hi):
            ao = i * sa
            bo = i * sb
            co = i * sc_item + t * sc_chunk
            f(a[ao:ao + asz], b[bo:bo + bsz], c[co:co + csz])


def _compile(dtype):
    arr = dtype[::1]
    fn = types.FunctionType(types.void(arr, arr, arr))
    sig = types.void(fn, arr, arr, arr, _i, _i, _i, _i, _i, _i, _i, _i, _i)
    return numba.njit(sig, parallel=True, nogil=True, cache=True)(_driver)


run_float64 = _compile(types.float64)
run_float32 = _compile(types.float32)
