"""Wrapped GEMM: unmodified numpy code's small matrix products routed to labkit's kernels,
the Python analogue of LIBXSMM's ``--wrap=dgemm_`` / ``LD_PRELOAD`` (the ``wrap`` sample).

What is intercepted, for 2-D float64 operands of a registered shape (else numpy runs as
always, through the hook's fallback to the original):

- ``a @ b``: numpy's ``nb_matrix_multiply`` slot of ``numpy.ndarray`` is swapped for a
  compiled hook (the one way to reach ``@`` on plain arrays; subclasses defined before
  the switch keep their own copy of numpy's slot);
- ``numpy.matmul(a, b)``, ``numpy.dot(a, b)``: the module attributes are swapped for
  builtin functions whose body is a compiled hook (so code that looked them up before
  the switch, ``from numpy import dot``, keeps numpy's; inside the block ``numpy.matmul``
  is a plain function, without the ufunc's attributes such as ``.types``);
- ``scipy.linalg.blas.dgemm(alpha, a, b)`` with ``alpha == 1.0``, as above.

Why compiled hooks and not Python wrappers (measured, see :func:`overhead_breakdown`): for
a 5x5x5 product numpy spends about a microsecond in call and ufunc machinery and only a
few hundred nanoseconds in BLAS, and a Python wrapper calling a numba function costs more
than numpy's whole call (numba's dispatcher alone type-checks each array argument). The
hook is a numba ``cfunc`` that reads the operands' headers (type, ndim, dtype, flags,
shape), allocates the result with ``PyArray_New`` and calls the registry kernel for the
shape (statically bound), all without the interpreter. A ufunc loop replacement keeps
numpy's gufunc overhead and reached about 1.2x.

Results are bit-for-bit numpy's: each element is accumulated over k in order with fused
multiply-adds, as OpenBLAS's kernels do (tested). The layout of the CPython and numpy
objects read here is checked against the running interpreter before anything is
switched (:func:`check_layout`); where it does not match, wrapping is refused.

Switch it on with ``with wrapped(shapes=[(5, 5, 5)]): ...`` or, for a whole unmodified
script, ``LABKIT_WRAP=5x5x5,8x8x8 python -m labkit.smm.wrap script.py [args]``.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from contextlib import contextmanager

import numpy as np

from labkit.lab.errors import InputError
from labkit.smm.spec import positive_int

ENV = "LABKIT_WRAP"
TARGETS = ("@", "matmul", "dot", "dgemm")
MAX_DIM = 64                          # "small": what the registry's kernels are made for

# CPython 3.8+ (default build) and numpy 2 object layouts, checked by check_layout()
OB_TYPE, TP_NAME, TP_BASICSIZE, TP_AS_NUMBER = 8, 24, 32, 96
NB_MATRIX_MULTIPLY = 34 * 8
AR_DATA, AR_ND, AR_DIMS, AR_DESCR, AR_FLAGS = 16, 24, 32, 56, 64
FLOAT_VALUE = 16
C_CONTIGUOUS, F_CONTIGUOUS, ALIGNED = 0x1, 0x2, 0x100
NPY_DOUBLE = 12
METH_FASTCALL_KEYWORDS = 0x80 | 0x2


def _capsule_pointer(capsule) -> int:
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get(capsule, None)


def _read(address: int) -> int:
    return ctypes.c_int64.from_address(address).value


def check_layout() -> None:
    """RuntimeError unless this interpreter's object layouts are the ones the hooks read:
    the ndarray type object (name, basic size), an array's header (data, ndim, shape,
    dtype, flags) and a float's value, compared with what Python itself reports."""
    if sys.implementation.name != "cpython" or getattr(sys, "_is_gil_enabled", lambda: True)() is False:
        raise RuntimeError("wrapping needs CPython with the GIL")
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        raise RuntimeError("wrapping needs a 64-bit interpreter")
    t = id(np.ndarray)
    name = ctypes.c_char_p(_read(t + TP_NAME)).value
    if name != b"numpy.ndarray" or _read(t + TP_BASICSIZE) != np.ndarray.__basicsize__:
        raise RuntimeError("numpy.ndarray's type object does not have the expected layout")
    a = np.zeros((3, 4))[:, :3]
    ok = (_read(id(a) + OB_TYPE) == t and _read(id(a) + AR_DATA) == a.ctypes.data
          and ctypes.c_int32.from_address(id(a) + AR_ND).value == 2
          and tuple((ctypes.c_int64 * 2).from_address(_read(id(a) + AR_DIMS))) == (3, 3)
          and _read(id(a) + AR_DESCR) == id(a.dtype) == id(np.dtype(np.float64))
          and ctypes.c_int32.from_address(id(a) + AR_FLAGS).value & (C_CONTIGUOUS | ALIGNED) == ALIGNED)
    value = 1.25
    ok = ok and ctypes.c_double.from_address(id(value) + FLOAT_VALUE).value == 1.25
    if not ok:
        raise RuntimeError("numpy arrays or Python floats do not have the expected layout")


