"""Code generation: Python source for one :class:`~labkit.smm.spec.GemmSpec`, compiled by
numba with every size, leading dimension, alpha, beta and transpose fixed.

Why generated source rather than a closure: numba's on-disk cache (``cache=True``) needs a
real source file, so kernels found again by a later process load in milliseconds instead
of recompiling. The kernel is a register-blocked outer-product loop written in explicit
SIMD vectors (:mod:`labkit.smm.simd`): a block of whole columns of C (``ceil(mb / lanes)``
vectors each, the last one partial) by ``nb`` columns lives in vector accumulators; each
step of k loads a column of A as vectors, broadcasts one element of B per column and
issues one FMA per accumulator. The k loop is written out when short, a small A is loaded
once for all column blocks, and C is touched once per block.

The batched driver ``run`` has the product inlined and addresses operands by offset: no
slices (each cost two atomic reference-count updates per product), no wraparound checks.
With ``stream`` set it writes C with non-temporal stores (see
:mod:`labkit.smm.streaming_stores` for when). Kernels with ``prefetch='next'`` touch the
next product's operands a few cache lines per step of k (:func:`spread_prefetch`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import sys
from functools import lru_cache
from pathlib import Path

from labkit.lab.inputs import output_folder
from labkit.smm.simd import lanes
from labkit.smm.spec import GemmSpec

CACHE_ENV = "LABKIT_CACHE"
VERSION = "19"              # bump when the generated code changes
MAX_MB = 64                 # rows per register block
REGISTERS = 32              # vector registers (AVX-512): accumulators + B broadcasts + A
RESIDENT_VECTORS = 16       # hold all of A in registers, loaded once, up to this many vectors
K_UNROLL = 8                # write the k loop out in full up to this depth ...
UNROLL_BUDGET = 100         # ... while the block has at most this many vector FMAs (measured: 25x5x5,
                            # 100, faster written out; 64x8x8, 128, 1.8x slower)
PREFETCH_STEPS = 128        # prefetch='auto' prefetches from this many steps of k per product


def cache_root() -> Path:
    """``$LABKIT_CACHE/smm`` or ``~/.cache/labkit/smm``: per user, never in the repository."""
    base = os.environ.get(CACHE_ENV)
    return (Path(base).expanduser() if base else Path.home() / ".cache" / "labkit") / "smm"


def check_cache() -> Path:
    """:func:`cache_root`, made if missing; InputError naming ``$LABKIT_CACHE`` when it is
    a file, lies under one or cannot be written (checked before a command's work starts,
    not when its first kernel is generated half-way through)."""
    what = f"${CACHE_ENV}" if os.environ.get(CACHE_ENV) else \
        f"the kernel cache (~/.cache/labkit; set ${CACHE_ENV} to move it)"
    root = cache_root()
    output_folder(root.parent, what)
    return output_folder(root, what)


def cache_dir() -> Path:
    """:func:`cache_root` per numba version, codegen version and :func:`inlined_digest`."""
    import numba

    return output_folder(check_cache() / f"nb{numba.__version__}_v{VERSION}_{inlined_digest()}",
                         f"${CACHE_ENV}")


@lru_cache(maxsize=None)
def inlined_digest() -> str:
    """A digest of the modules compiled into every kernel (:mod:`labkit.smm.simd`,
    :mod:`labkit.smm.prefetch`). numba's cache only notices changes to the generated file
    itself, so without this a fixed intrinsic would still run from kernels compiled
    before the fix."""
    from labkit.smm import prefetch, simd

    digest = hashlib.sha1()
    for module in (simd, prefetch):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:8]


def _vectors(rows: int, spec: GemmSpec) -> list[int]:
    """Lanes used by each vector covering ``rows`` rows (the last one may be partial)."""
    width = lanes(spec.dtype)
    return [min(width, rows - start) for start in range(0, rows, width)]


def _resident(spec: GemmSpec) -> bool:
    """Whether all of A is loaded once into vector locals ``a{v}_{p}`` before the column
    blocks (then k is written out in full).

    Stores into C may alias A as far as LLVM knows, so otherwise every column block
    reloads A; a small A (one row block, short k, several column blocks) stays in
    registers instead (measured, A, B and C streamed: 5x25x5 about 1.4x faster, 8x64x8
    about 1.2x)."""
    vectors = len(_vectors(min(spec.m, MAX_MB), spec))
    return (spec.m <= MAX_MB and spec.k <= K_UNROLL and vectors * spec.k <= RESIDENT_VECTORS
            and _columns(spec, vectors, vectors * spec.k) < spec.n)


def _columns(spec: GemmSpec, vectors: int, reserved: int) -> int:
    """Columns per block: as many as keep the block's accumulators, one broadcast of B per
    column and ``reserved`` vectors of A within REGISTERS (no spills: 8x64x8 ran ~15%
    faster with 8 columns than with 16); a divisor of n when one is close, so no ragged
    last block."""
    most = max(1, min(spec.n, (REGISTERS - reserved) // (vectors + 1)))
    divisors = [d for d in range(most, 0, -1) if spec.n % d == 0]
    return divisors[0] if divisors and 2 * divisors[0] > most else most


def blocking(spec: GemmSpec) -> tuple[int, int]:
    """Register block ``(mb, nb)``: whole columns of A and C (up to MAX_MB rows; a partial
    last vector is masked, so m needs no scalar remainder) by :func:`_columns` columns.

    Whole columns matter when operands stream from memory: A and C are then read and
    written in storage order, which the hardware prefetchers follow (measured: about twice
    the speed of 8-row blocks for 64x8x8 and 32x32x32 with A, B and C streamed)."""
    mb = min(spec.m, MAX_MB)
    vectors = len(_vectors(mb, spec))
    reserved = vectors * spec.k if _resident(spec) else vectors
    return mb, _columns(spec, vectors, reserved)


def _unrolled(spec: GemmSpec, vectors: int, nb: int) -> bool:
    """Whether a block's k loop is written out in full."""
    return spec.k <= K_UNROLL and (vectors * nb * spec.k <= UNROLL_BUDGET or _resident(spec))


