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


def _load_tensor(name: str, value: str):
    from pathlib import Path

    from labkit.lab.data import find_data
    from labkit.sam.mtx import load

    try:
        return float(value)
    except ValueError:
        pass
    path = Path(value)
    if not path.exists():
        found = find_data(value)
        if found is None:
            raise InputError(f"--tensor {name}={value}: file not found")
        path = found
    return load(path, name=name)


def cmd_run(args):
    from labkit.sam.generate import parse_random, random_tensor
    from labkit.sam.run import run_expression

    program = _compile(args)
    tensors = {n: _load_tensor(n, v) for n, v in _pairs(args.tensor, "tensor").items()}
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
