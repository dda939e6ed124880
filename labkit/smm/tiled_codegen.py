"""Generated source of the tiled GEMM (:mod:`labkit.smm.xgemm`): packing, a register-blocked
micro-kernel and the threaded loops around it, for one micro-tile shape and dtype.

Why generated, like :mod:`labkit.smm.codegen`: the micro-kernel's accumulators must be
named locals (one vector register each), and their number depends on the tile. Its scheme
is labkit's small-kernel scheme (columns of A as SIMD vectors, one broadcast of B per
column, one FMA per accumulator, :mod:`labkit.smm.simd`), with two differences a big GEMM
needs: k is a run-time loop bound (so the cache tiles ``mc``, ``kc``, ``nc`` are run-time
arguments and tuning them never recompiles), and operands come packed (GotoBLAS): A's
``mr``-row strips and B's ``nr``-column strips are copied, zero padded and scaled by alpha,
into contiguous buffers that the kernel walks with unit stride. Packing also absorbs
``transa``/``transb`` and any leading dimension, so the kernel is the same for all of them.
"""

from __future__ import annotations

from labkit.smm.simd import lanes

VERSION = "1"


def _accumulate(vectors: int, nr: int, width: int) -> list[str]:
    """The k loop of one ``mr x nr`` micro-tile: packed A at ``pa[ao + p*MR]``, packed B at
    ``pb[bo + p*NR]``."""
    lines = [f"    c{v}_{j} = vzero(pa)" for v in range(vectors) for j in range(nr)]
    lines += ["    for p in range(kc):",
              f"        ap = ao + p * {vectors * width}",
              f"        bp = bo + p * {nr}"]
    lines += [f"        x{v} = vload(pa, ap + {v * width}, {width})" for v in range(vectors)]
    for j in range(nr):
        lines.append(f"        y = vsplat(pb, bp + {j})")
        lines += [f"        c{v}_{j} = vfma(x{v}, y, c{v}_{j})" for v in range(vectors)]
    return lines


def _micro(vectors: int, nr: int, width: int) -> list[str]:
    """``micro_add``: C += the tile (a full tile, straight into C at ``co`` with ``ldc``);
    ``micro_put``: the tile written into a small buffer (an edge tile, copied by the caller)."""
    out = ["@numba.njit(nogil=True)",
           "def micro_add(pa, ao, pb, bo, kc, c, co, ldc):"]
    out += _accumulate(vectors, nr, width)
    for j in range(nr):
        for v in range(vectors):
            at = f"co + {v * width} + {j} * ldc"
            out.append(f"    vstore(c, {at}, vadd(vload(c, {at}, {width}), c{v}_{j}), {width})")
    out += ["", "", "@numba.njit(nogil=True)",
            "def micro_put(pa, ao, pb, bo, kc, t, to):"]
    out += _accumulate(vectors, nr, width)
    out += [f"    vstore(t, to + {v * width + j * vectors * width}, c{v}_{j}, {width})"
            for j in range(nr) for v in range(vectors)]
    return out