def _a_column(spec: GemmSpec, row: str, p, count: int) -> str:
    """``count`` rows of column ``p`` of op(A) from ``row`` on, as one vector."""
    if spec.transa == "N":
        return f"vload(a, ao + {row} + {p} * {spec.lda}, {count})"
    return f"vstrided(a, ao + {p} + ({row}) * {spec.lda}, {spec.lda}, {count})"


def _b_splat(spec: GemmSpec, p, col: str) -> str:
    at = f"{p} + {col} * {spec.ldb}" if spec.transb == "N" else f"{col} + {p} * {spec.ldb}"
    return f"vsplat(b, bo + {at})"


def can_stream(spec: GemmSpec) -> bool:
    """Whether C can be written with non-temporal stores: it is only written (beta = 0)
    and every vector of it starts on a cache line when the matrix does (whole vectors of
    rows, ``ldc`` a multiple of a line)."""
    width = lanes(spec.dtype)
    return spec.beta == 0.0 and spec.m % width == 0 and spec.ldc % width == 0


def _block(spec: GemmSpec, i0: str, mb: int, j0: str, nb: int, indent: str,
           resident: bool = False, stream: bool = False, index: str | None = None) -> list[str]:
    """Code for ``C[i0:i0+mb, j0:j0+nb]`` (``i0``, ``j0``: constants or loop variables;
    ``resident``: A is already in the vector locals ``a{v}_{p}``; ``stream``: C is
    written with non-temporal stores; ``index``: the block's position in the product,
    when the next product is prefetched along the way, see :func:`spread_prefetch`)."""
    counts = _vectors(mb, spec)
    full = lanes(spec.dtype)
    rows = [f"{i0} + {v * full}" for v in range(len(counts))]
    acc = [[f"c{v}_{j}" for j in range(nb)] for v in range(len(counts))]

    def products(p, first):
        if resident:
            x, lines = [f"a{v}_{p}" for v in range(len(counts))], []
        else:
            x = [f"x{v}" for v in range(len(counts))]
            lines = [f"x{v} = {_a_column(spec, rows[v], p, n)}" for v, n in enumerate(counts)]
        lines += [f"y{j} = {_b_splat(spec, p, f'({j0} + {j})')}" for j in range(nb)]
        if index is not None:
            lines += spread_prefetch(spec, f"({index}) * {spec.k} + {p}")
        for v in range(len(counts)):
            for j in range(nb):
                lines.append(f"{acc[v][j]} = vmul({x[v]}, y{j})" if first else
                             f"{acc[v][j]} = vfma({x[v]}, y{j}, {acc[v][j]})")
        return lines

    out = []
    if _unrolled(spec, len(counts), nb):
        for p in range(spec.k):
            out += [indent + line for line in products(p, p == 0)]
    else:
        out += [indent + f"{acc[v][j]} = vzero(c)" for v in range(len(counts)) for j in range(nb)]
        out.append(indent + f"for p in range({spec.k}):")
        out += [indent + "    " + line for line in products("p", False)]
    ragged = counts[-1] < full or spec.ldc % full != 0    # C's columns not whole lines
    for v, j in _store_order(len(counts), nb, ragged):
        n = counts[v]
        at = f"co + {rows[v]} + ({j0} + {j}) * {spec.ldc}"
        value = acc[v][j]
        if spec.beta != 0.0:
            old = f"vload_exact(c, {at}, {n})"
            value = f"vadd({old}, {value})" if spec.alpha > 0 else f"vsub({old}, {value})"
        elif spec.alpha < 0:
            value = f"vsub(vzero(c), {value})"
        if stream:
            out.append(indent + f"vstream(c, {at}, {value})")
        else:
            out.append(indent + f"vstore_exact(c, {at}, {value}, {n})")
    return out


