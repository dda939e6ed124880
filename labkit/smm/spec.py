"""What a small GEMM is: ``C = alpha * op(A) * op(B) + beta * C``, column-major, with
leading dimensions (the BLAS/LIBXSMM convention).

A :class:`GemmSpec` is the key of the code registry: every field changes the generated
code, so two different specs never share a kernel. Validation happens here, in plain
Python, so bad input never reaches compiled code.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.lab.errors import InputError

DTYPES = ("float64", "float32")
TRANS = ("N", "T")
PREFETCH = ("none", "next")
ALPHAS = (1.0, -1.0)          # what the generated code specialises (as LIBXSMM does)
BETAS = (0.0, 1.0)


def positive_int(name: str, value) -> int:
    """``value`` as an int if it is a positive integer, else InputError naming ``name``."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    value = int(value)
    if value <= 0:
        raise InputError(f"{name} must be a positive integer, got {value}")
    return value


def normalize_dtype(dtype) -> str:
    """``'float64'`` or ``'float32'`` from any numpy-like dtype spelling."""
    import numpy as np

    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise InputError(f"dtype {dtype!r} is not a numpy dtype (use float64 or float32)") from None
    if name not in DTYPES:
        raise InputError(f"dtype {name!r} is not supported (use float64 or float32)")
    return name


@dataclass(frozen=True)
class GemmSpec:
    """One fully specified small GEMM (the registry key)."""

    m: int
    n: int
    k: int
    lda: int
    ldb: int
    ldc: int
    alpha: float = 1.0
    beta: float = 1.0
    transa: str = "N"
    transb: str = "N"
    dtype: str = "float64"
    prefetch: str = "none"

    # shapes of the stored operands (rows, columns) in column-major storage
    @property
    def a_shape(self) -> tuple[int, int]:
        return (self.m, self.k) if self.transa == "N" else (self.k, self.m)

    @property
    def b_shape(self) -> tuple[int, int]:
        return (self.k, self.n) if self.transb == "N" else (self.n, self.k)

    @property
    def c_shape(self) -> tuple[int, int]:
        return (self.m, self.n)

    @property
    def a_size(self) -> int:
        """Elements one stored A spans (``lda * columns``)."""
        return self.lda * self.a_shape[1]

    @property
    def b_size(self) -> int:
        return self.ldb * self.b_shape[1]

    @property
    def c_size(self) -> int:
        return self.ldc * self.n

    @property
    def flops(self) -> int:
        """Floating-point operations of one product (multiply-add counted as 2)."""
        return 2 * self.m * self.n * self.k

    @property
    def pseudo_flops(self) -> int:
        """The LIBXSMM samples' pseudo-performance count ``2mnk - mn``."""
        return 2 * self.m * self.n * self.k - self.m * self.n

    @property
    def itemsize(self) -> int:
        return 8 if self.dtype == "float64" else 4

    @property
    def name(self) -> str:
        """A file-name-safe identifier of every field."""
        a = "p" if self.alpha > 0 else "m"
        return (f"{self.dtype[5:]}_{self.m}x{self.n}x{self.k}_ld{self.lda}_{self.ldb}_{self.ldc}"
                f"_a{a}1_b{int(self.beta)}_{self.transa}{self.transb}_{self.prefetch}")


def make_spec(m, n, k, lda=None, ldb=None, ldc=None, alpha=1.0, beta=1.0, transa="N",
              transb="N", dtype="float64", prefetch="none") -> GemmSpec:
    """Validate every argument and return the normalized spec (InputError names the bad one)."""
    m, n, k = positive_int("m", m), positive_int("n", n), positive_int("k", k)
    transa, transb = str(transa).upper(), str(transb).upper()
    if transa not in TRANS:
        raise InputError(f"transa must be 'N' or 'T', got {transa!r}")
    if transb not in TRANS:
        raise InputError(f"transb must be 'N' or 'T', got {transb!r}")
    rows_a = m if transa == "N" else k
    rows_b = k if transb == "N" else n
    lda = rows_a if lda is None else positive_int("lda", lda)
    ldb = rows_b if ldb is None else positive_int("ldb", ldb)
    ldc = m if ldc is None else positive_int("ldc", ldc)
    if lda < rows_a:
        raise InputError(f"lda={lda} is smaller than the rows of A ({rows_a})")
    if ldb < rows_b:
        raise InputError(f"ldb={ldb} is smaller than the rows of B ({rows_b})")
    if ldc < m:
        raise InputError(f"ldc={ldc} is smaller than the rows of C (m={m})")
    try:
        alpha, beta = float(alpha), float(beta)
    except (TypeError, ValueError):
        raise InputError(f"alpha and beta must be numbers, got {alpha!r}, {beta!r}") from None
    if alpha not in ALPHAS:
        raise InputError(f"alpha={alpha:g} is not supported (generated kernels take alpha in {ALPHAS})")
    if beta not in BETAS:
        raise InputError(f"beta={beta:g} is not supported (generated kernels take beta in {BETAS})")
    prefetch = str(prefetch)
    if prefetch not in PREFETCH:
        raise InputError(f"prefetch must be one of {PREFETCH}, got {prefetch!r}")
    return GemmSpec(m, n, k, lda, ldb, ldc, alpha, beta, transa, transb,
                    normalize_dtype(dtype), prefetch)


def parse_mnk(text: str) -> tuple[int, int, int]:
    """``"5,25,5"`` (or ``5x25x5``) -> ``(5, 25, 5)``; InputError for anything else."""
    parts = str(text).replace("x", ",").split(",")
    if len(parts) != 3:
        raise InputError(f"--mnk must be M,N,K (three integers), got {text!r}")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise InputError(f"--mnk must be M,N,K (three integers), got {text!r}") from None
    for name, v in zip("mnk", values):
        positive_int(name, v)
    return values
