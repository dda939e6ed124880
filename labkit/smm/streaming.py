"""Batched small GEMMs in the five streaming cases, timed and reported the way the
LIBXSMM ``smm`` samples report them: duration, GFLOPS, memory bandwidth (not for the
case with nothing streamed) and the pseudo-performance ``(2mnk - mn)`` FLOPS per cycle.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory
from labkit.smm.cases import Case, get_case
from labkit.smm.claims import STREAM_TARGETS
from labkit.smm.codegen import auto_prefetch
from labkit.smm.operands import random_stack, reference
from labkit.smm.spec import PREFETCH, GemmSpec, make_spec, positive_int
from labkit.smm.strategies import STRATEGIES, prepare
from labkit.smm.workload import check_runs
from labkit.smm.streaming_stores import streaming_stores


def check_threads(threads) -> int:
    """1..numba's thread count (more would oversubscribe the cores)."""
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    if isinstance(threads, bool) or not hasattr(threads, "__index__") or not 1 <= threads <= most:
        raise InputError(f"threads must be an integer from 1 to {most}, got {threads!r}")
    return int(threads)


@contextmanager
def thread_limits(threads: int):
    """numba and BLAS both limited to ``threads`` (never both spreading over all cores)."""
    import numba

    threads = check_threads(threads)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:                  # optional: BLAS keeps its own setting
            yield
        else:
            with threadpool_limits(limits=threads):
                yield
    finally:
        numba.set_num_threads(before)


def operands(spec: GemmSpec, case: Case, batch: int, threads: int, seed: int = 0):
    """``(A, B, C)`` in batch layout: streamed operands ``batch`` deep, cached ones 1 deep
    (C kept in cache: one per thread)."""
    rng = np.random.default_rng(seed)
    a = random_stack(spec, "a", batch if case.a else 1, rng)
    b = random_stack(spec, "b", batch if case.b else 1, rng)
    c = random_stack(spec, "c", batch if case.c else threads, rng)
    return a, b, c


def operand_bytes(spec: GemmSpec, case: Case, batch: int, threads: int, check: bool) -> int:
    """What :func:`operands` allocate, with the copy of C a run keeps (C0) and, when
    the result is ``check``-ed, numpy's reference of it."""
    items_c = batch if case.c else threads
    total = (spec.a_size * (batch if case.a else 1) + spec.b_size * (batch if case.b else 1)
             + spec.c_size * items_c * (3 if check else 2))
    return total * spec.itemsize


def check_work(spec: GemmSpec, case: Case, batch: int, threads: int, check: bool,
               runs: int, what: str) -> None:
    """Refuse ``runs`` runs of ``batch`` products before their operands are allocated:
    too much memory for the operands, or too long for the time budget."""
    check_memory(what, operand_bytes(spec, case, batch, threads, check))
    per = case.bytes_per_product(spec.a_size, spec.b_size, spec.c_size, spec.itemsize)
    check_runs(f"{runs} runs of {what}", runs, batch * spec.flops, batch * per)


def expected(spec: GemmSpec, case: Case, A, B, C0, batch: int, threads: int) -> np.ndarray:
    """What ``C`` must hold after one run, computed by numpy (float64)."""
    if case.c:
        return reference(spec, A, B, C0)
    out = C0[:, :, :spec.m].astype(np.float64).copy()
    bounds = np.linspace(0, batch, threads + 1).astype(int)
    single = reference(spec, A[:1], B[:1], np.zeros_like(C0[:1]))[0]
    for t in range(threads):
        lo, hi = bounds[t], bounds[t + 1]
        if case.a:
            out[t] += reference(spec, A[lo:hi], B[lo:hi], np.zeros((hi - lo,) + C0.shape[1:], C0.dtype)).sum(0)
        else:
            out[t] += (hi - lo) * single
    return out