def _store_order(vectors: int, columns: int, ragged: bool) -> list[tuple[int, int]]:
    """The order a block's accumulators ``(vector, column)`` are written to C.

    When C's columns are ``ragged`` (a partial last vector, or a leading dimension that is
    not whole cache lines), lines are shared between columns: writing C column after column,
    in storage order, finishes each line in consecutive stores (measured, A, B and C
    streamed, 32 MB: 13x5x7 +8-15%, 25x5x5 +7-9%, as LIBXSMM's kernels do). Otherwise
    vector by vector, across the columns (64x8x8 ran up to 5% slower column by column)."""
    if ragged:
        return [(v, j) for j in range(columns) for v in range(vectors)]
    return [(v, j) for v in range(vectors) for j in range(columns)]


def _parts(total: int, block: int, var: str):
    """How a dimension is covered: ``(loop count or None, start expression, size)``."""
    full, rest = divmod(total, block)
    parts = []
    if full == 1:
        parts.append((None, "0", block))
    elif full > 1:
        parts.append((full, var, block))
    if rest:
        parts.append((None, str(full * block), rest))
    return parts


def _steps(spec: GemmSpec) -> int:
    """Steps of k one product takes: register blocks times k."""
    mb, nb = blocking(spec)
    return -(-spec.m // mb) * -(-spec.n // nb) * spec.k


def spread_prefetch(spec: GemmSpec, step: str) -> list[str]:
    """LIBXSMM's prefetch kernels (``prefetch='next'``): the statements issued at global
    step ``step`` of k (an expression; :func:`_steps` in all), touching the cache lines of
    the next product's A and B (and C when it is read, beta != 0), at offsets ``na``,
    ``nb``, ``nc``. The lines are spread evenly over the steps, so the fetches overlap the
    FMAs instead of queueing ahead of them (measured, 32x32x32 A, B and C streamed: 52.7
    -> 56 GFLOPS; all lines at the start ran at 0.75-0.8x no prefetch). No branches: a
    line is fetched again where the steps outnumber the lines (a hit in L1)."""
    per_line = 64 // spec.itemsize
    steps = _steps(spec)
    operands = [("a", spec.a_size), ("b", spec.b_size)] + ([("c", spec.c_size)] if spec.beta else [])
    out = []
    for name, size in operands:
        lines = -(-size // per_line) + 1       # the next operand need not start on a line:
                                               # offsets 0, 8, 16, ... and its last element
        if lines <= steps:
            firsts = [f"({step}) * {lines} // {steps}"]
        else:
            each = -(-lines // steps)
            firsts = [f"({step}) * {each} + {j}" for j in range(each)]
        out += [f"prefetch({name}, n{name} + min(({line}) * {per_line}, {size - 1}))"
                for line in firsts]
    return out


def auto_prefetch(spec: GemmSpec) -> str:
    """What ``prefetch='auto'`` means for this product: ``'next'`` when it takes at least
    PREFETCH_STEPS steps of k, else ``'none'``. Why: spreading the next product's lines
    needs many steps to hide behind. Measured, A, B and C streamed, 32 MB, four runs:
    32x32x32 (256 steps) 2-6% faster with it in every run; products of at most 32 steps
    were within noise (13x5x7, 16x16x16, 64x8x8: -20% to +15% run to run) or slower
    (5x5x5, 5x25x5, 25x5x5, 8x64x8: 11-14%), the hardware prefetcher keeping up there."""
    return "next" if _steps(spec) >= PREFETCH_STEPS else "none"


def gemm_body(spec: GemmSpec, indent: str = "    ", stream: bool = False,
              prefetch: bool = False) -> list[str]:
    """Statements computing one product whose operands start at ``a[ao]``, ``b[bo]`` and
    ``c[co]`` (``stream``: C written with non-temporal stores; ``prefetch``: the next
    product's operands, at offsets ``na``, ``nb``, ``nc``, are prefetched along the way).
    Full register blocks repeat in loops, so code size stays bounded for any m and n."""
    mb, nb = blocking(spec)
    resident = _resident(spec)
    lines = []
    row_parts = _parts(spec.m, mb, "i0")
    per_column = sum(count or 1 for count, _, _ in row_parts)   # row blocks per column block
    first = 0                                                   # index of the part's first block
    if resident:
        lines += [f"a{v}_{p} = {_a_column(spec, str(v * lanes(spec.dtype)), p, n)}"
                  for p in range(spec.k) for v, n in enumerate(_vectors(spec.m, spec))]
    for ccount, j0, cols in _parts(spec.n, nb, "j0"):      # column blocks outer: C and B
        ind = ""                                            # are walked in storage order
        if ccount:
            lines += [f"{ind}for jb in range({ccount}):", f"{ind}    j0 = jb * {nb}"]
            ind += "    "
        for rcount, i0, rows in row_parts:
            inner = ind
            if rcount:
                lines += [f"{ind}for ib in range({rcount}):", f"{ind}    i0 = ib * {mb}"]
                inner += "    "
            index = f"{first}" + (f" + jb * {per_column}" if ccount else "") + (" + ib" if rcount else "")
            lines += _block(spec, i0, rows, j0, cols, inner, resident, stream,
                            index if prefetch else None)
            first += rcount or 1
        first += ((ccount or 1) - 1) * per_column
    return [indent + line for line in lines]


def _item(spec: GemmSpec, i: str, indent: str, stream: bool = False) -> list[str]:
    """One product ``i`` of the batch."""
    lines = [f"{indent}ao = {i} * sa", f"{indent}bo = {i} * sb",
             f"{indent}co = {i} * sc_item + t * sc_chunk"]
    ahead = spec.prefetch == "next"
    if ahead:                  # the last product prefetches itself (stays inside the arrays)
        lines += [f"{indent}na = ao + sa if {i} + 1 < hi else ao",
                  f"{indent}nb = bo + sb if {i} + 1 < hi else bo",
                  f"{indent}nc = co + sc_item if {i} + 1 < hi else co"]
    return lines + gemm_body(spec, indent, stream, ahead)     # inline: no call, no slices


def _streamed_items(spec: GemmSpec, indent: str) -> list[str]:
    """One thread's products with C written by non-temporal stores straight from the
    registers. (For Cs that do not start on a cache line, e.g. 25x5x5, two ways were
    measured and not kept: through a small buffer, 0.5-0.9x the plain stores; whole lines
    assembled in registers from groups of 8 products, 0.6-1.45x depending on shape and
    footprint, and 10-30 s to compile.)"""
    return [f"{indent}for i in range(lo, hi):"] + _item(spec, "i", indent + "    ", stream=True) + [
        f"{indent}store_fence()"]


def source(spec: GemmSpec) -> str:
    """The whole generated module for ``spec``: ``gemm`` (one product, compiled on
    import) and the batched driver ``run``, whose last argument asks for C to be written
    with non-temporal stores (honoured when :func:`can_stream` and C starts on a cache
    line). ``run`` is compiled for ``RUN_SIGNATURE`` only when a batch first needs it
    (:attr:`registry.Kernel.run`): its parallel loop takes about three times as long to
    compile as ``gemm``, and a kernel called one product at a time never uses it."""
    t = spec.dtype
    sig = f"void({t}[::1], {t}[::1], {t}[::1])"
    run_sig = f"void({t}[::1], {t}[::1], {t}[::1], int64, int64, int64, int64, int64, int64, boolean)"
    head = [
        f'"""Generated by labkit.smm.codegen v{VERSION} for {spec!r}."""',
        "import numba",
        "from labkit.smm.prefetch import prefetch",
        "from labkit.smm.simd import (store_fence, vadd, vfma, vload, vload_exact, vmul, vsplat,",
        "                             vstore_exact, vstream, vstrided, vsub, vzero)",
        "",
        f"@numba.njit('{sig}', cache=True, nogil=True)",
        "def gemm(a, b, c):",
        "    ao = bo = co = 0",
    ]
    body = gemm_body(spec)
    driver = [
        "",
        "",
        f"RUN_SIGNATURE = '{run_sig}'",
        "",
        "",
        "@numba.njit(cache=True, parallel=True, nogil=True)   # compiled on first use",
        "def run(a, b, c, nbatch, sa, sb, sc_item, sc_chunk, nchunks, stream):",
        "    base = c.ctypes.data",
        "    for t in numba.prange(nchunks):",
        "        lo = t * nbatch // nchunks",
        "        hi = (t + 1) * nbatch // nchunks",
    ]
    plain = ["        for i in range(lo, hi):"] + _item(spec, "i", "            ")
    if can_stream(spec):
        # never trust the flag alone: a non-temporal store to a misaligned address faults
        driver += ["        if stream and base % 64 == 0:"] + _streamed_items(spec, "            ")
        driver += ["        else:"] + ["    " + line for line in plain]
    else:
        driver += plain
    return "\n".join(head + body + driver) + "\n"


def module_path(spec: GemmSpec, text: str) -> Path:
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return cache_dir() / f"smm_{spec.name}_{digest}.py"


def load(spec: GemmSpec, text: str | None = None):
    """Write the source (once, atomically) into the cache folder and import it."""
    text = source(spec) if text is None else text
    return load_file(module_path(spec, text), text)


def _write_source(path: Path, text: str) -> None:
    """``text`` at ``path`` (atomically), unless the file already holds exactly it: a
    truncated or overwritten source is replaced, never imported."""
    try:
        if path.read_bytes() == text.encode():
            return
    except OSError:
        pass
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def compiled_files(path: Path) -> list[Path]:
    """numba's cache files (index ``.nbi``, data ``.nbc``) of the generated ``path``."""
    return sorted((path.parent / "__pycache__").glob(f"{path.stem}.*.nb[ic]"))


def _index_readable(index: Path) -> bool:
    """Whether numba's index file unpickles to what numba writes (its version, then a
    ``(stamp, overloads)`` pair): garbage or a truncated index makes numba raise."""
    try:
        with open(index, "rb") as f:
            pickle.load(f)
            stamp, overloads = pickle.loads(f.read())
    except Exception:       # any unpickling failure means the file is not numba's index
        return False
    return isinstance(overloads, dict)


def discard_compiled(path: Path) -> None:
    """Delete the compiled cache files of ``path`` (numba compiles and writes them again)."""
    for file in compiled_files(path):
        file.unlink(missing_ok=True)


def _check_compiled(path: Path) -> None:
    """Discard the compiled files of ``path`` when an index among them is corrupt."""
    if not all(_index_readable(f) for f in compiled_files(path) if f.suffix == ".nbi"):
        discard_compiled(path)


def rebuilt_on_failure(path: Path, build):
    """``build()``; if it raises (a compiled cache file the index checks missed: garbage
    data, a foreign format), the compiled files of ``path`` are discarded and ``build``
    runs once more, compiling afresh. A second failure is a real one and propagates."""
    try:
        return build()
    except Exception:
        discard_compiled(path)
        return build()


def load_file(path: Path, text: str):
    """Import generated source ``text`` from ``path`` (written once, atomically), under a
    stable module name so numba's disk cache finds its compiled functions again. A corrupt
    cache (source that is not ``text``, an unreadable index, data numba cannot load) is
    discarded and rebuilt, never fatal."""
    name = f"labkit_smm_gen_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    _write_source(path, text)
    _check_compiled(path)
    return rebuilt_on_failure(path, lambda: _import(name, path))


def _import(name: str, path: Path):
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module        # numba's cache re-imports the module by this name
    try:
        module_spec.loader.exec_module(module)   # eager: gemm compiles (or loads) now
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
