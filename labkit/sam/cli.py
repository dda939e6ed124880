"""``labkit sam``: run an expression on matrices and check it, or print its SAM graph."""

from __future__ import annotations

from labkit.lab.errors import InputError


def _pairs(items, what: str) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--{what} {item!r}: expected NAME=VALUE")
        name, value = item.split("=", 1)
        if not name.strip():
            raise InputError(f"--{what} {item!r}: missing tensor name")
        out[name.strip()] = value.strip()
    return out


def _add_common(p) -> None:
    p.add_argument("--expr", required=True, help='index notation, e.g. "X(i,j)=B(i,k)*C(k,j)"')
    p.add_argument("--format", action="append", metavar="NAME=LEVELS",
                   help="level formats of a tensor in storage order: d c s b (repeatable)")
    p.add_argument("--order", default=None, help="loop (dataflow) order, e.g. ikj")
    p.add_argument("--locate", action="store_true", help="locate into dense operands")
    p.add_argument("--skip", action="store_true", help="skip-ahead intersecters")


def _compile(args):
    from labkit.sam.custard import compile_expr

    return compile_expr(args.expr, _pairs(args.format, "format"), args.order,
                        locate=args.locate, skip=args.skip)


def _shapes(items) -> dict:
    """``--shape NAME=DIMxDIM`` (or ``NAME=N`` for a vector) -> ``{name: (dims)}``."""
    out = {}
    for name, spec in _pairs(items, "shape").items():
        try:
            dims = tuple(int(d) for d in spec.lower().split("x"))
        except ValueError:
            raise InputError(f"--shape {name}={spec}: expected N or DIMxDIM..., e.g. c=760") from None
        if any(d < 1 for d in dims):
            raise InputError(f"--shape {name}={spec}: dimensions must be at least 1")
        out[name] = dims
    return out


def _load_tensor(name: str, value: str, shape=None, vector: bool = False):
    from pathlib import Path

    from labkit.lab.data import find_data
    from labkit.sam.mtx import load

    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if shape is not None:
            raise InputError(f"--shape {name}: {name} is the number {value}, not a file")
        return number
    path = Path(value)
    if not path.exists():
        found = find_data(value)
        if found is None:
            raise InputError(f"--tensor {name}={value}: file not found")
        path = found
    return load(path, name=name, shape=shape, vector=vector)


def cmd_run(args):
    from labkit.sam.generate import parse_random, random_tensor
    from labkit.sam.run import run_expression

    program = _compile(args)
    modes = {a.name: len(a.indices) for a in program.statement.accesses}
    shapes = _shapes(args.shape)
    given = _pairs(args.tensor, "tensor")
    stray = [n for n in shapes if n not in given]
    if stray:
        raise InputError(f"--shape {stray[0]}: no --tensor {stray[0]}=FILE to give it to")
    tensors = {n: _load_tensor(n, v, shapes.get(n), modes.get(n) == 1) for n, v in given.items()}
    for k, (name, spec) in enumerate(_pairs(args.random, "random").items()):
        shape, density = parse_random(spec)
        tensors[name] = random_tensor(shape, density, seed=args.seed + k)
    missing = [a.name for a in program.statement.accesses if a.name not in tensors]
    if missing:
        raise InputError(f"no --tensor or --random given for {', '.join(dict.fromkeys(missing))}")
    result = run_expression(args.expr, tensors, _pairs(args.format, "format"), args.order,
                            mode=args.mode, locate=args.locate, skip=args.skip)
    return result.summary()


def cmd_graph(args):
    program = _compile(args)
    graph = program.graph
    if args.json:
        return {"nodes": len(graph.nodes), "primitive_counts": graph.counts(),
                "order": "".join(program.order), "dot": graph.to_dot()}
    return graph.to_dot() if args.dot else graph.to_text()


def register(subparsers) -> None:
    group = subparsers.add_parser("sam", help="the Sparse Abstract Machine: compile, simulate, check")
    sub = group.add_subparsers(dest="sam_command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("run", help="compile an expression, simulate it, compare with gold")
    _add_common(p)
    p.add_argument("--tensor", action="append", metavar="NAME=PATH",
                   help="a .mtx/.tns file (or a data-set name, or a number for a scalar)")
    p.add_argument("--shape", action="append", metavar="NAME=DIMxDIM",
                   help="true dimensions of a --tensor file, e.g. c=760 for a vector whose "
                        "last entries are zero (an n x 1 .mtx indexed once is a vector)")
    p.add_argument("--random", action="append", metavar="NAME=DIMxDIM:DENSITY",
                   help="a random tensor, e.g. C=100x100:0.01")
    p.add_argument("--seed", type=int, default=0, help="seed of the random tensors")
    p.add_argument("--mode", choices=("cycle", "functional"), default="cycle")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("graph", help="the SAM graph of an expression (text or Graphviz DOT)")
    _add_common(p)
    p.add_argument("--dot", action="store_true", help="print Graphviz DOT")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_graph)

    from labkit.sam.cli_tiled import register_tiled   # the Fig. 15 study's subcommand
    register_tiled(sub)