def nominal_hz() -> float:
    """The clock used for pseudo cycles: the kernel's reported MHz (BogoMIPS/2 otherwise)."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return 2.5e9
    for key, scale in (("cpu MHz", 1e6), ("bogomips", 0.5e6)):
        for line in text.splitlines():
            if line.lower().startswith(key.lower()):
                return float(line.split(":")[1]) * scale
    return 2.5e9


def bench(m, n, k, stream="ABC", kernel="labkit", batch=None, threads=1, dtype="float64",
          prefetch="auto", repeat=5, seed=0, check=True, footprint_mb=32.0) -> dict:
    """Time ``repeat`` runs of one case and strategy; report the best run.

    ``batch`` defaults to the number of products whose A, B and C occupy ``footprint_mb``
    (32 MB: beyond the L2 caches, as large as this machine's shared L3); every case then
    computes the same number of products.
    Returns ``seconds, gflops, gbps, pseudo_flops_per_cycle`` plus the setting,
    ``max_error`` against numpy (when ``check``) and ``streaming_stores`` (whether labkit
    wrote C with non-temporal stores). ``prefetch='auto'`` (as the LIBXSMM samples build)
    is resolved per shape by :func:`codegen.auto_prefetch` for the ``labkit`` strategy
    (``none`` for the others, which prefetch nothing); the row says what was used.
    """
    case = get_case(stream)
    threads = check_threads(threads)
    repeat = positive_int("repeat", repeat)
    if prefetch not in ("auto",) + PREFETCH:
        raise InputError(f"prefetch must be one of {('auto',) + PREFETCH}, got {prefetch!r}")
    spec = make_spec(m, n, k, beta=case.beta, dtype=dtype,
                     prefetch="none" if prefetch == "auto" else prefetch)
    if prefetch == "auto" and kernel == "labkit":   # the only strategy with a batched driver
        spec = replace(spec, prefetch=auto_prefetch(spec))
    if batch is None:       # as many products as A, B and C streamed would fit, in any case
        per = (spec.a_size + spec.b_size + spec.c_size) * spec.itemsize
        if not isinstance(footprint_mb, (int, float)) or not footprint_mb > 0:
            raise InputError(f"footprint_mb must be a positive number, got {footprint_mb!r}")
        batch = int(min(2_000_000, max(1000, footprint_mb * 1e6 // per)))
    batch = positive_int("batch", batch)
    if kernel not in STRATEGIES:
        raise InputError(f"kernel {kernel!r} is not a strategy: choose one of {', '.join(STRATEGIES)}")
    check_work(spec, case, batch, threads, check, repeat + 1,
               f"--batch {batch} products of {spec.m}x{spec.n}x{spec.k} ({case.name} streamed)")
    A, B, C = operands(spec, case, batch, threads, seed)
    C0 = C.copy()
    with thread_limits(threads):
        run = prepare(kernel, spec, case, A, B, C, batch, threads)
        run()                                   # warm-up (and the result we check)
        error = None
        if check:
            want = expected(spec, case, A, B, C0, batch, threads)
            error = float(np.max(np.abs(C[:, :, :spec.m] - want)) / max(1.0, np.max(np.abs(want))))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    seconds = min(times)
    bytes_moved = batch * case.bytes_per_product(spec.a_size, spec.b_size, spec.c_size, spec.itemsize)
    return {
        "m": spec.m, "n": spec.n, "k": spec.k, "stream": case.name, "kernel": kernel,
        "dtype": spec.dtype, "batch": int(batch), "threads": threads, "prefetch": spec.prefetch,
        "seconds": seconds,
        "gflops": batch * spec.flops / seconds / 1e9,
        "gbps": (bytes_moved / seconds / 1e9) if bytes_moved else None,
        "pseudo_flops_per_cycle": batch * spec.pseudo_flops / (seconds * nominal_hz()),
        "max_error": error,
        "streaming_stores": kernel == "labkit" and streaming_stores(spec, case, C, batch),
    }


def sweep(shapes, streams=("ABC",), kernels=("labkit", "numpy"), progress=True, **options):
    """One :func:`bench` row per shape x stream x kernel, as a tidy DataFrame."""
    import pandas as pd
    from tqdm.auto import tqdm

    grid = [(s, st, kn) for s in shapes for st in streams for kn in kernels]
    rows = [bench(*shape, stream=st, kernel=kn, **options)
            for shape, st, kn in tqdm(grid, disable=not progress, desc="smm")]
    frame = pd.DataFrame(rows)
    frame["shape"] = frame["m"].astype(str) + "x" + frame["n"].astype(str) + "x" + frame["k"].astype(str)
    return frame


TARGETS = STREAM_TARGETS          # issue 5's labkit / numpy.matmul targets, by (m, n, k)


def ratio(m, n, k, peer="numpy", rounds=3, stream="ABC", repeat=20, **options) -> dict:
    """labkit's speed over ``peer``'s on the same setting, timed back to back ``rounds``
    times so both see the same machine load; the median ratio is reported. Each side
    counts its best of ``repeat`` runs: a run takes milliseconds, so a shared machine's
    interruptions hit single runs, and 20 runs cost far less than making the operands."""
    import statistics

    rounds = positive_int("rounds", rounds)
    ratios, ours, theirs = [], [], []
    for _ in range(rounds):
        lab = bench(m, n, k, stream=stream, kernel="labkit", repeat=repeat, check=False, **options)
        ref = bench(m, n, k, stream=stream, kernel=peer, repeat=repeat, check=False, **options)
        ratios.append(ref["seconds"] / lab["seconds"])
        ours.append(lab["gflops"])
        theirs.append(ref["gflops"])
    return {"shape": f"{m}x{n}x{k}", "stream": stream, "peer": peer, "rounds": rounds,
            "labkit_gflops": statistics.median(ours), "peer_gflops": statistics.median(theirs),
            "ratio": statistics.median(ratios), "streaming_stores": lab["streaming_stores"]}


def target_ratios(rounds=3, progress=True, **options):
    """:func:`ratio` against numpy for every shape of :data:`TARGETS`, with ``target``,
    ``met``, ``ceiling``, ``reachable`` and ``of_ceiling`` columns.

    ``ceiling`` is the highest ratio any kernel could reach against that numpy speed:
    this core's FMA ceiling (:func:`roofline.fma_gflops`) over numpy's GFLOPS.
    ``reachable`` says whether the target is at most that (if not, no kernel could meet
    it in that run); ``of_ceiling`` is labkit's GFLOPS as a fraction of the FMA ceiling."""
    import pandas as pd
    from tqdm.auto import tqdm

    from labkit.smm.roofline import fma_gflops

    rows = []
    for (m, n, k), target in tqdm(list(TARGETS.items()), disable=not progress, desc="targets"):
        row = ratio(m, n, k, rounds=rounds, **options)
        ceiling = fma_gflops() / row["peer_gflops"]
        rows.append({**row, "target": target, "met": row["ratio"] >= target, "ceiling": ceiling,
                     "reachable": target <= ceiling, "of_ceiling": row["labkit_gflops"] / fma_gflops()})
    return pd.DataFrame(rows)


def target_note(row, rounds: int, footprint_mb: float = 32.0) -> str:
    """The scorecard note for one row of :func:`target_ratios`: both speeds, the ceiling,
    how close labkit ran to it, and, when the target is above the ceiling, that no
    kernel could have met it in this run."""
    note = (f"median of {rounds} same-run rounds; labkit {row.labkit_gflops:.1f}, numpy "
            f"{row.peer_gflops:.1f} GFLOPS; ~{footprint_mb:g} MB streamed per run; highest ratio "
            f"the FMA ceiling allows: {row.ceiling:.2f}, labkit at {row.of_ceiling:.0%} of that ceiling")
    if not row.reachable:
        note += "; the target is above the ceiling here: no kernel could meet it in this run"
    return note


def footprint_ratios(shapes=None, footprints_mb=(4, 32, 256), rounds=3, progress=True,
                     **options):
    """:func:`ratio` against numpy for each shape at each batch footprint (MB of A, B and
    C streamed per run), with the target where the shape has one.

    Why: the ratio depends on where the operands live. Within the last-level cache both
    sides are limited by instructions; beyond it, by memory bandwidth, where numpy's
    per-product overhead matters less and labkit's non-temporal C stores matter more (the
    LIBXSMM samples default to 2 GB, deep in that regime)."""
    import pandas as pd
    from tqdm.auto import tqdm

    shapes = list(TARGETS) if shapes is None else [tuple(s) for s in shapes]
    grid = [(shape, mb) for shape in shapes for mb in footprints_mb]
    rows = []
    for (m, n, k), mb in tqdm(grid, disable=not progress, desc="footprints"):
        row = ratio(m, n, k, rounds=rounds, footprint_mb=mb, **options)
        target = TARGETS.get((m, n, k))
        rows.append({**row, "footprint_mb": mb, "target": target,
                     "met": None if target is None else row["ratio"] >= target})
    return pd.DataFrame(rows)
