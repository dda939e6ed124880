"""Authoring helpers for the project's notebooks (a developer tool, not used at run time).

Committed notebooks carry no outputs except in cells marked ``# NBVAL_CHECK_OUTPUT``,
whose outputs ``pytest --nbval-lax`` compares against a fresh run. After editing a
notebook, refresh those stored outputs with::

    python -m labkit.lab.nbtools store notebooks/10_example.ipynb

``build`` writes a notebook from a list of ``("md"|"code", source)`` pairs; a code cell
whose source starts with ``# parameters`` gets papermill's ``parameters`` tag.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def build(path: str | Path, cells: list[tuple[str, str]], *, area: str | None = None) -> Path:
    import nbformat
    from nbformat import v4

    nb = v4.new_notebook()
    for kind, source in cells:
        source = source.strip("\n")
        if kind == "md":
            nb.cells.append(v4.new_markdown_cell(source))
        else:
            cell = v4.new_code_cell(source)
            if source.startswith("# parameters"):
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if area:
        nb.metadata["labkit"] = {"area": area}
    path = Path(path)
    nbformat.write(nb, path)
    return path


def strip_outputs(nb, keep_checked: bool = True) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if not (keep_checked and CHECK_MARK in cell.source):
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)


def store(path: str | Path) -> Path:
    """Execute ``path`` (default parameters) and keep only the checked cells' outputs."""
    import nbformat
    import papermill as pm

    path = Path(path).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / path.name
        pm.execute_notebook(str(path), str(executed), kernel_name="python3",
                            progress_bar=False, cwd=str(path.parent))
        ran = nbformat.read(executed, as_version=4)
    source = nbformat.read(path, as_version=4)
    ran_code = [c for c in ran.cells if c.cell_type == "code"
                and "injected-parameters" not in c.metadata.get("tags", [])]
    for cell, done in zip([c for c in source.cells if c.cell_type == "code"], ran_code):
        cell.outputs = done.outputs if CHECK_MARK in cell.source else []
        cell.execution_count = done.execution_count if CHECK_MARK in cell.source else None
    strip_outputs(source)
    nbformat.write(source, path)
    return path


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "store":
        print("usage: python -m labkit.lab.nbtools store NOTEBOOK...", file=sys.stderr)
        sys.exit(2)
    for name in sys.argv[2:]:
        print("stored", store(name))