def parse_shapes(shapes) -> tuple[tuple[int, int, int], ...]:
    """``[(5, 5, 5)]`` or ``"5x5x5,8x8x8"`` -> validated ``(m, n, k)`` triples (C is m x n)."""
    if isinstance(shapes, str):
        items = [s for s in shapes.replace(";", ",").split(",") if s.strip()]
        try:
            shapes = [tuple(int(v) for v in s.strip().lower().split("x")) for s in items]
        except ValueError:
            raise InputError(f"wrap shapes must look like 5x5x5,8x8x8, got {shapes!r}") from None
    out = []
    for shape in shapes:
        if len(shape) != 3:
            raise InputError(f"a wrap shape is (m, n, k), got {shape!r}")
        m, n, k = (positive_int(name, v) for name, v in zip("mnk", shape))
        if max(m, n, k) > MAX_DIM:
            raise InputError(f"wrap shape {m}x{n}x{k}: sizes above {MAX_DIM} are not small "
                             f"(numpy's BLAS is the right tool there)")
        out.append((m, n, k))
    if not out:
        raise InputError("wrap needs at least one shape")
    return tuple(dict.fromkeys(out))


class Hooks:
    """The compiled hooks for one set of shapes, and what they replace."""

    def __init__(self, shapes):
        from scipy.linalg import blas

        check_layout()
        self.shapes = parse_shapes(shapes)
        self.hits = np.zeros(len(TARGETS) + 1, dtype=np.int64)   # fast path per target, fallbacks
        self._dims = np.zeros(2, dtype=np.int64)
        self.originals = {"matmul": np.matmul, "dot": np.dot, "dgemm": blas.dgemm}
        self.slot_address = _read(id(np.ndarray) + TP_AS_NUMBER) + NB_MATRIX_MULTIPLY
        self.original_slot = _read(self.slot_address)
        self._compile()

    def _kernels(self):
        from labkit.smm.registry import dispatch

        found = {}
        for m, n, k in self.shapes:
            # numpy's row-major C = A B is column-major C^T = B^T A^T: an n x m x k kernel
            found[("rm", m, n, k)] = dispatch(n, m, k, beta=0.0).gemm
            # dgemm: Fortran C from C-ordered (A^T, B^T stored) or Fortran operands
            found[("ft", m, n, k)] = dispatch(m, n, k, beta=0.0, transa="T", transb="T").gemm
            found[("fn", m, n, k)] = dispatch(m, n, k, beta=0.0).gemm
        return found

    def _compile(self):
        kernels = self._kernels()
        names = {key: f"K{i}" for i, key in enumerate(kernels)}
        api = _capsule_pointer(np._core._multiarray_umath._ARRAY_API)
        consts = {
            "NDARRAY": id(np.ndarray), "F64": id(np.dtype(np.float64)), "FLOAT": id(float),
            "NEW": _read(api + 93 * 8),
            "VCALL": ctypes.cast(ctypes.pythonapi.PyObject_Vectorcall, ctypes.c_void_p).value,
            "ORIG_SLOT": self.original_slot, "DIMS": self._dims.ctypes.data,
            "HITS": self.hits.ctypes.data,
            **{f"ORIG_{k.upper()}": id(v) for k, v in self.originals.items()},
        }
        source = _hook_source(self.shapes, names, consts)
        namespace = {names[key]: fn for key, fn in kernels.items()}
        exec(compile(source, f"<labkit.smm.wrap hooks {self.shapes}>", "exec"), namespace)
        self.cfuncs = {t: namespace[f"hook_{t}"] for t in ("slot", "matmul", "dot", "dgemm")}
        self._defs, self.builtins = [], {}
        for target in ("matmul", "dot", "dgemm"):
            self.builtins[target] = self._builtin(target, self.cfuncs[target].address)

    def _builtin(self, name: str, address: int):
        """A builtin function object (METH_FASTCALL | METH_KEYWORDS) whose C body is ``address``."""
        class MethodDef(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char_p), ("meth", ctypes.c_void_p),
                        ("flags", ctypes.c_int), ("doc", ctypes.c_char_p)]
        doc = f"{name} routed to labkit kernels for {self.shapes} (labkit.smm.wrap)".encode()
        mdef = MethodDef(name.encode(), address, METH_FASTCALL_KEYWORDS, doc)
        self._defs.append(mdef)                       # must outlive the function object
        new = ctypes.pythonapi.PyCFunction_NewEx
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]
        return new(ctypes.addressof(mdef), None, None)

    def counts(self) -> dict:
        """Products the hooks computed, per target, and calls they handed back to numpy."""
        return {**{t: int(self.hits[i]) for i, t in enumerate(TARGETS)}, "fallback": int(self.hits[-1])}


