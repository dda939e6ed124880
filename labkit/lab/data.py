"""The dataset locator: external data is found, never copied into the project.

Search order: ``$LABKIT_DATA``, then the project's ``data/``, then ``../shared/data``
beside the project. Names are relative paths such as ``"cms/test_config.json"`` or
``"suitesparse/bcsstm02.mtx"``.
"""

from __future__ import annotations

import os
from pathlib import Path

import labkit
from labkit.lab.errors import InputError

ENV_VAR = "LABKIT_DATA"


class DataNotFound(InputError, FileNotFoundError):
    """A data set is in none of the searched places; the message lists them."""


def project_root() -> Path:
    """The project checkout: the nearest parent of the cwd holding ``labkit/`` and
    ``pyproject.toml``, else the parent of the installed package."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "labkit" / "__init__.py").is_file():
            return folder
    return Path(labkit.__file__).resolve().parents[1]


def search_paths() -> list[Path]:
    """The folders searched, in order (some may not exist)."""
    paths = []
    if os.environ.get(ENV_VAR):
        paths.append(Path(os.environ[ENV_VAR]).expanduser())
    root = project_root()
    paths += [root / "data", root.parent / "shared" / "data"]
    return paths


def find_data(name: str) -> Path | None:
    """The first existing ``folder/name`` over :func:`search_paths`, or None."""
    for folder in search_paths():
        candidate = folder / name
        if candidate.exists():
            return candidate
    return None


def locate(name: str) -> Path:
    """Like :func:`find_data` but raise :class:`DataNotFound` naming every place tried."""
    found = find_data(name)
    if found is None:
        tried = ", ".join(str(p / name) for p in search_paths())
        raise DataNotFound(f"data set {name!r} not found; looked in: {tried} "
                           f"(set ${ENV_VAR} to a folder that holds it)")
    return found


def inventory():
    """One row per external data set folder found: ``dataset, path, files``."""
    import pandas as pd

    rows, seen = [], set()
    for folder in search_paths():
        if not folder.is_dir():
            continue
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            if sub.name in seen:
                continue
            seen.add(sub.name)
            files = sorted(f.name for f in sub.iterdir() if f.is_file())
            rows.append({"dataset": sub.name, "path": str(sub), "files": len(files),
                         "examples": ", ".join(files[:3])})
    return pd.DataFrame(rows, columns=["dataset", "path", "files", "examples"])
