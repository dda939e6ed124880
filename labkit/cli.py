"""The ``labkit`` command: lab subcommands plus one group per research area.

Contract (DESIGN.md): a computing subcommand with ``--json`` prints exactly one JSON
object on stdout; bad input exits with code 2 and one line on stderr, no traceback.
Each area adds its group from ``labkit/<area>/cli.py``, whose ``register(subparsers)``
declares arguments only (no heavy imports) and sets ``handler=function(args)``. A handler
returns a dict (printed as JSON with ``--json``, else as ``key: value`` lines), a string
(printed as is), or None.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys

from labkit.lab.errors import InputError, RunFailed, one_line

AREA_CLIS = ("labkit.scheduler.cli", "labkit.sam.cli", "labkit.smm.cli", "labkit.siommu.cli")


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line and exit code 2."""

    def error(self, message):
        raise InputError(f"{self.prog}: {message}")


def _add_lab_commands(sub) -> None:
    from labkit.lab import commands

    p = sub.add_parser("list", help="notebooks, their parameters and the claims each checks")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=commands.cmd_list)

    p = sub.add_parser("run", help="execute notebooks with papermill into an output folder")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="notebook paths or names (default: all)")
    p.add_argument("--profile", default="quick", help="quick (default) or paper")
    p.add_argument("--out", default="reports", help="output folder (default: reports/)")
    p.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                   help="a notebook parameter (repeatable); VALUE is parsed as JSON if it can be")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=commands.cmd_run)

    p = sub.add_parser("reproduce", help="run every notebook and print the scorecard")
    p.add_argument("--profile", default="paper", help="paper (default) or quick")
    p.add_argument("--out", default="reports", help="output folder (default: reports/)")
    p.add_argument("--compare", metavar="OLD_DIR", default=None,
                   help="an earlier reproduce output folder: show which claims and figures changed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=commands.cmd_reproduce)

    p = sub.add_parser("sweep", help="run a notebook over a parameter grid on Dask")
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument("-p", "--param", action="append", metavar="KEY=V1,V2,...", required=True,
                   help="a parameter and its values (repeatable; the grid is their product)")
    p.add_argument("--profile", default="quick", help="quick (default) or paper")
    p.add_argument("--out", default="reports", help="output folder (default: reports/)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running distributed scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="local cluster workers (default 2)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=commands.cmd_sweep)

    p = sub.add_parser("dashboard", help="serve an area's what-if notebook (Voila) on localhost")
    p.add_argument("area", nargs="?", default=None,
                   help="scheduler, sam, smm or siommu (default: list every notebook)")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866; 0 picks a free one)")
    p.set_defaults(handler=commands.cmd_dashboard)


def build_parser() -> Parser:
    parser = Parser(prog="labkit", description="Rerun, check and extend published systems research.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    _add_lab_commands(sub)
    for module_name in AREA_CLIS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # an area whose command group is not written yet
            if exc.name not in (module_name, module_name.rsplit(".", 1)[0]):
                raise
            continue
        module.register(sub)
    return parser


def readable(result: dict, indent: str = "") -> list[str]:
    """``key: value`` lines for a person: floats to 4 significant digits, nested
    dictionaries indented under their key (``--json`` keeps every digit)."""
    lines = []
    for key, value in result.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines += readable(value, indent + "  ")
        else:
            text = f"{value:.4g}" if isinstance(value, float) else f"{value}"
            lines.append(f"{indent}{key}: {text}")
    return lines


def json_safe(result: dict) -> dict:
    """``result`` with every NaN or infinite float replaced by None, and a ``nonfinite``
    entry saying which keys those were and what they held: ``json.dumps`` would otherwise
    print ``NaN``/``Infinity``, which is not JSON and breaks every strict reader."""
    found = {}

    def clean(value, key):
        if isinstance(value, float) and not math.isfinite(value):
            found[key] = f"not a finite number ({value}): no value can be given"
            return None
        if isinstance(value, dict):
            return {k: clean(v, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, f"{key}[{i}]") for i, v in enumerate(value)]
        return value

    cleaned = clean(result, "")
    if found:
        cleaned["nonfinite"] = {**cleaned.get("nonfinite", {}), **found} \
            if isinstance(cleaned.get("nonfinite"), dict) else found
    return cleaned


def emit(result, as_json: bool) -> None:
    if result is None:
        return
    if isinstance(result, str):
        print(result)
    elif as_json:
        print(json.dumps(json_safe(result), default=str, allow_nan=False))
    else:
        print("\n".join(readable(result)))


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        result = args.handler(args)
        emit(result, getattr(args, "json", False))
        return getattr(args, "exit_code", 0)
    except InputError as exc:
        print(f"labkit: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"labkit: failed: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("labkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
