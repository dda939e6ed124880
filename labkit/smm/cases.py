"""The five streaming cases of the LIBXSMM ``smm`` samples.

Which operands stream from memory (one per product) and which stay in cache (one
shared operand):

============  ======================  ============================================
case          streamed                kept in cache
============  ======================  ============================================
``ABC``       A, B and C              nothing (the batched GEMM)
``AB``        A and B                 C, accumulated (one C per thread)
``AC``        A and C                 B
``BC``        B and C                 A
``none``      nothing                 A, B and C (the same product repeated)
============  ======================  ============================================

Cases that write a fresh C per product use ``beta = 0``; cases that keep C in cache
accumulate into it (``beta = 1``), as the samples do.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.lab.errors import InputError


@dataclass(frozen=True)
class Case:
    name: str
    a: bool        # streamed?
    b: bool
    c: bool

    @property
    def beta(self) -> float:
        return 0.0 if self.c else 1.0

    def bytes_per_product(self, a_size: int, b_size: int, c_size: int, itemsize: int) -> int:
        """Memory traffic of one product (C streamed is written once; beta=0, no read)."""
        return itemsize * (a_size * self.a + b_size * self.b + c_size * self.c)


CASES = {
    "ABC": Case("ABC", True, True, True),
    "AB": Case("AB", True, True, False),
    "AC": Case("AC", True, False, True),
    "BC": Case("BC", False, True, True),
    "none": Case("none", False, False, False),
}


def get_case(name: str) -> Case:
    """The case called ``name`` (InputError naming the choices otherwise)."""
    try:
        return CASES[name]
    except KeyError:
        raise InputError(f"stream {name!r} is not a streaming case: choose one of "
                         f"{', '.join(CASES)}") from None
