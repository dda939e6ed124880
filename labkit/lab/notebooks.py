"""Finding the project's notebooks and describing them (parameters, claims)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from labkit.lab.data import project_root
from labkit.lab.errors import InputError


def notebook_dir() -> Path:
    return project_root() / "notebooks"


def list_notebooks() -> list[Path]:
    """Every notebook under ``notebooks/``, in file-name order (the reading order)."""
    folder = notebook_dir()
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def resolve(name: str | Path) -> Path:
    """A notebook path from a path, a file name or a stem (``00_tour``)."""
    path = Path(name)
    candidates = [path, notebook_dir() / path.name]
    if path.suffix != ".ipynb":
        candidates += [path.with_suffix(".ipynb"), notebook_dir() / f"{path.name}.ipynb"]
    for candidate in candidates:
        if candidate.is_file():
            if candidate.suffix != ".ipynb":
                raise InputError(f"{candidate} is not a notebook (.ipynb)")
            return candidate.resolve()
    known = ", ".join(p.stem for p in list_notebooks()) or "none"
    raise InputError(f"unknown notebook {str(name)!r}; known notebooks: {known}")


def read(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read notebook {path}: {exc}") from None


def parameters(path: Path) -> dict:
    """The ``parameters`` cell's names with their default values (source text) and types.

    Parsed with :mod:`ast`, so any Python literal works as a default (papermill's own
    inspector gives up on strings holding ``=``, such as ``"X(i,j)=B(i,k)*C(k,j)"``).
    """
    nb = read(path)
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"
             and "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return {}
    source = "".join(cells[0].get("source", ""))
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InputError(f"notebook {Path(path).stem}: its parameters cell is not valid "
                         f"Python: {exc.msg} (line {exc.lineno})") from None
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, annotation = node.targets[0], None
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, annotation = node.target, node.annotation
        else:
            continue
        if isinstance(target, ast.Name):
            default = ast.get_source_segment(source, node.value)
            try:
                kind = type(ast.literal_eval(node.value)).__name__
            except ValueError:
                kind = ast.unparse(annotation) if annotation is not None else "None"
            found[target.id] = {"default": default, "type": kind}
    return found


def title(nb: dict) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def describe(path: Path) -> dict:
    """Name, area, title, parameters and declared claims of one notebook."""
    from labkit.lab.claims import claims_for

    nb = read(path)
    claims = claims_for(path.stem)
    area = nb.get("metadata", {}).get("labkit", {}).get("area") or (
        claims[0].area if claims else "lab")
    return {"notebook": path.stem, "area": area, "title": title(nb),
            "parameters": parameters(path),
            "claims": [{"id": c.id, "claim": c.text} for c in claims]}


def catalog():
    """One row per notebook: ``notebook, area, title, claims`` (a DataFrame)."""
    import pandas as pd
    from labkit.lab.claims import claims_for

    rows = []
    for path in list_notebooks():
        nb = read(path)
        claims = claims_for(path.stem)
        area = nb.get("metadata", {}).get("labkit", {}).get("area") or (
            claims[0].area if claims else "lab")
        rows.append({"notebook": path.stem, "area": area, "title": title(nb),
                     "claims": len(claims)})
    return pd.DataFrame(rows, columns=["notebook", "area", "title", "claims"])