def _hook_source(shapes, names, consts) -> str:
    """The numba source of the four hooks, every address and shape written in as a constant."""
    lines = ["import numba", "from numba import types, carray",
             "from labkit.smm.rawmem import (load_i64, load_i32, load_f64, store_i64, f64_pointer,",
             "                               call2, call4, call_new_array)"]
    lines += [f"{key} = {value}" for key, value in consts.items()]
    lines += [f"OK_C = {C_CONTIGUOUS | ALIGNED}", f"OK_F = {F_CONTIGUOUS | ALIGNED}", """
@numba.njit(inline="always")
def arr(obj, ok):
    return (load_i64(obj + 8) == NDARRAY and load_i32(obj + 24) == 2
            and load_i64(obj + 56) == F64 and (load_i32(obj + 64) & ok) == ok)

@numba.njit(inline="always")
def data(obj, size):
    return carray(f64_pointer(load_i64(obj + 16)), size)

@numba.njit(inline="always")
def count(i):
    store_i64(HITS + 8 * i, load_i64(HITS + 8 * i) + 1)

@numba.njit(inline="always")
def new(m, n, fortran):
    store_i64(DIMS, m)
    store_i64(DIMS + 8, n)
    return call_new_array(NEW, NDARRAY, 2, DIMS, 12, fortran)
"""]
    def chain(kind, fortran, a, b, indent):
        body = []
        for m, n, k in shapes:
            kname = names[(kind, m, n, k)]
            first, second = (b, a) if kind == "rm" else (a, b)
            fsize, ssize = ("k * n", "m * k") if kind == "rm" else ("m * k", "k * n")
            body += [f"{indent}if m == {m} and n == {n} and k == {k}:",
                     f"{indent}    out = new(m, n, {fortran})",
                     f"{indent}    if out == 0:", f"{indent}        return -1",
                     f"{indent}    {kname}(data({first}, {fsize}), data({second}, {ssize}), data(out, m * n))",
                     f"{indent}    return out"]
        return body
    lines += ["@numba.njit", "def rowmajor(x, y):",
              "    if not (arr(x, OK_C) and arr(y, OK_C)):", "        return 0",
              "    dx = load_i64(x + 32)", "    dy = load_i64(y + 32)",
              "    m = load_i64(dx)", "    k = load_i64(dx + 8)", "    n = load_i64(dy + 8)",
              "    if load_i64(dy) != k:", "        return 0"]
    lines += chain("rm", 0, "x", "y", "    ") + ["    return 0", ""]
    lines += ["@numba.njit", "def fortran(x, y):",
              "    c_order = arr(x, OK_C) and arr(y, OK_C)",
              "    if not (c_order or (arr(x, OK_F) and arr(y, OK_F))):", "        return 0",
              "    dx = load_i64(x + 32)", "    dy = load_i64(y + 32)",
              "    m = load_i64(dx)", "    k = load_i64(dx + 8)", "    n = load_i64(dy + 8)",
              "    if load_i64(dy) != k:", "        return 0",
              "    if c_order:"]
    lines += chain("ft", 1, "x", "y", "        ") + ["        return 0"]
    lines += chain("fn", 1, "x", "y", "    ") + ["    return 0", ""]
    lines += ["""
@numba.cfunc(types.int64(types.int64, types.int64))
def hook_slot(x, y):
    out = rowmajor(x, y)
    if out > 0:
        count(0)
        return out
    if out < 0:
        return 0
    count(4)
    return call2(ORIG_SLOT, x, y)

def _fastcall(index, original, product):
    def hook(self, args, nargs, kwnames):
        if nargs == 2 and kwnames == 0:
            out = product(load_i64(args), load_i64(args + 8))
            if out > 0:
                count(index)
                return out
            if out < 0:
                return 0
        count(4)
        return call4(VCALL, original, args, nargs, kwnames)
    return numba.cfunc(types.int64(types.int64, types.int64, types.int64, types.int64))(hook)

hook_matmul = _fastcall(1, ORIG_MATMUL, rowmajor)
hook_dot = _fastcall(2, ORIG_DOT, rowmajor)

@numba.cfunc(types.int64(types.int64, types.int64, types.int64, types.int64))
def hook_dgemm(self, args, nargs, kwnames):
    if nargs == 3 and kwnames == 0:
        alpha = load_i64(args)
        if load_i64(alpha + 8) == FLOAT and load_f64(alpha + 16) == 1.0:
            out = fortran(load_i64(args + 8), load_i64(args + 16))
            if out > 0:
                count(3)
                return out
            if out < 0:
                return 0
    count(4)
    return call4(VCALL, ORIG_DGEMM, args, nargs, kwnames)
"""]
    return "\n".join(lines)


