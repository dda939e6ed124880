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
:class:`~labkit.InputError` naming the module (or the file) and what is wrong: malformed
JSON, an unknown module type or threadType, a dependency on a missing label, a
dependency cycle, a path naming a non-filter, negative or non-numeric times.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path as FilePath

from labkit.lab.errors import InputError
from labkit.scheduler.hep.modules import (REENTRANT, THREAD_TYPES, Filter, Module, OutputModule,
                                          Producer)
from labkit.scheduler.hep.paths import Path
from labkit.scheduler.runtime import BUSY, SLEEP

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


def _times(label: str, spec: dict, source: str | None) -> list:
    if source is None:
        return [0.0]
    if source not in spec:
        raise InputError(f"module {label!r}: missing {source!r}")
    raw = spec[source]
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise InputError(f"module {label!r}: {source} is empty")
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"module {label!r}: {source} holds a non-numeric time {value!r}")
        if value < 0:
            raise InputError(f"module {label!r}: {source} holds a negative time {value!r}")
        out.append(float(value))
    return out


def _module(spec, where: str) -> Module:
    if not isinstance(spec, dict) or not isinstance(spec.get("@label"), str):
        raise InputError(f"{where}: every module needs a string '@label'")
    label = spec["@label"]
    mtype = spec.get("@type")
    suffix = mtype.split("::")[-1] if isinstance(mtype, str) else None
    if suffix not in MODULE_TYPES:
        raise InputError(f"module {label!r}: unknown module type {mtype!r} "
                         f"(known: {', '.join(sorted(MODULE_TYPES))})")
    kind, wait, source = MODULE_TYPES[suffix]
    if (kind == "producer") != (where == "producers"):
        raise InputError(f"module {label!r}: type {mtype!r} does not belong in {where!r}")
    thread_type = spec.get("threadType", REENTRANT)
    if thread_type not in THREAD_TYPES:
        raise InputError(f"module {label!r}: unknown threadType {thread_type!r} "
                         f"(known: {', '.join(THREAD_TYPES)})")
    gets = spec.get("toGet", [])
    if not isinstance(gets, list) or not all(isinstance(g, dict) and isinstance(g.get("label"), str)
                                             for g in gets):
        raise InputError(f"module {label!r}: toGet must be a list of {{label, product}}")
    get = list(dict.fromkeys(g["label"] for g in gets))
    n_ranges = None
    if "ParallelFor" in suffix:
        if "nRanges" not in spec:
            raise InputError(f"module {label!r}: type {mtype!r} needs 'nRanges'")
        n_ranges = spec["nRanges"]
    cls = Producer if kind == "producer" else (OutputModule if label.startswith("output")
                                               else Filter)
    return cls(label, get=get, times=_times(label, spec, source), wait=wait,
               thread_type=thread_type, n_ranges=n_ranges)


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


def parse(data, name: str = "config") -> Configuration:
    """Validate an already-decoded configuration object."""
    if not isinstance(data, dict) or not isinstance(data.get("process"), dict):
        raise InputError(f"{name}: expected an object with a 'process' object")
    process = data["process"]
    modules, seen = [], set()
    for where in ("producers", "filters"):
        specs = process.get(where, [])
        if not isinstance(specs, list):
            raise InputError(f"{name}: {where!r} must be a list")
        for spec in specs:
            module = _module(spec, where)
            if module.label in seen:
                raise InputError(f"module {module.label!r}: label used twice")
            seen.add(module.label)
            modules.append(module)
    modules = _ordered(modules)
    by_label = {m.label: m for m in modules}
    raw_paths = process.get("paths", {})
    if not isinstance(raw_paths, dict):
        raise InputError(f"{name}: 'paths' must be an object of name -> list of filters")
    paths = []
    for path_name, labels in raw_paths.items():
        if not isinstance(labels, list):
            raise InputError(f"path {path_name!r}: must be a list of filter labels")
        for label in labels:
            module = by_label.get(label)
            if module is None:
                raise InputError(f"path {path_name!r}: names missing module {label!r}")
            if not isinstance(module, Filter):
                raise InputError(f"path {path_name!r}: module {label!r} is a "
                                 f"{module.kind}, not a filter")
        paths.append(Path(path_name, labels))
    options = process.get("options", {}) or {}
    source = process.get("source", {}) or {}
    events = source.get("iterations", 100)
    inflight = options.get("nSimultaneousEvents", 1)
    for key, value in (("source iterations", events), ("nSimultaneousEvents", inflight)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: {key} must be a positive integer, got {value!r}")
    threads = options.get("nThreads")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise InputError(f"{name}: nThreads must be a positive integer, got {threads!r}")
    scale = options.get("busyWaitScaleFactor", 2.2e7)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise InputError(f"{name}: busyWaitScaleFactor must be a positive number, got {scale!r}")
    return Configuration(name=str(process.get("label", name)), modules=modules, paths=paths,
                         events=events, inflight=inflight, busy_wait_scale=float(scale),
                         threads=threads)


def load(path) -> Configuration:
    """Read and validate the configuration file ``path``."""
    path = FilePath(path)
    if not path.is_file():
        raise InputError(f"configuration {str(path)!r} not found")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"configuration {path.name!r}: malformed JSON at line {exc.lineno}, "
                         f"column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError:
        raise InputError(f"configuration {path.name!r}: not a text file") from None
    config = parse(data, path.name)
    config.name = path.name
    return config
