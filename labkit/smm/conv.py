"""The ``mhd`` sample's single-image convolution (one channel, a ``kh x kw`` kernel),
computed through small GEMMs from the code registry.

How a convolution becomes small GEMMs: for an output tile of ``mb`` rows by ``nb``
columns and kernel row ``i``, the tile gains ``I[y0+i : y0+i+mb, x0 : x0+nb+kw-1] @ T_i``,
where ``T_i`` ((nb+kw-1) x nb) is the banded Toeplitz matrix holding kernel row ``i``
(``T_i[x+j, x] = K[i, j]``). Read column-major, that is one ``nb x mb x (nb+kw-1)``
product with ``beta = 1`` whose B operand is the image itself (leading dimension: the
image width) and whose C is the output (leading dimension: its width): no copies, kh
products per tile. The band costs ``(nb+kw-1)/kw`` times the direct method's FLOPs; the
kernels' speed pays for it. Like deep-learning layers (and the sample), it computes the
cross-correlation over the valid region: ``out[y, x] = sum_ij K[i, j] img[y+i, x+j]``.
"""

from __future__ import annotations

import time
from functools import lru_cache

import numba
import numpy as np
from numba import types

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.spec import positive_int

TILE_ROWS, TILE_COLS = 16, 8


def _driver(f, toeplitz, image, out, tiles_y, tiles_x, kh, mb, nb, width, out_width, t_size, b_span, c_span):
    for ty in numba.prange(tiles_y):
        for tx in range(tiles_x):
            y0 = ty * mb
            x0 = tx * nb
            co = y0 * out_width + x0
            for i in range(kh):
                bo = (y0 + i) * width + x0
                f(toeplitz[i * t_size:(i + 1) * t_size], image[bo:bo + b_span], out[co:co + c_span])


@lru_cache(maxsize=None)
def _compiled():
    arr = types.float64[::1]
    fn = types.FunctionType(types.void(arr, arr, arr))
    i = types.int64
    return numba.njit(types.void(fn, arr, arr, arr, *([i] * 10)), parallel=True, nogil=True,
                      cache=True)(_driver)


def toeplitz_rows(kernel: np.ndarray, nb: int) -> np.ndarray:
    """``T_i^T`` for every kernel row, column-major ``nb x (nb+kw-1)`` each, one after another."""
    kh, kw = kernel.shape
    kk = nb + kw - 1
    out = np.zeros((kh, kk, nb))            # item i: column-major nb x kk, stored (kk, nb)
    for j in range(kw):
        for x in range(nb):
            out[:, x + j, x] = kernel[:, j]
    return out.reshape(-1)


def check_image(image, kernel) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise InputError(f"a single-image convolution takes a 2-D image and a 2-D kernel, "
                         f"got {image.shape} and {kernel.shape}")
    if kernel.size == 0 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise InputError(f"kernel {kernel.shape} must be non-empty and fit the image {image.shape}")
    if not (np.issubdtype(image.dtype, np.number) and np.issubdtype(kernel.dtype, np.number)):
        raise InputError("image and kernel must be numeric")
    return image.astype(np.float64), kernel.astype(np.float64)


def correlate(image, kernel, threads: int = 1, mb: int = TILE_ROWS, nb: int = TILE_COLS) -> np.ndarray:
    """The valid cross-correlation of ``image`` with ``kernel`` through small GEMMs."""
    from labkit.smm.registry import dispatch
    from labkit.smm.streaming import thread_limits

    image, kernel = check_image(image, kernel)
    mb, nb = positive_int("mb", mb), positive_int("nb", nb)
    h, w = image.shape
    kh, kw = kernel.shape
    oh, ow = h - kh + 1, w - kw + 1
    tiles_y, tiles_x = -(-oh // mb), -(-ow // nb)
    ph, pw = tiles_y * mb + kh - 1, tiles_x * nb + kw - 1          # padded to whole tiles
    check_memory(f"a {h}x{w} image convolved in {mb}x{nb} tiles",
                 8 * ((ph + 1) * pw + (tiles_y * mb + 1) * tiles_x * nb))
    padded = np.zeros((ph + 1, pw))                                  # one spare row: B's span
    padded[:h, :w] = image
    out = np.zeros((tiles_y * mb + 1, tiles_x * nb))
    kk = nb + kw - 1
    gemm = dispatch(nb, mb, kk, lda=nb, ldb=pw, ldc=tiles_x * nb, beta=1.0).gemm
    t = toeplitz_rows(kernel, nb)
    with thread_limits(threads):
        _compiled()(gemm, t, padded.reshape(-1), out.reshape(-1), tiles_y, tiles_x, kh, mb, nb,
                    pw, tiles_x * nb, nb * kk, pw * mb, tiles_x * nb * mb)
    return out[:oh, :ow].copy()


def bench(image, kernel, repeat: int = 5, threads: int = 1) -> dict:
    """Best-of-``repeat`` seconds and GFLOPS (counted as the direct method's ``2 kh kw``
    per output pixel) of :func:`correlate` and of ``scipy.signal.correlate2d`` on the same
    image, and the largest difference between them."""
    from scipy import signal

    repeat = positive_int("repeat", repeat)
    image, kernel = check_image(image, kernel)
    want = signal.correlate2d(image, kernel, mode="valid")
    got = correlate(image, kernel, threads)
    ours, theirs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        correlate(image, kernel, threads)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        signal.correlate2d(image, kernel, mode="valid")
        theirs.append(time.perf_counter() - start)
    flops = 2.0 * kernel.size * want.size
    scale = max(1.0, float(np.max(np.abs(want))))
    return {"height": image.shape[0], "width": image.shape[1], "kh": kernel.shape[0], "kw": kernel.shape[1],
            "repeat": repeat, "seconds": min(ours), "gflops": flops / min(ours) / 1e9,
            "scipy_seconds": min(theirs), "scipy_gflops": flops / min(theirs) / 1e9,
            "speedup": min(theirs) / min(ours), "max_error": float(np.max(np.abs(got - want)) / scale),
            "output": got}


def synthetic_image(width: int, height: int) -> np.ndarray:
    """A smooth test pattern with edges (what the sample generates for a pseudo file name)."""
    width, height = positive_int("width", width), positive_int("height", height)
    check_memory(f"a {width}x{height} generated image", 8 * width * height * 4)
    y, x = np.mgrid[0:height, 0:width]
    return (128 + 64 * np.sin(x / 7.0) * np.cos(y / 11.0) + 60 * ((x // 32 + y // 32) % 2)).astype(np.float64)
