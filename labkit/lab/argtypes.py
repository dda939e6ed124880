"""Argument types for command lines (labkit's and the benchmark scripts'): one validator
per kind of input, each raising ``argparse.ArgumentTypeError`` with the same wording, and
a parser whose errors are :class:`~labkit.InputError` (one line, exit code 2)."""

from __future__ import annotations

import argparse
import math

from labkit.lab.errors import InputError


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises InputError instead of printing usage and exiting."""

    def error(self, message):
        raise InputError(message)


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def positive_number(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value
