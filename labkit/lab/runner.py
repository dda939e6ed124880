"""Execute a notebook with papermill under a profile and parameters.

Each run writes, into ``out_dir``: the executed notebook, an HTML rendering (nbconvert)
and ``<name>.results.json`` (claims, records, timing, and the error if a cell failed).
A failed run still writes all three, so nothing is lost.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.lab import notebooks
from labkit.lab.errors import InputError, RunFailed
from labkit.lab.profiles import check_profile
from labkit.lab.scorecard import collect

KERNEL = "python3"
# papermill re-infers the parameters cell with a regex and warns on strings holding "=";
# labkit already validated the parameters with ast (labkit.lab.notebooks.parameters).
logging.getLogger("papermill.translators").setLevel(logging.ERROR)
# A cell that runs longer than this is stuck: fail the run, never hang.
CELL_TIMEOUT_S = {"quick": 600, "paper": 3600}


@dataclass
class RunResult:
    """What one notebook run produced (paths are strings so the result is JSON-able)."""

    notebook: str
    profile: str
    parameters: dict
    ok: bool
    error: str | None
    duration_s: float
    executed: str
    html: str | None
    results_json: str
    claims: list = field(default_factory=list)
    records: dict = field(default_factory=dict)
    ename: str | None = None

    @property
    def input_error(self) -> bool:
        """True when the notebook failed on bad input (an InputError raised in a cell)."""
        return self.ename in input_error_names()

    def to_dict(self) -> dict:
        return asdict(self)

    def raise_for_status(self) -> "RunResult":
        if not self.ok:
            raise RunFailed(self.error)
        return self


def input_error_names() -> set[str]:
    """Class names of InputError and its loaded subclasses (papermill reports names only)."""
    names, todo = set(), [InputError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def check_parameters(path: Path, params: dict) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not define."""
    known = notebooks.parameters(path)
    if not known:
        raise InputError(f"notebook {path.stem} has no cell tagged 'parameters'")
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise InputError(f"notebook {path.stem} has no parameter {unknown[0]!r} "
                         f"(its parameters: {', '.join(known)})")


def run_tag(params: dict) -> str:
    """A file-name-safe suffix for a parameter point, e.g. ``cores=16_wait=busy``."""
    safe = lambda v: "".join(c if c.isalnum() or c in ".-" else "-" for c in str(v))
    return "_".join(f"{k}={safe(v)}" for k, v in sorted(params.items()))


def _failure_message(path: Path, exc: Exception) -> str:
    import papermill as pm

    if isinstance(exc, pm.PapermillExecutionError):
        return (f"notebook {path.stem} failed in cell {exc.cell_index} "
                f"(execution {exc.exec_count}): {exc.ename}: {exc.evalue}")
    return f"notebook {path.stem} failed: {type(exc).__name__}: {exc}"


def _write_html(executed: Path) -> Path | None:
    from nbconvert import HTMLExporter
    import nbformat

    try:
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(
            nbformat.read(executed, as_version=4))
    except Exception:  # a rendering problem must not lose the run's results
        return None
    html = executed.with_suffix(".html")
    html.write_text(body)
    return html


def run_notebook(notebook: str | Path, *, profile: str = "quick", parameters: dict | None = None,
                 out_dir: str | Path = "reports", tag: str | None = None,
                 html: bool = True, timeout_s: float | None = None) -> RunResult:
    """Execute ``notebook`` with ``profile`` and ``parameters`` into ``out_dir``.

    Bad input (unknown notebook, profile or parameter) raises :class:`InputError` before
    anything runs; a failing cell, or one running longer than ``timeout_s`` (default:
    :data:`CELL_TIMEOUT_S` for the profile), gives ``ok=False`` and an error naming the cell.
    """
    import papermill as pm

    path = notebooks.resolve(notebook)
    check_profile(profile)
    params = dict(parameters or {})
    check_parameters(path, {**params, "profile": profile})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = path.stem + (f"__{tag}" if tag else "")
    executed = out / f"{stem}.ipynb"
    start = time.perf_counter()
    error = ename = None
    try:
        pm.execute_notebook(str(path), str(executed), parameters={"profile": profile, **params},
                            kernel_name=KERNEL, progress_bar=False, cwd=str(path.parent),
                            execution_timeout=timeout_s or CELL_TIMEOUT_S[profile],
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except Exception as exc:  # papermill wraps kernel failures; keep them as results
        error = _failure_message(path, exc)
        ename = getattr(exc, "ename", type(exc).__name__)
    duration = time.perf_counter() - start
    found = {"claims": [], "records": {}}
    if executed.is_file():
        found = collect(json.loads(executed.read_text()))
    html_path = _write_html(executed) if html and executed.is_file() else None
    result = RunResult(notebook=path.stem, profile=profile, parameters=params,
                       ok=error is None, error=error, duration_s=round(duration, 3),
                       executed=str(executed), html=str(html_path) if html_path else None,
                       results_json=str(out / f"{stem}.results.json"), ename=ename, **found)
    Path(result.results_json).write_text(json.dumps(result.to_dict(), indent=2))
    return result