_LOCK = threading.Lock()
_HOOKS: dict = {}
_ACTIVE: list = []


def hooks_for(shapes) -> Hooks:
    """The compiled hooks for ``shapes`` (compiled once per process and shape set)."""
    key = parse_shapes(shapes)
    with _LOCK:
        if key not in _HOOKS:
            _HOOKS[key] = Hooks(key)
        return _HOOKS[key]


def _switch(hooks: Hooks, targets, on: bool) -> None:
    """Point ``targets`` at ``hooks``' functions (``on``) or back at numpy's and scipy's."""
    from scipy.linalg import blas

    if "@" in targets:
        slot = hooks.cfuncs["slot"].address if on else hooks.original_slot
        ctypes.c_int64.from_address(hooks.slot_address).value = slot
    for name, module in (("matmul", np), ("dot", np), ("dgemm", blas)):
        if name in targets:
            setattr(module, name, hooks.builtins[name] if on else hooks.originals[name])


@contextmanager
def wrapped(shapes=((5, 5, 5),), targets=TARGETS):
    """Inside the block, small float64 products of ``shapes`` (m, n, k) written with any of
    ``targets`` run on labkit's kernels; yields the :class:`Hooks` (``.counts()``)."""
    targets = tuple(targets)
    unknown = set(targets) - set(TARGETS)
    if unknown:
        raise InputError(f"wrap targets must be among {TARGETS}, got {sorted(unknown)}")
    hooks = hooks_for(shapes)
    with _LOCK:
        if _ACTIVE:
            raise InputError("wrapping is already switched on (nesting is not supported)")
        _switch(hooks, targets, on=True)
        _ACTIVE.append(hooks)
    try:
        yield hooks
    finally:
        with _LOCK:
            _switch(hooks, targets, on=False)
            _ACTIVE.pop()


def from_environment(environ=None):
    """The shapes ``LABKIT_WRAP`` asks for (``5x5x5,8x8x8``), or None when unset/``0``."""
    value = (os.environ if environ is None else environ).get(ENV, "").strip()
    if value in ("", "0"):
        return None
    return parse_shapes(value)


def main(argv=None) -> int:
    """``python -m labkit.smm.wrap SCRIPT [ARGS]``: run an unmodified script, wrapped when
    ``LABKIT_WRAP`` names shapes (the LD_PRELOAD analogue)."""
    import runpy

    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: LABKIT_WRAP=5x5x5 python -m labkit.smm.wrap SCRIPT [ARGS]", file=sys.stderr)
        return 2
    try:
        shapes = from_environment()
    except InputError as exc:
        print(f"labkit.smm.wrap: {exc}", file=sys.stderr)
        return 2
    sys.argv = list(argv)
    if shapes is None:
        runpy.run_path(argv[0], run_name="__main__")
        return 0
    with wrapped(shapes) as hooks:
        runpy.run_path(argv[0], run_name="__main__")
    print(f"labkit.smm.wrap: {hooks.counts()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
