"""Gold results for an index-notation statement, computed independently of SAM with
pydata ``sparse`` (einsum for products, aligned addition, sums over reduced axes)."""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.sam.notation import Access, Const, Sum, parse


def _as_sparse(obj):
    import scipy.sparse as sp
    import sparse

    if hasattr(obj, "to_sparse"):
        return obj.to_sparse()
    if sp.issparse(obj):
        return sparse.COO.from_scipy_sparse(obj)
    if isinstance(obj, sparse.SparseArray):
        return obj
    return sparse.COO.from_numpy(np.asarray(obj, dtype=float))


def gold(expr: str, tensors: dict):
    """The expected output as a pydata ``sparse`` array (a float for a scalar output)."""
    import sparse

    st = parse(expr)
    letters = {}

    def lab(indices):
        return "".join(letters.setdefault(i, chr(ord("a") + len(letters))) for i in indices)

    def ev(node):
        if isinstance(node, Const):
            return node.value, ()
        if isinstance(node, Access):
            arr = _as_sparse(tensors[node.name])
            if not node.indices:
                return float(np.asarray(arr.todense()).ravel()[0]), ()
            return arr, node.indices
        if isinstance(node, Sum):
            arr, idx = ev(node.child)
            axes = tuple(idx.index(i) for i in node.indices)
            return arr.sum(axis=axes), tuple(i for i in idx if i not in node.indices)
        a, ia = ev(node.left)
        b, ib = ev(node.right)
        if node.op == "*":
            if not ia or not ib:
                return a * b, ia or ib
            out = tuple(dict.fromkeys(ia + ib))
            return sparse.einsum(f"{lab(ia)},{lab(ib)}->{lab(out)}", a, b), out
        if set(ia) != set(ib):
            raise InputError(f"gold for {expr!r}: cannot add operands over {ia} and {ib}")
        b = b.transpose([ib.index(i) for i in ia]) if ib != ia else b
        return (a + b if node.op == "+" else a - b), ia

    arr, idx = ev(st.rhs)
    if not st.out_indices:
        return float(arr.todense()) if hasattr(arr, "todense") else float(arr)
    return arr.transpose([idx.index(i) for i in st.out_indices])


def matches(result, expected, rtol: float = 1e-9, atol: float = 1e-9) -> bool:
    """Whether a simulated output equals the gold (both sparse or scalar)."""
    if isinstance(expected, float) or not hasattr(expected, "shape"):
        value = result if isinstance(result, float) else float(result)
        return bool(np.isclose(value, float(expected), rtol=rtol, atol=atol))
    got = result.to_sparse()
    if got.shape != expected.shape:
        return False
    diff = abs(got - expected)
    scale = max(1.0, float(abs(expected).max()) if expected.nnz else 1.0)
    return bool((diff.max() if diff.nnz else 0.0) <= atol + rtol * scale)
