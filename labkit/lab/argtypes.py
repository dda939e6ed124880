"""Argument types for command lines (labkit's and the benchmark scripts'): one validator
per kind of input, each raising ``argparse.ArgumentTypeError`` so that argparse shows its
message (a plain ``ValueError`` becomes argparse's own "invalid parse value: '0'"), and a
parser whose errors are :class:`~labkit.InputError` (one line, exit code 2).

Integers may be written in scientific notation when the value is a whole number
(``--requests 1e6``): people write sizes that way, and a clear "too large" from the
resource checks (:mod:`labkit.lab.limits`) is better than "not an integer".
"""

from __future__ import annotations

import argparse
import math

from labkit.lab.errors import InputError, shorten

SEED_MAX = 2**32 - 1  # numpy's SeedSequence takes any non-negative int; RandomState needs < 2**32


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises InputError instead of printing usage and exiting."""

    def error(self, message):
        raise InputError(message)


def _whole_number(text: str, kind: str) -> int:
    """``text`` as an int (``"12"``, ``"1e6"``, ``"0x10"``), else ArgumentTypeError."""
    text = text.strip()
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"must be {kind}, got {shorten(text)!r}")
    return int(value)


def integer(text: str) -> int:
    """Any whole number."""
    return _whole_number(text, "an integer")


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = _whole_number(text, "a positive integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {shorten(text)!r}")
    return value


def nonnegative_int(text: str) -> int:
    """An integer >= 0."""
    value = _whole_number(text, "a non-negative integer")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {shorten(text)!r}")
    return value


def seed(text: str) -> int:
    """A random seed: an integer in 0 .. 2**32 - 1 (what every numpy generator accepts)."""
    value = _whole_number(text, "an integer seed")
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be a seed in 0..{SEED_MAX}, got {shorten(text)!r}")
    return value


def int_in_range(low: int, high: int):
    """An argparse type for an integer in ``low .. high`` (inclusive)."""
    def parse(text: str) -> int:
        value = _whole_number(text, f"an integer in {low}..{high}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer in {low}..{high}, "
                                             f"got {shorten(text)!r}")
        return value
    parse.__name__ = f"integer in {low}..{high}"
    return parse


def finite_number(text: str) -> float:
    """Any finite number (no nan, no inf)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {shorten(text)!r}")
    return value


def positive_number(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {shorten(text)!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {shorten(text)!r}")
    return value
