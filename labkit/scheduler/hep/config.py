"""Reading toy-mt-framework JSON configurations, refusing bad ones before anything runs.

A configuration is ``{"process": {"options", "source", "producers", "filters", "paths"}}``
(see ``shared/data/README.md``). Module types map to a kind and a wait:

- ``demo::EventTimes{BusyWait,Sleeping}{Producer,PassFilter}``: per-event ``eventTimes``
  (event ``i`` takes ``eventTimes[i % len]``);
- ``demo::{BusyWait,Sleeping}{Producer,PassFilter}``: constant ``averageTime``;
- ``demo::EventTimes{BusyWait,Sleeping}ParallelForPassFilter``: per-event times split into
  ``nRanges`` parallel pieces (the ``_imt`` configurations);
- ``demo::PassFilter``, ``demo::ThreadSaferGetterFilter``: no time.

A filter whose label starts with ``output`` is an :class:`OutputModule` (the CMS
configurations put each output module alone on a path). Every problem raises
:class:`~labkit.InputError` naming the file, the JSON path of the field and the module
(:func:`validate_config`: wrong shapes, unknown module types or threadTypes, times that
are not numbers in ``0..MAX_TIME_S``), or the modules involved (:func:`parse`: a
dependency on a missing label, a dependency cycle, a path naming a non-filter). The file
itself goes through the shared input checks (a folder, a FIFO, a device, malformed or
too deeply nested JSON, NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path as FilePath

from labkit.lab.errors import InputError, shorten
from labkit.lab.inputs import parse_json, read_text
from labkit.scheduler.hep.modules import (REENTRANT, THREAD_TYPES, Filter, Module, OutputModule,
                                          Producer)
from labkit.scheduler.hep.paths import Path
from labkit.scheduler.runtime import BUSY, SLEEP

MAX_TIME_S = 1e6  # longest module time accepted (11.6 days; the CMS data's longest is 22 s)
MAX_CONFIG_BYTES = 64 * 1024**2  # the CMS configurations are 3.4 MB

# @type suffix -> (producer or filter, wait, where its times come from)
MODULE_TYPES = {
    "EventTimesBusyWaitProducer": ("producer", BUSY, "eventTimes"),
    "EventTimesSleepingProducer": ("producer", SLEEP, "eventTimes"),
    "EventTimesBusyWaitPassFilter": ("filter", BUSY, "eventTimes"),
    "EventTimesSleepingPassFilter": ("filter", SLEEP, "eventTimes"),
    "EventTimesBusyWaitParallelForPassFilter": ("filter", BUSY, "eventTimes"),
    "EventTimesSleepingParallelForPassFilter": ("filter", SLEEP, "eventTimes"),
    "BusyWaitProducer": ("producer", BUSY, "averageTime"),
    "SleepingProducer": ("producer", SLEEP, "averageTime"),
    "BusyWaitPassFilter": ("filter", BUSY, "averageTime"),
    "SleepingPassFilter": ("filter", SLEEP, "averageTime"),
    "PassFilter": ("filter", BUSY, None),
    "ThreadSaferGetterFilter": ("filter", BUSY, None),
}


@dataclass
class Configuration:
    """A validated configuration: modules (dependencies before dependents), paths,
    the source's event count, the configured events in flight and, when the configuration
    gives ``options.nThreads``, the size of its fixed thread pool (``threads``)."""

    name: str
    modules: list
    paths: list
    events: int
    inflight: int
    busy_wait_scale: float
    threads: int | None = None

    @property
    def by_label(self) -> dict:
        return {m.label: m for m in self.modules}

    def with_wait(self, wait: str) -> "Configuration":
        """The same configuration with every module busy-waiting or sleeping."""
        from dataclasses import replace

        modules = [_copy_module(m, wait=wait) for m in self.modules]
        return replace(self, modules=modules)


def _copy_module(module: Module, **changes) -> Module:
    options = dict(get=module.get, times=module.times, wait=module.wait,
                   thread_type=module.thread_type, body=module.body, n_ranges=module.n_ranges,
                   sync_get=module.sync_get)
    options.update(changes)
    if "body" in changes and "sync_get" not in changes:
        options["sync_get"] = None  # a new body: decided from its code again
    return type(module)(module.label, **options)


def _noun(value) -> str:
    """The plural name of a JSON value's type."""
    if isinstance(value, bool):
        return "booleans"
    return {list: "lists", dict: "objects", str: "strings", int: "numbers", float: "numbers",
            type(None): "nulls"}.get(type(value), type(value).__name__)


