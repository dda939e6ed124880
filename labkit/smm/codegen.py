"""Code generation: Python source for one :class:`~labkit.smm.spec.GemmSpec`, compiled by
numba with every size, leading dimension, alpha, beta and transpose fixed.

Why generated source rather than a closure: numba's on-disk cache (``cache=True``) needs a
real source file, so kernels found again by a later process load in milliseconds instead
of recompiling. The kernel is a register-blocked outer-product loop: a block of
``mb x nb`` accumulators lives in scalars (LLVM's SLP vectorizer, switched on for these
compilations, turns them into SIMD registers), the k loop is unrolled when short, a small
A is loaded once into locals for all column blocks, and C is touched once per block.
Operands arrive as views starting at the matrix, so every index is a non-negative
constant plus a loop term and no wraparound check survives.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from labkit.smm.spec import GemmSpec

VERSION = "8"               # bump when the generated code changes
SIMD_WIDTH = {"float64": 8, "float32": 16}     # elements per 512-bit register
MAX_MB = 64                 # rows per register block
REGISTERS = 32              # SIMD registers (AVX-512): accumulators + B broadcasts + A vectors
A_RESIDENT = 64             # hold all of A in locals, loaded once, up to this many elements
SMALL_M_NB = 2              # columns per block when m is below one vector
K_UNROLL = 8                # unroll the k loop fully up to this depth
UNROLL_BUDGET = 256         # ... and while the block has at most this many products (compile time)


def cache_dir() -> Path:
    """``$LABKIT_CACHE/smm`` or ``~/.cache/labkit/smm``, per numba version and codegen version."""
    import numba

    base = os.environ.get("LABKIT_CACHE")
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "labkit"
    folder = root / "smm" / f"nb{numba.__version__}_v{VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def blocking(spec: GemmSpec) -> tuple[int, int]:
    """Register block ``(mb, nb)``: whole columns of A and C (as many full SIMD vectors of
    rows as fit in MAX_MB; leftover rows form a second block) by as many columns as keep
    the block's accumulators, one broadcast of B per column and one column of A within the
    REGISTERS vector registers (no spills: 8x64x8 ran ~15% faster with 8 columns than
    with 16); below one vector of rows, all rows by two columns.

    Whole columns matter when operands stream from memory: A and C are then read and
    written in storage order, which the hardware prefetchers follow (measured: about twice
    the speed of 8-row blocks for 64x8x8 and 32x32x32 with A, B and C streamed)."""
    width = SIMD_WIDTH[spec.dtype]
    mb = min(spec.m, MAX_MB)
    if mb >= width:
        mb -= mb % width                 # whole vectors; leftover rows get their own block
        vectors = mb // width
        most = max(1, min(spec.n, (REGISTERS - vectors) // (vectors + 1)))
    else:
        most = min(spec.n, SMALL_M_NB)
    divisors = [d for d in range(most, 0, -1) if spec.n % d == 0]
    nb = divisors[0] if divisors and 2 * divisors[0] > most else most
    return mb, nb


def _a(spec, i, p):
    return f"a[{i} + {p} * {spec.lda}]" if spec.transa == "N" else f"a[{p} + {i} * {spec.lda}]"


def _b(spec, p, j):
    return f"b[{p} + {j} * {spec.ldb}]" if spec.transb == "N" else f"b[{j} + {p} * {spec.ldb}]"


def _resident(spec: GemmSpec) -> bool:
    """Whether all of A is loaded once into locals ``a{i}_{p}`` before the column blocks
    (then k is unrolled in full, whatever UNROLL_BUDGET says).

    Stores into C may alias A as far as LLVM knows, so otherwise every column block reloads
    A; a small A (one row block, short k) stays in registers instead (measured, A, B and C
    streamed: 5x25x5 about 1.4x faster, 8x64x8 about 1.2x)."""
    return (blocking(spec)[0] == spec.m and spec.k <= K_UNROLL
            and spec.m * spec.k <= A_RESIDENT)


def _unrolled(spec: GemmSpec, mb: int, nb: int) -> bool:
    """Whether a block's k loop is written out in full (unrolling bigger blocks measured
    slower, e.g. 13x5x7, unless it lets A stay resident)."""
    return spec.k <= K_UNROLL and (mb * nb * spec.k <= UNROLL_BUDGET or _resident(spec))


def _block(spec: GemmSpec, i0: str, mb: int, j0: str, nb: int, indent: str,
           resident: bool = False) -> list[str]:
    """Code for ``C[i0:i0+mb, j0:j0+nb]`` (``i0``, ``j0``: constants or loop variables;
    ``resident``: A is already in the locals ``a{i}_{p}``)."""
    out = []
    acc = [[f"c{i}_{j}" for j in range(nb)] for i in range(mb)]
    zero = "0.0" if spec.dtype == "float64" else "numba.float32(0.0)"

    def products(p, first):
        if resident:
            x = [f"a{i}_{p}" for i in range(mb)]
            lines = []
        else:
            x = [f"x{i}" for i in range(mb)]
            lines = [f"x{i} = {_a(spec, f'{i0} + {i}', p)}" for i in range(mb)]
        lines += [f"y{j} = {_b(spec, p, f'({j0} + {j})')}" for j in range(nb)]
        for i in range(mb):
            for j in range(nb):
                lines.append(f"{acc[i][j]} = {x[i]} * y{j}" if first else
                             f"{acc[i][j]} += {x[i]} * y{j}")
        return lines

    if _unrolled(spec, mb, nb):
        for p in range(spec.k):
            out += [indent + s for s in products(p, p == 0)]
    else:
        out += [indent + f"{acc[i][j]} = {zero}" for i in range(mb) for j in range(nb)]
        out.append(indent + f"for p in range({spec.k}):")
        out += [indent + "    " + s for s in products("p", False)]
    sign = "+" if spec.alpha > 0 else "-"
    for i in range(mb):
        for j in range(nb):
            target = f"c[{i0} + {i} + ({j0} + {j}) * {spec.ldc}]"
            if spec.beta == 0.0:
                value = acc[i][j] if spec.alpha > 0 else f"-{acc[i][j]}"
                out.append(indent + f"{target} = {value}")
            else:
                out.append(indent + f"{target} {sign}= {acc[i][j]}")
    return out


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


def gemm_body(spec: GemmSpec) -> list[str]:
    """Statements of ``gemm(a, b, c)`` (views starting at the operands), indented once.
    Full register blocks repeat in loops, so code size stays bounded for any m and n."""
    mb, nb = blocking(spec)
    resident = _resident(spec)
    lines = []
    if resident:
        lines += [f"    a{i}_{p} = {_a(spec, i, p)}" for p in range(spec.k) for i in range(spec.m)]
    for ccount, j0, cols in _parts(spec.n, nb, "j0"):      # column blocks outer: C and B
        ind = "    "                                        # are walked in storage order
        if ccount:
            lines += [f"{ind}for jb in range({ccount}):", f"{ind}    j0 = jb * {nb}"]
            ind += "    "
        for rcount, i0, rows in _parts(spec.m, mb, "i0"):
            inner = ind
            if rcount:
                lines += [f"{ind}for ib in range({rcount}):", f"{ind}    i0 = ib * {mb}"]
                inner += "    "
            lines += _block(spec, i0, rows, j0, cols, inner, resident)
    return lines


def prefetch_lines(spec: GemmSpec, indent: str) -> list[str]:
    """Touch one element per cache line of the next operands (LIBXSMM's 'prefetch' kernels)."""
    per_line = 64 // spec.itemsize
    out = []
    for name, size in (("a", spec.a_size), ("b", spec.b_size), ("c", spec.c_size)):
        for off in range(0, size, per_line):
            out.append(indent + f"if n{name} + {off} < {name}.size:")
            out.append(indent + f"    prefetch({name}, n{name} + {off})")
    return out


def source(spec: GemmSpec) -> str:
    """The whole generated module for ``spec``: ``gemm`` and the batched driver ``run``."""
    t = spec.dtype
    sig = f"void({t}[::1], {t}[::1], {t}[::1])"
    run_sig = f"void({t}[::1], {t}[::1], {t}[::1], int64, int64, int64, int64, int64, int64)"
    head = [
        f'"""Generated by labkit.smm.codegen v{VERSION} for {spec!r}."""',
        "import numba",
        "from labkit.smm.prefetch import prefetch",
        "",
        f"@numba.njit('{sig}', cache=True, fastmath={{'contract'}}, nogil=True)",
        "def gemm(a, b, c):",
    ]
    body = gemm_body(spec)
    driver = [
        "",
        "",
        f"@numba.njit('{run_sig}', cache=True, parallel=True, fastmath={{'contract'}}, nogil=True)",
        "def run(a, b, c, nbatch, sa, sb, sc_item, sc_chunk, nchunks):",
        "    for t in numba.prange(nchunks):",
        "        lo = t * nbatch // nchunks",
        "        hi = (t + 1) * nbatch // nchunks",
        "        for i in range(lo, hi):",
        "            ao = i * sa",
        "            bo = i * sb",
        "            co = i * sc_item + t * sc_chunk",
    ]
    if spec.prefetch == "next":
        driver += ["            na = ao + sa", "            nb = bo + sb", "            nc = co + sc_item"]
        driver += prefetch_lines(spec, "            ")
    driver.append(f"            gemm(a[ao:ao + {spec.a_size}], b[bo:bo + {spec.b_size}], c[co:co + {spec.c_size}])")
    return "\n".join(head + body + driver) + "\n"


def module_path(spec: GemmSpec, text: str) -> Path:
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return cache_dir() / f"smm_{spec.name}_{digest}.py"


def load(spec: GemmSpec, text: str | None = None):
    """Write the source (once, atomically) into the cache folder and import it."""
    text = source(spec) if text is None else text
    path = module_path(spec, text)
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    name = f"labkit_smm_gen_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module        # numba's cache re-imports the module by this name
    try:
        with slp_vectorization():
            module_spec.loader.exec_module(module)   # eager: signatures compile (or load) now
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@contextmanager
def slp_vectorization():
    """Compile with LLVM's SLP vectorizer on (numba leaves it off by default).

    The register-blocked kernels are straight-line code over scalars; without SLP they
    stay scalar (measured: 4-5x slower). Holding numba's compiler lock keeps the switch
    from leaking into anyone else's compilation.
    """
    import numba
    from numba.core.compiler_lock import global_compiler_lock

    with global_compiler_lock:
        before = numba.config.SLP_VECTORIZE
        numba.config.SLP_VECTORIZE = 1
        try:
            yield
        finally:
            numba.config.SLP_VECTORIZE = before
