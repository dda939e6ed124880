"""Finding the project's notebooks and describing them (parameters, claims)."""

from __future__ import annotations

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
    """The ``parameters`` cell's names with their default values and types."""
    import papermill as pm

    found = pm.inspect_notebook(str(path))
    return {name: {"default": info["default"], "type": info["inferred_type_name"]}
            for name, info in found.items()}


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
