"""Small hand-made configurations: the paper's Figure 1/2 example, a small graph with a
rejecting filter, and a synthetic workload generator (DAG shape and timing distributions)
for what-if studies without the CMS data."""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.scheduler.hep.config import Configuration
from labkit.scheduler.hep.modules import REENTRANT, Filter, OutputModule, Producer
from labkit.scheduler.hep.paths import EndPath, Path
from labkit.scheduler.runtime import BUSY


# The paper's Figure 1: module -> (what it gets, seconds). Times are ours (the paper gives
# none); they are chosen so that the order the paper narrates for Figure 2 is the one a
# dependency-driven run must produce: C ends before B, F2 runs long (it ends after F1 but
# before D), and D starts only when Path 1 reaches F3.
FIGURE1 = {
    "A": ((), 1.0), "B": (("A",), 2.0), "C": (("A",), 1.0), "D": ((), 3.0),
    "F1": (("B", "C"), 1.0), "F2": (("C",), 4.0), "F3": (("D",), 1.0), "O": (("C",), 1.0),
}
FIGURE1_PATHS = {"Path 1": ("F1", "F3"), "Path 2": ("F2",)}
FIGURE1_END_PATHS = {"EndPath": ("O",)}


def figure2(wait: str = BUSY, times: dict | None = None) -> tuple[Configuration, list]:
    """The paper's Figure 1 example, whose timing diagram is its Figure 2: producers A, B,
    C, D (B and C get A); filters F1 (gets B and C), F2 (gets C, runs long), F3 (gets D);
    Path 1 = F1 then F3, Path 2 = F2; an EndPath holding the output module O (gets C).
    ``times`` overrides module seconds by label. Returns (configuration, end paths)."""
    seconds = {label: t for label, (_, t) in FIGURE1.items()}
    seconds.update(times or {})
    modules = []
    for label, (get, _) in FIGURE1.items():
        cls = Producer if label in "ABCD" else (OutputModule if label == "O" else Filter)
        modules.append(cls(label, get=get, times=[seconds[label]], wait=wait))
    paths = [Path(name, labels) for name, labels in FIGURE1_PATHS.items()]
    end_paths = [EndPath(name, labels) for name, labels in FIGURE1_END_PATHS.items()]
    config = Configuration(name="figure1", modules=modules, paths=paths, events=1,
                           inflight=1, busy_wait_scale=2.2e7)
    return config, end_paths


def sync_get_example(getter_s: float = 1.0, producer_s: float = 2.0,
                     thread_type: str = REENTRANT) -> Configuration:
    """A filter ``F`` whose plain body asks, with ``event.get_sync``, for the product of
    ``P``, which it does not declare (so nobody prefetches it): ``P`` starts when ``F``'s
    own work is done and ``F`` ends when ``P`` is made, ``getter_s + producer_s`` after
    it started. Both modules have ``thread_type`` (thread-unsafe: they share one queue,
    which ``F`` releases while it waits)."""
    modules = [Producer("P", times=[producer_s], thread_type=thread_type, body=_product),
               Filter("F", times=[getter_s], thread_type=thread_type, body=_sync_getter)]
    return Configuration(name="sync-get-example", modules=modules,
                         paths=[Path("Path 1", ["F"])], events=1, inflight=1,
                         busy_wait_scale=1.0)


def _product(event) -> int:
    return 42


def _sync_getter(event) -> bool:
    return event.get_sync("P") == 42


def rejecting_example(wait: str = BUSY) -> tuple[Configuration, list]:
    """A small graph with a rejecting filter: producers A-D, filters F1-F3 on two paths
    (F2 rejects odd events), an output module O on the EndPath. Returns (configuration,
    end paths). Tests use it for hand-computed latencies and critical paths."""
    def producer(label, t, get=()):
        return Producer(label, get=get, times=t, wait=wait)

    modules = [
        producer("A", [0.10]), producer("B", [0.20, 0.15], ["A"]),
        producer("C", [0.15, 0.25], ["A"]), producer("D", [0.10], ["B", "C"]),
        Filter("F1", get=["A"], times=[0.05], wait=wait),
        Filter("F2", get=["B"], times=[0.05], wait=wait,
               body=lambda event: event.index % 2 == 0),  # rejects odd events
        Filter("F3", get=["D"], times=[0.05], wait=wait),
        OutputModule("O", get=["C", "D"], times=[0.10], wait=wait),
    ]
    paths = [Path("p1", ["F1", "F2"]), Path("p2", ["F3"])]
    config = Configuration(name="rejecting-example", modules=modules, paths=paths, events=4,
                           inflight=2, busy_wait_scale=2.2e7)
    return config, [EndPath("e", ["O"])]


def synthetic(producers: int = 200, *, layers: int = 12, fan_in: int = 3, outputs: int = 2,
              mean_time: float = 0.05, sigma: float = 1.5, seed: int = 0,
              thread_type: str = REENTRANT, wait: str = BUSY, n_times: int = 100) -> Configuration:
    """A random layered DAG: each producer gets up to ``fan_in`` producers of earlier
    layers; times are lognormal (median ``mean_time``, shape ``sigma``, heavy-tailed
    like the CMS data); each output module gets a random half of the last layers and
    sits alone on a path."""
    for name, value in (("producers", producers), ("layers", layers), ("outputs", outputs)):
        if not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    if not mean_time > 0 or not sigma >= 0:
        raise InputError("mean_time must be > 0 and sigma >= 0")
    rng = np.random.default_rng(seed)
    layer = np.sort(rng.integers(0, layers, producers))
    modules, labels = [], []
    for i in range(producers):
        earlier = [j for j in range(i) if layer[j] < layer[i]]
        k = min(len(earlier), int(rng.integers(0, fan_in + 1)))
        get = [labels[j] for j in rng.choice(earlier, size=k, replace=False)] if k else []
        times = rng.lognormal(np.log(mean_time), sigma, n_times)
        label = f"m{i:03d}"
        labels.append(label)
        modules.append(Producer(label, get=get, times=times, wait=wait, thread_type=thread_type))
    paths = []
    for o in range(outputs):
        pool = labels[len(labels) // 2:]
        get = list(rng.choice(pool, size=max(1, len(pool) // 2), replace=False))
        label = f"output{o}"
        modules.append(OutputModule(label, get=get, times=rng.lognormal(np.log(mean_time), 0.3,
                                                                          n_times),
                                    wait=wait, thread_type=thread_type))
        paths.append(Path(f"o{o}", [label]))
    return Configuration(name=f"synthetic-{producers}-{seed}", modules=modules, paths=paths,
                         events=100, inflight=4, busy_wait_scale=2.2e7)
