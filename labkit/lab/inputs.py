"""One validator per kind of input file or folder, so that every command refuses the same
bad paths with the same reasons, before it opens anything.

Why stat before open: opening a FIFO for reading blocks until a writer appears (a hang), and
``/dev/zero`` (or a symlink to it) reads forever; a directory fails only when read, with an
``IsADirectoryError`` traceback. ``os.stat`` follows symlinks, so a link is judged by what it
points to, and the message names both.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from pathlib import Path

from labkit.lab.errors import InputError, shorten

MAX_INPUT_BYTES = 2 * 1024**3  # no input format labkit reads is this large
MAX_JSON_DEPTH = 64           # configurations nest a few levels; Python's parser recurses

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def regular_file(path, what: str, max_bytes: int = MAX_INPUT_BYTES) -> Path:
    """``path`` as a Path if it is (or links to) a regular file of at most ``max_bytes``;
    else InputError naming ``what`` (the option, e.g. ``"--trace"``) and the reason."""
    path = Path(path)
    shown = shorten(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{what}: {shown} not found") from None
    except OSError as exc:
        raise InputError(f"{what}: {shown} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        via = f" (a symlink to {shorten(os.path.realpath(path))})" if path.is_symlink() else ""
        raise InputError(f"{what}: {shown}{via} is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > max_bytes:
        raise InputError(f"{what}: {shown} is {info.st_size:,} bytes; the limit for this input "
                         f"is {max_bytes:,}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{what}: {shown} is not readable (permission denied)")
    return path


def read_text(path, what: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The text of a checked regular file; undecodable bytes are an InputError."""
    path = regular_file(path, what, max_bytes)
    try:
        return path.read_text()
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}: {shorten(path)} is not text (byte {exc.start} is not "
                         "UTF-8)") from None


def _depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json(text: str, what: str, max_depth: int = MAX_JSON_DEPTH):
    """JSON text parsed, with NaN/Infinity literals and nesting deeper than ``max_depth``
    refused (both pass Python's parser or crash it, and neither is a valid input)."""
    def no_constant(name):
        raise InputError(f"{what}: {name} is not a number JSON allows")
    try:
        value = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise InputError(f"{what}: nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno})") from None
    if _depth(value) > max_depth:
        raise InputError(f"{what}: nested deeper than {max_depth} levels")
    return value


def load_json(path, what: str, max_bytes: int = 256 * 1024**2, max_depth: int = MAX_JSON_DEPTH):
    """A JSON file through :func:`regular_file` and :func:`parse_json`."""
    return parse_json(read_text(path, what, max_bytes), f"{what} {shorten(path)}", max_depth)


def finite(value, what: str) -> float:
    """``value`` as a float if it is a finite number, else InputError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {shorten(repr(value))}") from None
    if not math.isfinite(number):
        raise InputError(f"{what} must be finite, got {number}")
    return number


def output_folder(path, what: str = "--out") -> Path:
    """``path`` as a folder results can be written into, checked before any work: an
    existing non-folder, a path under a file, and an unwritable place are refused. The
    folder is created (with parents) if missing; a probe file proves it writable (``access``
    misses read-only mounts seen by root)."""
    path = Path(path)
    shown = shorten(path)
    for parent in (path, *path.parents):
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                where = "" if parent == path else f" ({shorten(parent)} is a file)"
                raise InputError(f"{what}: {shown} is not a folder{where}")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".labkit-probe-"):
            pass
    except OSError as exc:
        raise InputError(f"{what}: cannot write into {shown} ({exc.strerror})") from None
    return path
