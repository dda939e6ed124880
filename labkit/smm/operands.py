"""Operands of small GEMMs: checking user arrays, building batches, the numpy reference.

Storage convention (BLAS): a matrix of ``rows x cols`` with leading dimension ``ld`` is
``ld * cols`` consecutive elements, column after column. A batch is a C-contiguous array of
shape ``(batch, cols, ld)``: each item is one column-major matrix, and its transposed view
``stack[:, :, :rows]`` is what ``numpy.matmul`` consumes (``C^T = B^T A^T``).
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.smm.spec import GemmSpec


def flat(name: str, array, need: int, dtype: str, *, writable: bool = False) -> np.ndarray:
    """A 1-D view of ``array``'s memory, checked: numpy, dtype, contiguity, size."""
    if not isinstance(array, np.ndarray):
        raise InputError(f"{name} must be a numpy array, got {type(array).__name__}")
    if array.dtype.name != dtype:
        raise InputError(f"{name} has dtype {array.dtype.name}, the kernel needs {dtype}")
    if not (array.flags.c_contiguous or array.flags.f_contiguous):
        raise InputError(f"{name} is not contiguous (the kernel reads raw column-major memory)")
    if writable and not array.flags.writeable:
        raise InputError(f"{name} is read-only but the kernel writes it")
    if array.size < need:
        raise InputError(f"{name} holds {array.size} elements, the kernel needs {need} "
                         f"(leading dimension x columns)")
    return array.reshape(-1, order="A")


def check_stack(name: str, stack, spec: GemmSpec, which: str, batch: int | None,
                writable: bool = False) -> np.ndarray:
    """Check a batch of operands of shape ``(batch, cols, ld)``; return it flattened."""
    ld, cols = {"a": (spec.lda, spec.a_shape[1]), "b": (spec.ldb, spec.b_shape[1]),
                "c": (spec.ldc, spec.n)}[which]
    if not isinstance(stack, np.ndarray):
        raise InputError(f"{name} must be a numpy array, got {type(stack).__name__}")
    if stack.ndim != 3 or stack.shape[1:] != (cols, ld) or (batch is not None and stack.shape[0] != batch):
        want = f"({batch if batch is not None else 'batch'}, {cols}, {ld})"
        raise InputError(f"{name} has shape {stack.shape}, expected {want} (batch, columns, leading dimension)")
    if not stack.flags.c_contiguous:
        raise InputError(f"{name} is not C-contiguous (a batch is stored item after item)")
    if stack.dtype.name != spec.dtype:
        raise InputError(f"{name} has dtype {stack.dtype.name}, the kernel needs {spec.dtype}")
    if writable and not stack.flags.writeable:
        raise InputError(f"{name} is read-only but the kernel writes it")
    return stack.reshape(-1)


def aligned_zeros(shape, dtype, alignment: int = 64) -> np.ndarray:
    """Zeros whose first element starts on an ``alignment``-byte boundary (a cache line),
    as the LIBXSMM samples align their batches; numpy only promises 16 bytes."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    raw = np.zeros(count * dtype.itemsize + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + count * dtype.itemsize].view(dtype).reshape(shape)


def random_stack(spec: GemmSpec, which: str, count: int, rng) -> np.ndarray:
    """``count`` random operands (zeros for C) in batch layout, cache-line aligned;
    padding rows are NaN-free."""
    ld, cols = {"a": (spec.lda, spec.a_shape[1]), "b": (spec.ldb, spec.b_shape[1]),
                "c": (spec.ldc, spec.n)}[which]
    stack = aligned_zeros((count, cols, ld), spec.dtype)
    if which != "c":
        stack[...] = rng.standard_normal((count, cols, ld))
    return stack


def op_view(spec: GemmSpec, stack: np.ndarray, which: str) -> np.ndarray:
    """The row-major ``(batch, cols, rows)`` view numpy multiplies: ``op(X)^T`` per item."""
    rows = {"a": spec.a_shape[0], "b": spec.b_shape[0], "c": spec.m}[which]
    view = stack[:, :, :rows]
    trans = {"a": spec.transa, "b": spec.transb, "c": "N"}[which]
    return view if trans == "N" else view.transpose(0, 2, 1)


def reference(spec: GemmSpec, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``alpha*op(A)op(B) + beta*C`` per item by numpy in float64 (batch layout, rows only)."""
    at = op_view(spec, a, "a").astype(np.float64)
    bt = op_view(spec, b, "b").astype(np.float64)
    ct = c[:, :, :spec.m].astype(np.float64)
    return spec.alpha * np.matmul(bt, at) + spec.beta * ct
