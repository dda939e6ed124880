"""Sizes checked against what the machine has, before any work or allocation starts.

A size a user asks for is refused (``InputError``: exit code 2, one line) when its estimate
exceeds a limit, and the message gives all three: the size asked, the estimate, the limit.

- **Memory** comes from the OS: :data:`MEMORY_FRACTION` of ``MemAvailable`` in
  ``/proc/meminfo`` (``LABKIT_MEMORY_LIMIT`` bytes overrides it, e.g. to test the checks).
- **OS threads** (:func:`thread_limit`): the kernel's ``threads-max``, the user's
  ``RLIMIT_NPROC`` and :data:`THREAD_CAP`, whichever is smallest, checked with
  :func:`check_count`.
- **Time** is a stated budget where memory is not what runs out (a loop over 10^15 calls
  allocates nothing and never ends): :data:`DEFAULT_TIME_BUDGET_S` seconds, or
  ``LABKIT_TIME_BUDGET`` seconds. Estimates are deliberately rough (a per-item cost measured
  once on a 2-core machine); they only need to tell minutes from months.
"""

from __future__ import annotations

import os
import resource

from labkit.lab.errors import InputError

MEMORY_FRACTION = 0.5
DEFAULT_TIME_BUDGET_S = 3600.0
THREAD_CAP = 4096  # past this many OS threads a run measures the kernel's scheduler, not a model
MEMORY_ENV, TIME_ENV = "LABKIT_MEMORY_LIMIT", "LABKIT_TIME_BUDGET"


def _env_number(name: str) -> float | None:
    text = os.environ.get(name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise InputError(f"${name} must be a positive number, got {text!r}")
    return value


def available_memory() -> int:
    """Bytes the OS says can be allocated without swapping (``MemAvailable``)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def memory_limit() -> int:
    """The most one command may plan to allocate, in bytes."""
    override = _env_number(MEMORY_ENV)
    return int(override) if override else int(available_memory() * MEMORY_FRACTION)


def time_budget() -> float:
    """The longest one command may plan to run, in seconds."""
    return _env_number(TIME_ENV) or DEFAULT_TIME_BUDGET_S


def thread_limit() -> tuple[int, str]:
    """(the most OS threads one command may start, where that number comes from): the
    smallest of the kernel's ``/proc/sys/kernel/threads-max``, the soft ``RLIMIT_NPROC``
    (``ulimit -u``, which counts threads) and :data:`THREAD_CAP`. Starting more fails with
    ``RuntimeError: can't start new thread`` halfway through a run."""
    limits = [(THREAD_CAP, f"labkit's cap of {THREAD_CAP:,} threads")]
    try:
        with open("/proc/sys/kernel/threads-max") as threads_max:
            limits.append((int(threads_max.read()), "the kernel's threads-max"))
    except (OSError, ValueError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY:
        limits.append((int(soft), "RLIMIT_NPROC (ulimit -u)"))
    return min(limits)


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} EB"


def human_seconds(s: float) -> str:
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"


def check_memory(what: str, nbytes: float) -> None:
    """Refuse ``what`` (e.g. ``"--batch 10**15 of 5x5x5 (A, B, C)"``) if it needs more than
    :func:`memory_limit` bytes."""
    limit = memory_limit()
    if nbytes > limit:
        source = f"${MEMORY_ENV}" if os.environ.get(MEMORY_ENV) else \
            f"{MEMORY_FRACTION:.0%} of the {human_bytes(available_memory())} available"
        raise InputError(f"{what} needs about {human_bytes(nbytes)} of memory; "
                         f"the limit is {human_bytes(limit)} ({source})")


def check_time(what: str, seconds: float) -> None:
    """Refuse ``what`` if its estimated run time exceeds :func:`time_budget`."""
    budget = time_budget()
    if seconds > budget:
        raise InputError(f"{what} would take about {human_seconds(seconds)}; the time budget is "
                         f"{human_seconds(budget)} (set ${TIME_ENV} to seconds to allow more)")


def check_threads(what: str, n: int) -> None:
    """Refuse starting ``n`` threads when the OS would refuse some of them."""
    limit, source = thread_limit()
    check_count(what, n, limit, f"the OS thread limit, {source}")


def check_count(what: str, n: int, limit: int, reason: str) -> None:
    """Refuse a count above a fixed limit that is not memory or time (an OS thread limit,
    a format's field width); ``reason`` says where the limit comes from."""
    if n > limit:
        raise InputError(f"{what} is {n:,}; the limit is {limit:,} ({reason})")
