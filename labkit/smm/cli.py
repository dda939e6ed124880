"""``labkit smm``: small matrix multiplication benchmarks from the command line.

Arguments only here (importing this module must stay cheap); the handlers import numba
and the kernels when they run.
"""

from __future__ import annotations

import argparse

from labkit.lab.argtypes import finite_number, nonnegative_int, positive_int, positive_number
from labkit.lab.errors import InputError, shorten


def _fields(text: str) -> list[str]:
    """``"5,25,5"`` or ``"5x25x5"`` split into fields; one number (``"0x10"``) is one field."""
    if "," in text:
        return text.split(",")
    try:
        return [str(positive_int(text))]
    except argparse.ArgumentTypeError:
        return text.split("x")


def _sizes(counts: tuple[int, ...], form: str):
    """An argparse type for ``counts`` comma-separated positive integers (``x`` also
    separates; ``1e3`` and ``0x10`` are accepted), returned as a tuple; its message
    names the bad field, so argparse shows it instead of "invalid value"."""
    def parse(text: str) -> tuple[int, ...]:
        parts = _fields(str(text).strip())
        if len(parts) not in counts:
            raise argparse.ArgumentTypeError(f"must be {form}, got {shorten(text)!r}")
        values = []
        for i, part in enumerate(parts):
            try:
                values.append(positive_int(part))
            except argparse.ArgumentTypeError as exc:
                name = "mnk"[i] if form.startswith("M") and i < 3 else f"field {i + 1}"
                raise argparse.ArgumentTypeError(f"must be {form}: {name} {exc}") from None
        return tuple(values)
    parse.__name__ = form
    return parse


MNK = _sizes((3,), "M,N,K (three positive integers)")
SAMPLE_MNK = _sizes((1, 2, 3), "M, M,N or M,N,K (positive integers)")
PAIR = _sizes((2,), "M,N (two positive integers)")
COUNTS = _sizes(range(1, 65), "positive integers separated by commas")


def _cache_checked(handler):
    """``handler`` run after the kernel cache (``$LABKIT_CACHE``) is checked writable:
    every smm command may generate kernels, and an unusable cache must stop it before
    any work, not at its first new kernel."""
    def run(args):
        from labkit.smm.codegen import check_cache

        check_cache()
        return handler(args)
    run.__name__ = handler.__name__
    return run


def cmd_bench(args) -> dict:
    from labkit.smm.streaming import bench

    m, n, k = args.mnk
    result = bench(m, n, k, stream=args.stream, kernel=args.kernel, batch=args.batch,
                   threads=args.threads, dtype=args.dtype, prefetch=args.prefetch,
                   repeat=args.repeat, check=False)
    return {key: result[key] for key in ("gflops", "gbps", "pseudo_flops_per_cycle", "seconds")}


def cmd_specfem(args) -> dict:
    from labkit.smm.specfem import table

    frame = table(elements=args.elements, repeat=args.repeat, threads=args.threads,
                  progress=False)
    return {"threads": args.threads, "elements": args.elements,
            "variants": {row.variant: {"seconds": row.seconds, "speedup_pct": row.speedup_pct,
                                       "agrees": bool(row.agrees)}
                         for row in frame.itertuples()}}


def cmd_dispatch(args) -> dict:
    from labkit.smm.dispatch_cost import costs

    frame = costs(threads=args.threads, calls=args.calls, generate=args.generate)
    result = {f"{row.measure} ({row.threads} thr) ns": row.ns for row in frame.itertuples()}
    if args.generate == 0:         # nothing generated: no cost, rather than a made-up one
        result["JIT generation (1 thr) ns"] = None
        result["notes"] = {"JIT generation (1 thr) ns": "not measured: --generate 0"}
    return result


def cmd_stpm(args) -> dict:
    from labkit.smm.nek import stpm

    return stpm(args.m, args.n, args.k, args.size1, args.size, threads=args.threads)


def cmd_rstr(args) -> dict:
    from labkit.smm.nek import rstr

    return rstr(args.m, args.n, args.k, args.mm, args.nn, args.kk, args.size1, args.size,
                threads=args.threads)


