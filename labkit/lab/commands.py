"""Handlers of the lab subcommands (``list``, ``run``, ``reproduce``, ``sweep``)."""

from __future__ import annotations

import json
from pathlib import Path

from labkit.lab.errors import InputError
from labkit.lab.params import parse_assignments, parse_grid
from labkit.lab.profiles import check_profile


def cmd_list(args):
    from labkit.lab import notebooks

    described = [notebooks.describe(p) for p in notebooks.list_notebooks()]
    if args.json:
        return {"notebooks": described}
    lines = []
    for nb in described:
        params = ", ".join(f"{k}={v['default']}" for k, v in nb["parameters"].items())
        lines.append(f"{nb['notebook']}  [{nb['area']}]  {nb['title']}")
        lines.append(f"    parameters: {params or '-'}")
        for claim in nb["claims"]:
            lines.append(f"    claim {claim['id']}: {claim['claim']}")
    return "\n".join(lines)


def cmd_run(args):
    from labkit.lab import notebooks
    from labkit.lab.runner import check_parameters, run_notebook

    check_profile(args.profile)
    params = parse_assignments(args.param)
    paths = [notebooks.resolve(n) for n in args.notebooks] or notebooks.list_notebooks()
    for path in paths:  # refuse bad input before running anything
        check_parameters(path, {**params, "profile": args.profile})
    runs = [run_notebook(p, profile=args.profile, parameters=params, out_dir=args.out)
            for p in paths]
    failed = [r for r in runs if not r.ok]
    if failed and all(r.input_error for r in failed) and not args.json:
        raise InputError("; ".join(r.error for r in failed))
    args.exit_code = (2 if all(r.input_error for r in failed) else 1) if failed else 0
    if args.json:
        return {"ok": not failed, "runs": [r.to_dict() for r in runs]}
    lines = [f"{'ok    ' if r.ok else 'FAILED'} {r.notebook} ({r.duration_s:.1f} s) -> {r.executed}"
             + (f"\n       {r.error}" if r.error else "") for r in runs]
    return "\n".join(lines)


def cmd_reproduce(args):
    from labkit.lab.report import format_table, reproduce

    check_profile(args.profile)
    summary = reproduce(profile=args.profile, out_dir=args.out, progress=not args.json,
                        compare_with=args.compare)
    args.exit_code = 0 if summary["ok"] else 1
    if args.json:
        return summary
    return format_table(summary) + f"\nreport: {summary['index']}"


def cmd_sweep(args):
    from labkit.lab.sweep import run_sweep

    check_profile(args.profile)
    grid = parse_grid(args.param)
    frame = run_sweep(args.notebook, grid, profile=args.profile, out_dir=args.out,
                      scheduler=args.scheduler, workers=args.workers, progress=not args.json)
    args.exit_code = 0 if bool(frame["ok"].all()) else 1
    if args.json:
        return {"runs": json.loads(frame.to_json(orient="records")), "ok": bool(frame["ok"].all())}
    return frame.to_string(index=False)


def cmd_dashboard(args):
    from labkit.lab.dashboard import serve

    serve(args.area, args.port)
