"""Readers for Matrix Market (``.mtx``) and FROSTT (``.tns``) files into COO arrays.

Matrix Market ``coordinate`` files with ``real``, ``integer`` or ``pattern`` fields
(pattern entries read as 1.0) and ``general``, ``symmetric`` or ``skew-symmetric``
storage (the other triangle is expanded).  ``complex`` files are refused: SAM's
primitives here compute on real values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labkit.lab.errors import InputError


def read_mtx(path) -> tuple[np.ndarray, np.ndarray, tuple]:
    """``(coords (nnz, 2), vals, shape)`` of a Matrix Market coordinate file."""
    path = Path(path)
    try:
        with open(path, "r") as fh:
            header = fh.readline()
            lines = fh.read().splitlines()
    except OSError as exc:
        raise InputError(f"matrix file {path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"matrix file {path}: not a text Matrix Market file") from None
    parts = header.lower().split()
    if len(parts) < 5 or parts[0] != "%%matrixmarket" or parts[1] != "matrix":
        raise InputError(f"matrix file {path}: missing '%%MatrixMarket matrix' header")
    layout, field, symmetry = parts[2], parts[3], parts[4]
    if layout != "coordinate":
        raise InputError(f"matrix file {path}: only 'coordinate' layout is supported, not {layout!r}")
    if field == "complex":
        raise InputError(f"matrix file {path}: complex values are not supported "
                         f"(SAM primitives here compute on real numbers)")
    if field not in ("real", "integer", "pattern", "double"):
        raise InputError(f"matrix file {path}: unknown field type {field!r}")
    if symmetry not in ("general", "symmetric", "skew-symmetric"):
        raise InputError(f"matrix file {path}: unsupported symmetry {symmetry!r}")
    body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("%")]
    if not body:
        raise InputError(f"matrix file {path}: no size line")
    try:
        rows, cols, nnz = (int(x) for x in body[0].split()[:3])
        width = 2 if field == "pattern" else 3
        data = np.array([ln.split()[:width] for ln in body[1:1 + nnz]], dtype=np.float64)
    except ValueError:
        raise InputError(f"matrix file {path}: malformed size line or entries") from None
    data = data.reshape(-1, width)
    if len(data) != nnz:
        raise InputError(f"matrix file {path}: header says {nnz} entries, found {len(data)}")
    coords = data[:, :2].astype(np.int64) - 1
    vals = np.ones(nnz) if field == "pattern" else data[:, 2]
    if nnz and ((coords < 0).any() or (coords[:, 0] >= rows).any() or (coords[:, 1] >= cols).any()):
        raise InputError(f"matrix file {path}: an entry lies outside the {rows}x{cols} shape")
    if symmetry != "general":
        off = coords[:, 0] != coords[:, 1]
        sign = -1.0 if symmetry == "skew-symmetric" else 1.0
        coords = np.concatenate([coords, coords[off][:, ::-1]])
        vals = np.concatenate([vals, sign * vals[off]])
    return coords, vals, (rows, cols)


def read_tns(path, shape=None) -> tuple[np.ndarray, np.ndarray, tuple]:
    """``(coords, vals, shape)`` of a FROSTT ``.tns`` file (1-based coordinates, value last)."""
    path = Path(path)
    try:
        data = np.loadtxt(path, comments="#", ndmin=2)
    except (OSError, ValueError) as exc:
        raise InputError(f"tensor file {path}: cannot read ({exc})") from None
    if data.shape[1] < 2:
        raise InputError(f"tensor file {path}: each line needs coordinates and a value")
    coords = data[:, :-1].astype(np.int64) - 1
    if (coords < 0).any():
        raise InputError(f"tensor file {path}: coordinates are 1-based")
    shape = tuple(shape) if shape is not None else tuple(int(x) for x in coords.max(axis=0) + 1)
    return coords, data[:, -1], shape


def as_vector(coords, shape, path, name: str = "T"):
    """An ``n x 1`` or ``1 x n`` matrix read as the length-``n`` vector it stores."""
    if len(shape) == 1:
        return coords, shape
    if len(shape) != 2 or min(shape) != 1:
        raise InputError(f"tensor {name}: {path} holds a {'x'.join(map(str, shape))} tensor, "
                         f"not a vector (n x 1 or 1 x n)")
    axis = 0 if shape[1] == 1 else 1
    return coords[:, axis:axis + 1], (shape[axis],)


def check_shape(coords, shape, given, path, name: str = "T") -> tuple:
    """The true ``given`` dimensions of a tensor read from ``path``: as many as its modes,
    none smaller than its largest coordinate (a vector's length can exceed the file's)."""
    given = tuple(int(d) for d in given)
    if len(given) != len(shape):
        raise InputError(f"--shape {name}: {len(given)} dimension(s) given but {path} holds "
                         f"{len(shape)} mode(s)")
    for mode, d in enumerate(given):
        top = int(coords[:, mode].max()) + 1 if len(coords) else 0
        if d < max(top, 1):
            raise InputError(f"--shape {name}: dimension {d} of mode {mode} is smaller than its "
                             f"largest coordinate {top} (1-based) in {path}")
    return given


def load(path, formats: str | None = None, mode_order=None, name: str = "T", shape=None,
         vector: bool = False):
    """A :class:`~labkit.sam.formats.Tensor` from a ``.mtx`` or ``.tns`` file.

    ``vector``: the expression indexes it with one index, so an ``n x 1`` (or ``1 x n``)
    ``.mtx`` is a length-``n`` vector; ``shape``: its true dimensions (a ``.tns`` file only
    knows its largest coordinate, a vector's last entries may be zeros).
    """
    from labkit.sam.formats import from_coo

    suffix = Path(path).suffix.lower()
    if suffix == ".mtx":
        coords, vals, dims = read_mtx(path)
    elif suffix == ".tns":
        coords, vals, dims = read_tns(path)
    else:
        raise InputError(f"tensor file {path}: expected a .mtx or .tns file")
    if vector:
        coords, dims = as_vector(coords, dims, path, name)
    if shape is not None:
        dims = check_shape(coords, dims, shape, path, name)
    return from_coo(coords, vals, dims, formats, mode_order, name)


def suitesparse(names, max_nnz: int | None = None, name: str = "B") -> tuple[dict, list]:
    """The SuiteSparse matrices ``names`` that the data locator finds, loaded as tensors
    called ``name``: ``({matrix: Tensor}, [names not found])``. Matrices with more than
    ``max_nnz`` nonzeros are left out (a time budget, not an error)."""
    from labkit.lab.data import find_data

    if max_nnz is not None and (isinstance(max_nnz, bool) or not isinstance(max_nnz, int)
                                or max_nnz < 1):
        raise InputError(f"max_nnz must be a positive integer, got {max_nnz!r}")
    matrices, missing = {}, []
    for matrix in names:
        path = find_data(f"suitesparse/{matrix}.mtx")
        if path is None:
            missing.append(matrix)
            continue
        tensor = load(path, name=name)
        if max_nnz is None or tensor.nnz <= max_nnz:
            matrices[matrix] = tensor
    return matrices, missing