def cmd_transpose(args) -> dict:
    from labkit.smm.transpose import bench

    return bench(args.m, args.n, args.ldi, args.ldo, inplace=args.inplace, dtype=args.dtype,
                 threads=args.threads)


def cmd_sample(args) -> dict:
    from labkit.smm.sample import sample

    return sample(args.case, ",".join(map(str, args.mnk)), batch=args.batch, footprint_mb=args.mb,
                  repeat=args.repeat, threads=args.threads, check=not args.no_check, ld=args.ld)


def cmd_cp2k(args) -> dict:
    from labkit.smm.sample import parse_sample_mnk
    from labkit.smm.stacks import bench

    m, n, k = parse_sample_mnk(",".join(map(str, args.mnk)))
    return bench(m, n, k, entries=args.entries, pool=args.pool, cpool=args.cpool,
                 path=args.path, threads=args.threads, repeat=args.repeat)


def cmd_wrap(args) -> dict:
    from labkit.smm.sample import parse_sample_mnk
    from labkit.smm.wrap_bench import speedup

    m, n, k = parse_sample_mnk(",".join(map(str, args.mnk)))
    return speedup(m, n, k, products=args.products, rounds=args.rounds, op=args.op)


def cmd_contention(args) -> dict:
    from labkit.smm.dispatch_cost import contention, noncached_lookup_ns, serialization

    frame = contention(args.threads, lookups=args.lookups)
    return {"lookup_ns": noncached_lookup_ns(args.lookups),
            "rows": frame.to_dict(orient="records"),
            "generation_serialization": serialization(frame)}


def cmd_trylock(args) -> dict:
    from labkit.smm import registry_report
    from labkit.smm.trylock import race

    frame = race(args.threads, trylock=not args.wait)
    return {"rows": frame.to_dict(orient="records"), "registry": registry_report.summary()}


def cmd_scratch(args) -> dict:
    from labkit.smm.scratch import bench

    frame = bench(sizes=args.sizes, temporaries=args.temporaries, calls=args.calls)
    return {"rows": frame.to_dict(orient="records")}


def cmd_mhd(args) -> dict:
    from labkit.smm.mhd_sample import run

    return run(args.input, args.nrepeat, args.kw, args.kh, args.output, threads=args.threads)


def cmd_xgemm(args) -> dict:
    from labkit.smm.xgemm import compare_blas, summary

    m, n, k = args.mnk
    frame, error = compare_blas(m, n, k, threads=args.threads, repeat=args.repeat,
                                dtype=args.dtype, alpha=args.alpha, beta=args.beta,
                                lda=args.lda, ldb=args.ldb, ldc=args.ldc,
                                transa=args.transa, transb=args.transb)
    return summary(frame, error)


def _add_xgemm(sub) -> None:
    p = sub.add_parser("xgemm", help="tiled, threaded big GEMM vs numpy's BLAS (same operands)")
    p.add_argument("--mnk", required=True, type=MNK, metavar="M,N,K", help="sizes, e.g. 2000,2000,2000")
    for name in ("lda", "ldb", "ldc"):
        p.add_argument(f"--{name}", type=positive_int, default=None, help="leading dimension (default: rows)")
    p.add_argument("--alpha", type=finite_number, default=1.0)
    p.add_argument("--beta", type=finite_number, default=0.0)
    p.add_argument("--transa", default="N", choices=("N", "T"), help="N or T")
    p.add_argument("--transb", default="N", choices=("N", "T"), help="N or T")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--repeat", type=positive_int, default=3,
                   help="timed runs of each side, alternating (default 3)")
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_xgemm))


def cmd_tune(args) -> dict:
    from labkit.smm.tile_tuning import tune_gemm

    if args.kind == "gemm":
        if len(args.mnk) != 3:
            raise InputError(f"--mnk must be M,N,K for gemm, got {len(args.mnk)} sizes")
        m, n, k = args.mnk
        tuned = tune_gemm(m, n, k, trials=args.trials, threads=args.threads, dtype=args.dtype,
                          progress=not args.json)
    else:
        from labkit.smm.tile_tuning import tune_transpose

        if len(args.mnk) != 2:
            raise InputError(f"--mnk must be M,N for transpose, got {len(args.mnk)} sizes")
        m, n = args.mnk
        tuned = tune_transpose(m, n, trials=args.trials, threads=args.threads,
                               dtype=args.dtype, progress=not args.json)
    return tuned.as_dict()