DRIVER = '''

@numba.njit(nogil=True)
def pack_a(a, lda, transa, alpha, i0, mcb, p0, kcb, pa, base):
    """A[i0:i0+mcb, p0:p0+kcb] * alpha as MR-row strips, each kcb columns of MR, zero padded."""
    for s in range(0, mcb, MR):
        rows = min(MR, mcb - s)
        out = base + s * kcb
        for p in range(kcb):
            o = out + p * MR
            if transa:
                src = p0 + p + (i0 + s) * lda
                for i in range(rows):
                    pa[o + i] = alpha * a[src + i * lda]
            else:
                src = i0 + s + (p0 + p) * lda
                for i in range(rows):
                    pa[o + i] = alpha * a[src + i]
            for i in range(rows, MR):
                pa[o + i] = 0.0


@numba.njit(nogil=True)
def pack_b_strip(b, ldb, transb, p0, kcb, j0, cols, pb, out):
    """B[p0:p0+kcb, j0:j0+cols] as kcb rows of NR, zero padded."""
    for p in range(kcb):
        o = out + p * NR
        if transb:
            src = j0 + (p0 + p) * ldb
            for j in range(cols):
                pb[o + j] = b[src + j]
        else:
            src = p0 + p + j0 * ldb
            for j in range(cols):
                pb[o + j] = b[src + j * ldb]
        for j in range(cols, NR):
            pb[o + j] = 0.0


@numba.njit(nogil=True)
def macro(pa, pab, pb, mcb, ncb, kcb, c, ldc, i0, j0, tile):
    """The packed block A (mcb x kcb) times the packed panel B (kcb x ncb) added to
    C[i0:, j0:], strip of B by strip (each stays in L1 while A's block streams from L2)."""
    for jr in range(0, ncb, NR):
        cols = min(NR, ncb - jr)
        bo = jr * kcb
        for ir in range(0, mcb, MR):
            rows = min(MR, mcb - ir)
            ao = pab + ir * kcb
            co = i0 + ir + (j0 + jr) * ldc
            if rows == MR and cols == NR:
                micro_add(pa, ao, pb, bo, kcb, c, co, ldc)
            else:
                micro_put(pa, ao, pb, bo, kcb, tile, 0)
                for j in range(cols):
                    for i in range(rows):
                        c[co + i + j * ldc] += tile[i + j * MR]


@numba.njit(parallel=True, nogil=True, cache=True)
def scale_c(c, m, n, ldc, beta):
    """C = beta * C before accumulating (beta = 0 writes zeros: NaNs in C do not survive)."""
    for j in numba.prange(n):
        o = j * ldc
        if beta == 0.0:
            for i in range(m):
                c[o + i] = 0.0
        else:
            for i in range(m):
                c[o + i] *= beta


@numba.njit(parallel=True, nogil=True, cache=True)
def gemm(m, n, k, alpha, a, lda, transa, b, ldb, transb, beta, c, ldc, mc, kc, nc, threads):
    """C = alpha op(A) op(B) + beta C (column-major, flat arrays), tiles mc, kc, nc, on
    ``threads`` threads. C's rows are cut into blocks of equal whole MR strips, about
    ``mc`` rows each and a multiple of ``threads`` in number, handed to the threads by the
    parallel loop; each block packs its own A. Why not one band per thread: numba's TBB
    pool ran a two-iteration loop largely on one thread (measured, 2000^3 on 2 threads:
    1.17x one thread's speed). The panel of B is packed once, in parallel, and shared."""
    if beta != 1.0:
        scale_c(c, m, n, ldc, beta)
    if alpha == 0.0:
        return
    strips = (m + MR - 1) // MR
    blocks = (strips + mc // MR - 1) // (mc // MR)          # blocks of about mc rows,
    blocks = (blocks + threads - 1) // threads * threads    # a multiple of the threads,
    per = (strips + blocks - 1) // blocks                   # of equal whole strips
    pb = np.empty((nc + NR) * kc, dtype=c.dtype)
    for j0 in range(0, n, nc):
        ncb = min(nc, n - j0)
        bstrips = (ncb + NR - 1) // NR
        for p0 in range(0, k, kc):
            kcb = min(kc, k - p0)
            for s in numba.prange(bstrips):
                pack_b_strip(b, ldb, transb, p0, kcb, j0 + s * NR, min(NR, ncb - s * NR),
                             pb, s * NR * kcb)
            for blk in numba.prange(blocks):
                i0 = blk * per * MR
                if i0 < m:
                    mcb = min(per * MR, m - i0)
                    buf = np.empty(per * MR * kc, dtype=c.dtype)    # this block's own
                    tile = np.empty(MR * NR, dtype=c.dtype)
                    pack_a(a, lda, transa, alpha, i0, mcb, p0, kcb, buf, 0)
                    macro(buf, 0, pb, mcb, ncb, kcb, c, ldc, i0, j0, tile)
'''


def source(vectors: int, nr: int, dtype: str) -> str:
    """The module for micro-tiles of ``vectors`` SIMD vectors of rows by ``nr`` columns."""
    width = lanes(dtype)
    head = [f'"""Generated by labkit.smm.tiled_codegen v{VERSION}: {dtype}, micro-tile '
            f'{vectors * width}x{nr}."""',
            "import numba",
            "import numpy as np",
            "from labkit.smm.simd import vadd, vfma, vload, vsplat, vstore, vzero",
            "",
            f"MR = {vectors * width}",
            f"NR = {nr}",
            "", ""]
    return "\n".join(head + _micro(vectors, nr, width)) + "\n" + DRIVER