def _kind_of(value) -> str:
    """What a JSON value is, for a message (``a list of lists``, ``'x'``, ``true``)."""
    if isinstance(value, bool) or value is None:
        return f"{'null' if value is None else str(value).lower()}"
    if isinstance(value, (int, float, str)):
        return shorten(repr(value), 40)
    if isinstance(value, dict):
        return "an object"
    nouns = {_noun(v) for v in value}
    if not nouns:
        return "an empty list"
    return f"a list of {nouns.pop()}" if len(nouns) == 1 else "a list of mixed values"


class _Checker:
    """Checks one decoded configuration; every failure names the JSON path of the field
    (``process.producers[3].eventTimes[7]``) and, inside a module, its label."""

    def __init__(self, what: str):
        self.what = what
        self.label = None  # the module being checked, named after the path

    def fail(self, where: str, message: str):
        module = "" if self.label is None else f" (module {shorten(self.label, 40)!r})"
        raise InputError(f"{self.what}: {where}{module}: {message}")

    def object(self, value, where: str, optional: bool = True) -> dict:
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            self.fail(where, f"must be an object, got {_kind_of(value)}")
        return value

    def list(self, value, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {_kind_of(value)}")
        return value

    def positive_int(self, value, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(where, f"must be a positive integer, got {_kind_of(value)}")
        return value

    def positive_number(self, value, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or not value > 0:
            self.fail(where, f"must be a positive number, got {_kind_of(value)}")
        return float(value)

    def time(self, value, where: str) -> float:
        """A module time: finite, >= 0 and at most :data:`MAX_TIME_S` seconds."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(where, f"must be a time in seconds (a number), got {_kind_of(value)}")
        if not 0 <= value <= MAX_TIME_S:
            self.fail(where, f"must be a time in 0..{MAX_TIME_S:g} s, got {value!r}")
        return float(value)


def _check_options(check: _Checker, process: dict) -> None:
    options = check.object(process.get("options"), "process.options")
    for key in ("nSimultaneousEvents", "nThreads"):
        if options.get(key) is not None:
            check.positive_int(options[key], f"process.options.{key}")
    if "busyWaitScaleFactor" in options:
        check.positive_number(options["busyWaitScaleFactor"], "process.options.busyWaitScaleFactor")
    source = check.object(process.get("source"), "process.source")
    if "iterations" in source:
        check.positive_int(source["iterations"], "process.source.iterations")


def _check_module(check: _Checker, spec, where: str, group: str) -> None:
    """One entry of ``producers`` or ``filters``: label, type, threadType, toGet, times."""
    check.object(spec, where, optional=False)
    label = spec.get("@label")
    if not isinstance(label, str) or not label:
        check.fail(f"{where}.@label", f"every module needs a non-empty string label, got "
                                      f"{_kind_of(label)}")
    check.label = label
    mtype = spec.get("@type")
    suffix = mtype.split("::")[-1] if isinstance(mtype, str) else None
    if suffix not in MODULE_TYPES:
        check.fail(f"{where}.@type", f"unknown module type {shorten(repr(mtype), 60)} "
                                  f"(known: {', '.join(sorted(MODULE_TYPES))})")
    kind, _, times_key = MODULE_TYPES[suffix]
    if (kind == "producer") != (group == "producers"):
        check.fail(f"{where}.@type", f"type {mtype!r} does not belong in {group!r}")
    if spec.get("threadType", REENTRANT) not in THREAD_TYPES:
        check.fail(f"{where}.threadType", f"unknown threadType {_kind_of(spec['threadType'])} "
                                          f"(known: {', '.join(THREAD_TYPES)})")
    for i, get in enumerate(check.list(spec.get("toGet", []), f"{where}.toGet")):
        if not isinstance(get, dict) or not isinstance(get.get("label"), str):
            check.fail(f"{where}.toGet[{i}]", f"must be an object {{label, product}} with a "
                                              f"string label, got {_kind_of(get)}")
    if "ParallelFor" in suffix:
        if "nRanges" not in spec:
            check.fail(where, f"type {mtype!r} needs 'nRanges'")
        check.positive_int(spec["nRanges"], f"{where}.nRanges")
    if times_key is not None:
        _check_times(check, spec, f"{where}.{times_key}", times_key)
    check.label = None


def _check_times(check: _Checker, spec: dict, where: str, key: str) -> None:
    if key not in spec:
        check.fail(where, "missing (this module type needs its times)")
    raw = spec[key]
    if isinstance(raw, list):
        if not raw:
            check.fail(where, "is empty: give at least one time")
        for i, value in enumerate(raw):
            check.time(value, f"{where}[{i}]")
    else:
        check.time(raw, where)


def _check_paths(check: _Checker, process: dict) -> None:
    paths = check.object(process.get("paths"), "process.paths")
    for name, labels in paths.items():
        where = f"process.paths.{shorten(name, 40)}"
        if not isinstance(labels, list):
            check.fail(where, f"must be a list of module labels, got {_kind_of(labels)}")
        bad = next((i for i, label in enumerate(labels) if not isinstance(label, str)), None)
        if bad is not None:
            check.fail(where, f"must be a list of module labels (strings), got "
                              f"{_kind_of(labels)} (item {bad} is {_kind_of(labels[bad])})")


def validate_config(data, what: str = "configuration") -> dict:
    """Refuse a decoded configuration whose shape or values are wrong, before anything
    is built from it: the one place the schema lives (``shared/data/README.md``). Returns
    ``data["process"]``. Cross-references (missing labels, cycles, a path naming a
    producer) are checked by :func:`parse`, which needs the modules."""
    check = _Checker(what)
    if not isinstance(data, dict):
        check.fail("top level", f"must be an object with a 'process' object, got "
                                f"{_kind_of(data)}")
    process = check.object(data.get("process"), "process", optional=False)
    _check_options(check, process)
    for group in ("producers", "filters"):
        for i, spec in enumerate(check.list(process.get(group, []), f"process.{group}")):
            _check_module(check, spec, f"process.{group}[{i}]", group)
    _check_paths(check, process)
    return process


def _times(spec: dict, source: str | None) -> list:
    if source is None:
        return [0.0]
    raw = spec[source]
    return [float(t) for t in (raw if isinstance(raw, list) else [raw])]


def _module(spec: dict) -> Module:
    """A module from a validated spec."""
    label = spec["@label"]
    suffix = spec["@type"].split("::")[-1]
    kind, wait, source = MODULE_TYPES[suffix]
    get = list(dict.fromkeys(g["label"] for g in spec.get("toGet", [])))
    cls = Producer if kind == "producer" else (OutputModule if label.startswith("output")
                                               else Filter)
    return cls(label, get=get, times=_times(spec, source), wait=wait,
               thread_type=spec.get("threadType", REENTRANT), n_ranges=spec.get("nRanges"))


def _ordered(modules: list) -> list:
    """Modules with dependencies first; refuses missing labels and cycles."""
    labels = {m.label: m for m in modules}
    for m in modules:
        for dep in m.get:
            if dep not in labels:
                raise InputError(f"module {m.label!r}: depends on missing label {dep!r}")
            if dep == m.label:
                raise InputError(f"module {m.label!r}: depends on itself (dependency cycle)")
    try:
        order = list(TopologicalSorter({m.label: m.get for m in modules}).static_order())
    except CycleError as exc:
        cycle = exc.args[1]
        raise InputError(f"module {cycle[0]!r}: dependency cycle "
                         f"{' -> '.join(map(str, cycle))}") from None
    return [labels[label] for label in order]


def _built_paths(raw_paths: dict, by_label: dict) -> list:
    paths = []
    for path_name, labels in raw_paths.items():
        for label in labels:
            module = by_label.get(label)
            if module is None:
                raise InputError(f"path {path_name!r}: names missing module {label!r}")
            if not isinstance(module, Filter):
                raise InputError(f"path {path_name!r}: module {label!r} is a "
                                 f"{module.kind}, not a filter")
        paths.append(Path(path_name, labels))
    return paths


def parse(data, name: str = "config") -> Configuration:
    """Validate an already-decoded configuration object (:func:`validate_config`, then
    the cross-references) and build it."""
    process = validate_config(data, name)
    modules, seen = [], set()
    for group in ("producers", "filters"):
        for spec in process.get(group, []):
            module = _module(spec)
            if module.label in seen:
                raise InputError(f"module {module.label!r}: label used twice")
            seen.add(module.label)
            modules.append(module)
    modules = _ordered(modules)
    paths = _built_paths(process.get("paths") or {}, {m.label: m for m in modules})
    options = process.get("options") or {}
    source = process.get("source") or {}
    return Configuration(name=str(process.get("label", name)), modules=modules, paths=paths,
                         events=source.get("iterations", 100),
                         inflight=options.get("nSimultaneousEvents") or 1,
                         busy_wait_scale=float(options.get("busyWaitScaleFactor", 2.2e7)),
                         threads=options.get("nThreads"))


def load(path, what: str = "configuration") -> Configuration:
    """Read and validate the configuration file ``path`` (``what``: how messages name it,
    e.g. the option ``--config``). The file is checked before it is opened (a folder, a
    FIFO, a device, a name too long: :func:`labkit.lab.inputs.regular_file`) and parsed
    with a depth limit and without NaN (:func:`labkit.lab.inputs.parse_json`)."""
    file_name = FilePath(path).name
    shown = f"{what} {shorten(file_name)}"  # the file's name: a long folder hides it
    data = parse_json(read_text(path, what, max_bytes=MAX_CONFIG_BYTES), shown)
    config = parse(data, shown)
    config.name = file_name
    return config