def cmd_transpose_copy(args) -> dict:
    from labkit.smm.transpose import copy_summary, versus_copy

    m, n = args.mn
    frame, agrees = versus_copy(m, n, threads=args.threads, repeat=args.repeat, dtype=args.dtype)
    return copy_summary(frame, agrees)


def _add_transpose_copy(sub) -> None:
    p = sub.add_parser("transpose-vs-copy",
                       help="out-of-place transpose time vs a copy of the same matrix, alternating")
    p.add_argument("--mn", required=True, type=PAIR, metavar="M,N", help="matrix sizes, e.g. 4096,4096")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--repeat", type=positive_int, default=5)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_transpose_copy))


def _add_tune(sub) -> None:
    p = sub.add_parser("tune", help="search tile sizes (optuna) and store them for later calls")
    p.add_argument("kind", choices=("gemm", "transpose"))
    p.add_argument("--mnk", required=True, type=_sizes((2, 3), "M,N,K or M,N (positive integers)"),
                   metavar="M,N,K", help="the problem tuned: M,N,K for gemm, M,N for transpose")
    p.add_argument("--trials", type=positive_int, default=30)
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object (no progress bar)")
    p.set_defaults(handler=_cache_checked(cmd_tune))


def register(subparsers) -> None:
    group = subparsers.add_parser("smm", help="small matrix multiplication (LIBXSMM samples)")
    sub = group.add_subparsers(dest="smm_command", metavar="SUBCOMMAND",
                               parser_class=type(group))
    sub.required = True

    p = sub.add_parser("bench", help="time one batched streaming case and strategy")
    p.add_argument("--mnk", required=True, type=MNK, metavar="M,N,K", help="matrix sizes, e.g. 5,25,5")
    p.add_argument("--stream", default="ABC", help="ABC, AB, AC, BC or none (default ABC)")
    p.add_argument("--kernel", default="labkit",
                   help="labkit, numpy, einsum, blas, loops or dispatch (default labkit)")
    p.add_argument("--batch", type=positive_int, default=None,
                   help="products per run (default: ~32 MB of streamed operands)")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--prefetch", default="auto",
                   help="auto (default: next for products of many steps of k), none or next")
    p.add_argument("--repeat", type=positive_int, default=5,
                   help="timed runs; the best is reported (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_bench))

    p = sub.add_parser("sample", help="the smm sample's command line: case 0-9, M[,N[,K]]")
    p.add_argument("case", nargs="?", default="0",
                   help="0 batched (A,B,C), 2 streamed (A,C), 4 (B,C), 6 (A,B), 8 cached; "
                        "odd: the indirect variant (an even case falls through into it)")
    p.add_argument("--mnk", default=(23,), type=SAMPLE_MNK, metavar="M[,N[,K]]",
                   help="sizes; N and K inherit as the sample's (k=m, n=k; default 23)")
    p.add_argument("--batch", type=positive_int, default=None,
                   help="products per run (default: --mb of operands)")
    p.add_argument("--mb", type=positive_number, default=32.0,
                   help="MiB of A, B and C when --batch is not given (the sample: 2048)")
    p.add_argument("--repeat", type=positive_int, default=5)
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--ld", default=None, metavar="LDA,LDB,LDC",
                   help="leading dimensions (the sample: tight, m,k,m; an empty field keeps it)")
    p.add_argument("--no-check", action="store_true", help="skip the comparison with numpy")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_sample))

    p = sub.add_parser("cp2k", help="CP2K matrix stacks: C[ic] += A[ia] B[ib] over shared pools")
    p.add_argument("--mnk", default=(23,), type=SAMPLE_MNK, metavar="M[,N[,K]]", help="block sizes (default 23)")
    p.add_argument("--entries", type=positive_int, default=20_000, help="stack entries")
    p.add_argument("--pool", type=positive_int, default=1000, help="A and B blocks")
    p.add_argument("--cpool", type=positive_int, default=100,
                   help="C blocks (fewer than entries: updates collide)")
    p.add_argument("--path", default="host", help="host (C-sorted, owned) or offload (pieces + partials)")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--repeat", type=positive_int, default=5)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_cp2k))

    p = sub.add_parser("wrap", help="an unmodified small-product loop, plain numpy vs wrapped")
    p.add_argument("--mnk", default=(5,), type=SAMPLE_MNK, metavar="M[,N[,K]]",
                   help="product shape (default 5)")
    p.add_argument("--products", type=positive_int, default=100_000)
    p.add_argument("--rounds", type=positive_int, default=5,
                   help="alternating plain/wrapped rounds; the median ratio is reported")
    p.add_argument("--op", default="@", choices=("@", "matmul", "dot", "dgemm"),
                   help="how the loop multiplies: @, matmul, dot or dgemm")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_wrap))

    p = sub.add_parser("contention", help="dispatch under thread contention: lookups vs generation")
    p.add_argument("--threads", default=(1, 2), type=COUNTS,
                   help="thread counts, e.g. 1,2,4 (default 1,2)")
    p.add_argument("--lookups", type=positive_int, default=20_000,
                   help="cached lookups per thread (and non-cached lookups)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_contention))

    p = sub.add_parser("trylock", help="threads racing for one new kernel, try-lock or waiting")
    p.add_argument("--threads", type=positive_int, default=2)
    p.add_argument("--wait", action="store_true", help="wait for the generation (no try-lock)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_trylock))

    p = sub.add_parser("scratch", help="scratch allocator vs numpy allocation for kernel temporaries")
    p.add_argument("--sizes", default=(256, 16384, 1048576, 8388608), type=COUNTS,
                   help="temporary sizes in bytes")
    p.add_argument("--temporaries", type=positive_int, default=4,
                   help="temporaries per kernel call")
    p.add_argument("--calls", type=positive_int, default=2000)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_scratch))

    p = sub.add_parser("mhd", help="the mhd sample: read a MetaImage, convolve it through small GEMMs")
    p.add_argument("input", nargs="?", default="1024x768",
                   help="a .mhd/.mha file, or WxH to generate one (default 1024x768)")
    p.add_argument("nrepeat", nargs="?", type=positive_int, default=5)
    p.add_argument("kw", nargs="?", type=positive_int, default=5, help="kernel width")
    p.add_argument("kh", nargs="?", type=positive_int, default=None, help="kernel height (default kw)")
    p.add_argument("output", nargs="?", default=None, help="write the result here (.mhd or .mha)")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_mhd))

    p = sub.add_parser("specfem", help="the SPECFEM 5x5x5 element kernel variants")
    p.add_argument("--elements", type=positive_int, default=2000)
    p.add_argument("--repeat", type=positive_int, default=5)
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_specfem))

    p = sub.add_parser("dispatch", help="dispatch costs: empty call, cached lookup, generation")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--calls", type=positive_int, default=100_000)
    p.add_argument("--generate", type=nonnegative_int, default=1,
                   help="fresh kernels to generate for the JIT cost (0: skip)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_dispatch))

    for name, sizes, handler, text in (
            ("stpm", ("m", "n", "k"), cmd_stpm, "NEK small tensor-product multiply (axhelm)"),
            ("rstr", ("m", "n", "k", "mm", "nn", "kk"), cmd_rstr, "NEK restriction operator")):
        p = sub.add_parser(name, help=text)
        for size in sizes:
            p.add_argument(size, type=positive_int)
        p.add_argument("size1", help="the strategy (the sample's mode): labkit, loops or numpy")
        p.add_argument("size", type=positive_int, help="number of elements")
        p.add_argument("--threads", type=positive_int, default=1)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=_cache_checked(handler))

    p = sub.add_parser("transpose", help="out-of-place or in-place transpose bandwidth")
    for size in ("m", "n", "ldi", "ldo"):
        p.add_argument(size, type=positive_int)
    p.add_argument("--inplace", action="store_true")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_cache_checked(cmd_transpose))

    _add_xgemm(sub)
    _add_tune(sub)
    _add_transpose_copy(sub)
