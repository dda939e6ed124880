"""The command line of LIBXSMM's ``smm`` sample (``specialized.sh CASE [M [N [K]]]``),
run on labkit's kernels and reported the way the sample reports.

The case selector (the sample's first argument; its README says 0...8, its source's
``switch`` also has 9, which 8 falls through into). Even cases call the kernel directly
on operands addressed by stride; odd cases are the "indirect" variants, which the
sample runs through ``libxsmm_gemm_batch`` with arrays of operand pointers: labkit runs
them through its ``dispatch`` strategy, one generic driver calling the kernel through a
function pointer (nothing of the kernel is inlined, as in the batch interface). As the
sample's ``switch`` falls through, an even case runs itself and then the odd one after it.

=====  =====================  ============  =========
case   the sample prints      ``--stream``  call
=====  =====================  ============  =========
0      Batched (A,B,C)        ABC           direct
1      Indirect (A,B,C)       ABC           indirect
2      Streamed (A,C)         AC            direct
3      Indirect (A,C)         AC            indirect
4      Streamed (B,C)         BC            direct
5      Indirect (B,C)         BC            indirect
6      Streamed (A,B)         AB            direct
7      Indirect (A,B)         AB            indirect
8      Cached...              none          direct
9      Indirect cached...     none          indirect
=====  =====================  ============  =========

Sizes (the sample's ``m = argv[2]``, ``k = argv[4]`` else ``m``, ``n = argv[3]`` else
``k``): one number is ``m = n = k``; two are ``m, n`` with ``k = m``; three are ``m, n, k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.cases import Case, get_case
from labkit.smm.spec import GemmSpec, make_spec, positive_int

GIB = float(1 << 30)          # the sample's "GB" in its bandwidth line
MIB = float(1 << 20)          # ... and its "MB" in the memory line


@dataclass(frozen=True)
class SampleCase:
    number: int
    label: str
    stream: str               # labkit's --stream
    indirect: bool

    @property
    def strategy(self) -> str:
        return "dispatch" if self.indirect else "labkit"


SAMPLE_CASES = {number: SampleCase(number, label, stream, number % 2 == 1) for number, label, stream in (
    (0, "Batched (A,B,C)", "ABC"), (1, "Indirect (A,B,C)", "ABC"),
    (2, "Streamed (A,C)", "AC"), (3, "Indirect (A,C)", "AC"),
    (4, "Streamed (B,C)", "BC"), (5, "Indirect (B,C)", "BC"),
    (6, "Streamed (A,B)", "AB"), (7, "Indirect (A,B)", "AB"),
    (8, "Cached", "none"), (9, "Indirect cached", "none"))}


def selected_cases(number) -> list[SampleCase]:
    """The cases the sample runs for ``number``: itself, and for an even number the
    indirect case it falls through into. InputError for any other number."""
    value = None
    if isinstance(number, str) and number.strip().isdigit():
        value = int(number)
    elif hasattr(number, "__index__") and not isinstance(number, bool):
        value = int(number)
    if value not in SAMPLE_CASES:
        raise InputError(f"case {number!r} is not one of the smm sample's cases "
                         f"0-{max(SAMPLE_CASES)} (see labkit.smm.sample)")
    return [SAMPLE_CASES[value]] + ([SAMPLE_CASES[value + 1]] if value % 2 == 0 else [])


def parse_sample_mnk(text) -> tuple[int, int, int]:
    """``"16"`` -> (16, 16, 16), ``"16,8"`` -> (16, 8, 16), ``"16,8,9"`` -> (16, 8, 9)."""
    parts = [p for p in str(text).replace("x", ",").split(",")]
    if not 1 <= len(parts) <= 3:
        raise InputError(f"--mnk must be M, M,N or M,N,K, got {text!r}")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise InputError(f"--mnk must be M, M,N or M,N,K (integers), got {text!r}") from None
    for name, v in zip("mnk", values):
        positive_int(name, v)
    m = values[0]
    k = values[2] if len(values) > 2 else m
    n = values[1] if len(values) > 1 else k
    return m, n, k


def sample_bytes(spec: GemmSpec, case: Case) -> int | None:
    """Bytes one product moves, counted as the sample counts them: each streamed A and B
    once (loaded), a streamed C twice (its read for ownership, then the write back: the
    sample's ``2 * csize /*RFO*/``), a C kept in cache not at all. The cached case
    prints no bandwidth (None). labkit's own count (:meth:`Case.bytes_per_product`)
    counts a streamed C once, since its beta=0 stores need no read."""
    if not (case.a or case.b or case.c):
        return None
    return spec.itemsize * (spec.a_size * case.a + spec.b_size * case.b + 2 * spec.c_size * case.c)


def default_batch(spec: GemmSpec, footprint_mb: float) -> int:
    """Products whose A, B and C fill ``footprint_mb`` MiB (the sample: 2048)."""
    if isinstance(footprint_mb, bool) or not isinstance(footprint_mb, (int, float)) or not footprint_mb > 0:
        raise InputError(f"footprint_mb must be a positive number, got {footprint_mb!r}")
    per = (spec.a_size + spec.b_size + spec.c_size) * spec.itemsize
    return max(1, int(footprint_mb * MIB // per))


def parse_ld(text) -> tuple:
    """``"LDA,LDB,LDC"`` (each empty for the tight default) -> three ints or Nones."""
    if text is None:
        return (None, None, None)
    parts = str(text).split(",")
    if len(parts) != 3:
        raise InputError(f"--ld must be LDA,LDB,LDC (an empty field keeps the tight one), got {text!r}")
    try:
        return tuple(int(p) if p.strip() else None for p in parts)
    except ValueError:
        raise InputError(f"--ld must be LDA,LDB,LDC integers, got {text!r}") from None


def run_case(sample: SampleCase, m, n, k, batch: int, repeat: int = 5, threads: int = 1,
             check: bool = True, seed: int = 0, ld=(None, None, None)) -> dict:
    """One case, timed ``repeat`` times; the fastest run is reported (with its cycles)."""
    from labkit.smm.cycles import CycleTimer, cycle_source
    from labkit.smm.streaming import check_threads, check_work, expected, operands, thread_limits
    from labkit.smm.strategies import prepare

    case = get_case(sample.stream)
    threads = check_threads(threads)
    repeat = positive_int("repeat", repeat)
    spec = make_spec(m, n, k, *ld, beta=case.beta)
    batch = positive_int("batch", batch)
    check_work(spec, case, batch, threads, check, repeat + 1,
               f"case {sample.number} with {batch} products of {m}x{n}x{k}")
    A, B, C = operands(spec, case, batch, threads, seed)
    C0 = C.copy() if check else None
    with thread_limits(threads):
        run = prepare(sample.strategy, spec, case, A, B, C, batch, threads)
        run()
        error = None
        if check:
            want = expected(spec, case, A, B, C0, batch, threads)
            error = float(np.max(np.abs(C[:, :, :m] - want)) / max(1.0, np.max(np.abs(want))))
        best = None
        for _ in range(repeat):
            with CycleTimer() as timer:
                run()
            if best is None or timer.seconds < best.seconds:
                best = timer
    moved = sample_bytes(spec, case)
    return {"case": sample.number, "label": sample.label, "stream": sample.stream,
            "indirect": sample.indirect, "m": m, "n": n, "k": k,
            "ld": f"{spec.lda},{spec.ldb},{spec.ldc}", "batch": batch,
            "threads": threads, "seconds": best.seconds, "cycles": best.cycles,
            "gflops": batch * spec.flops / best.seconds / 1e9,
            "bandwidth_gbs": None if moved is None else batch * moved / best.seconds / GIB,
            "pseudo_flops_per_cycle": batch * spec.pseudo_flops / best.cycles,
            "cycle_source": cycle_source(), "max_error": error}


def sample(number=0, mnk="23", batch=None, footprint_mb: float = 32.0, repeat: int = 5,
           threads: int = 1, check: bool = True, ld=None) -> dict:
    """The sample's run for case ``number`` and sizes ``mnk`` (its default is 23): the
    header it prints (sizes, products, memory) and one row per case run. ``batch``
    defaults to the products that fill ``footprint_mb`` MiB (the sample fills 2 GiB)."""
    cases = selected_cases(number)
    m, n, k = parse_sample_mnk(mnk)
    ld = parse_ld(ld)
    spec = make_spec(m, n, k, *ld)          # InputError for a leading dimension below its rows
    batch = default_batch(spec, footprint_mb) if batch is None else positive_int("batch", batch)
    memory = batch * (spec.a_size + spec.b_size + spec.c_size) * spec.itemsize
    check_memory(f"{batch} products of {m}x{n}x{k}", memory)
    runs = [run_case(c, m, n, k, batch, repeat=repeat, threads=threads, check=check, ld=ld)
            for c in cases]
    return {"m": m, "n": n, "k": k, "size": batch, "memory_mb": memory / MIB, "runs": runs}


def sweep(numbers=(0, 2, 4, 6, 8), shapes=("23",), **options):
    """:func:`sample` for each case number and shape, one row per case run (tidy)."""
    import pandas as pd

    rows = [row for number in numbers for shape in shapes
            for row in sample(number, shape, **options)["runs"]]
    frame = pd.DataFrame(rows)
    frame["shape"] = frame["m"].astype(str) + "x" + frame["n"].astype(str) + "x" + frame["k"].astype(str)
    return frame
