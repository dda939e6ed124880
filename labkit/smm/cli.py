"""``labkit smm``: small matrix multiplication benchmarks from the command line.

Arguments only here (importing this module must stay cheap); the handlers import numba
and the kernels when they run.
"""

from __future__ import annotations

from labkit.lab.errors import InputError


def _positive(name):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise InputError(f"{name} must be a positive integer, got {text!r}") from None
        if value <= 0:
            raise InputError(f"{name} must be a positive integer, got {value}")
        return value
    return parse


def cmd_bench(args) -> dict:
    from labkit.smm.spec import parse_mnk
    from labkit.smm.streaming import bench

    m, n, k = parse_mnk(args.mnk)
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
    return {f"{row.measure} ({row.threads} thr) ns": row.ns for row in frame.itertuples()}


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


def cmd_xgemm(args) -> dict:
    from labkit.smm.spec import parse_mnk
    from labkit.smm.xgemm import compare_blas, summary

    m, n, k = parse_mnk(args.mnk)
    frame, error = compare_blas(m, n, k, threads=args.threads, repeat=args.repeat,
                                dtype=args.dtype, alpha=args.alpha, beta=args.beta,
                                lda=args.lda, ldb=args.ldb, ldc=args.ldc,
                                transa=args.transa, transb=args.transb)
    return summary(frame, error)


def _add_xgemm(sub) -> None:
    p = sub.add_parser("xgemm", help="tiled, threaded big GEMM vs numpy's BLAS (same operands)")
    p.add_argument("--mnk", required=True, metavar="M,N,K", help="sizes, e.g. 2000,2000,2000")
    for name in ("lda", "ldb", "ldc"):
        p.add_argument(f"--{name}", type=int, default=None, help="leading dimension (default: rows)")
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--beta", type=float, default=0.0)
    p.add_argument("--transa", default="N", help="N or T")
    p.add_argument("--transb", default="N", help="N or T")
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--repeat", type=_positive("--repeat"), default=3,
                   help="timed runs of each side, alternating (default 3)")
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_xgemm)


def _pair(text: str) -> tuple[int, int]:
    parts = str(text).replace("x", ",").split(",")
    if len(parts) != 2:
        raise InputError(f"sizes must be M,N (two integers) for a transpose, got {text!r}")
    return tuple(_positive(name)(part) for name, part in zip(("m", "n"), parts))


def cmd_tune(args) -> dict:
    from labkit.smm.tile_tuning import tune_gemm

    if args.kind == "gemm":
        from labkit.smm.spec import parse_mnk

        m, n, k = parse_mnk(args.mnk)
        tuned = tune_gemm(m, n, k, trials=args.trials, threads=args.threads, dtype=args.dtype,
                          progress=not args.json)
    else:
        from labkit.smm.tile_tuning import tune_transpose

        m, n = _pair(args.mnk)
        tuned = tune_transpose(m, n, trials=args.trials, threads=args.threads,
                               dtype=args.dtype, progress=not args.json)
    return tuned.as_dict()


def cmd_transpose_copy(args) -> dict:
    from labkit.smm.transpose import copy_summary, versus_copy

    m, n = _pair(args.mn)
    frame, agrees = versus_copy(m, n, threads=args.threads, repeat=args.repeat, dtype=args.dtype)
    return copy_summary(frame, agrees)


def _add_transpose_copy(sub) -> None:
    p = sub.add_parser("transpose-vs-copy",
                       help="out-of-place transpose time vs a copy of the same matrix, alternating")
    p.add_argument("--mn", required=True, metavar="M,N", help="matrix sizes, e.g. 4096,4096")
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--repeat", type=_positive("--repeat"), default=5)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_transpose_copy)


def _add_tune(sub) -> None:
    p = sub.add_parser("tune", help="search tile sizes (optuna) and store them for later calls")
    p.add_argument("kind", choices=("gemm", "transpose"))
    p.add_argument("--mnk", required=True, metavar="M,N,K",
                   help="the problem tuned: M,N,K for gemm, M,N for transpose")
    p.add_argument("--trials", type=_positive("--trials"), default=30)
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object (no progress bar)")
    p.set_defaults(handler=cmd_tune)


def register(subparsers) -> None:
    group = subparsers.add_parser("smm", help="small matrix multiplication (LIBXSMM samples)")
    sub = group.add_subparsers(dest="smm_command", metavar="SUBCOMMAND",
                               parser_class=type(group))
    sub.required = True

    p = sub.add_parser("bench", help="time one batched streaming case and strategy")
    p.add_argument("--mnk", required=True, metavar="M,N,K", help="matrix sizes, e.g. 5,25,5")
    p.add_argument("--stream", default="ABC", help="ABC, AB, AC, BC or none (default ABC)")
    p.add_argument("--kernel", default="labkit",
                   help="labkit, numpy, einsum, blas, loops or dispatch (default labkit)")
    p.add_argument("--batch", type=_positive("--batch"), default=None,
                   help="products per run (default: ~32 MB of streamed operands)")
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--prefetch", default="auto",
                   help="auto (default: next for products of many steps of k), none or next")
    p.add_argument("--repeat", type=_positive("--repeat"), default=5,
                   help="timed runs; the best is reported (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("specfem", help="the SPECFEM 5x5x5 element kernel variants")
    p.add_argument("--elements", type=_positive("--elements"), default=2000)
    p.add_argument("--repeat", type=_positive("--repeat"), default=5)
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_specfem)

    p = sub.add_parser("dispatch", help="dispatch costs: empty call, cached lookup, generation")
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--calls", type=_positive("--calls"), default=100_000)
    p.add_argument("--generate", type=int, default=1,
                   help="fresh kernels to generate for the JIT cost (0: skip)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_dispatch)

    for name, sizes, handler, text in (
            ("stpm", ("m", "n", "k"), cmd_stpm, "NEK small tensor-product multiply (axhelm)"),
            ("rstr", ("m", "n", "k", "mm", "nn", "kk"), cmd_rstr, "NEK restriction operator")):
        p = sub.add_parser(name, help=text)
        for size in sizes:
            p.add_argument(size, type=_positive(size))
        p.add_argument("size1", help="the strategy (the sample's mode): labkit, loops or numpy")
        p.add_argument("size", type=_positive("size"), help="number of elements")
        p.add_argument("--threads", type=_positive("--threads"), default=1)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=handler)

    p = sub.add_parser("transpose", help="out-of-place or in-place transpose bandwidth")
    for size in ("m", "n", "ldi", "ldo"):
        p.add_argument(size, type=_positive(size))
    p.add_argument("--inplace", action="store_true")
    p.add_argument("--threads", type=_positive("--threads"), default=1)
    p.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_transpose)

    _add_xgemm(sub)
    _add_tune(sub)
    _add_transpose_copy(sub)
