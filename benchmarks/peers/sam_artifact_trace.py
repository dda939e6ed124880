"""pytest plugin for the SAM artifact's tests: every primitive's outputs, cycle by cycle.

Each primitive class of ``sam.sim.src`` gets its ``update`` wrapped; after each update the
wrapper records the non-empty values of the instance's ``out_*`` methods with the cycle
(the primitive's own cycle counter, 0-based).  At the end of the session the traces are
written as JSON to ``$SAM_TRACE``: ``[[name, [[cycle, method, value], ...]], ...]`` in the
order the instances first updated.  labkit's token times are the artifact's cycle + 1 (its
root reference is made at 0, the artifact's is waiting at cycle 0).  Used to find each
timing rule of labkit's cycle model; run from the artifact's ``sam/sim/test`` folder:

    SAM_TRACE=/tmp/trace.json PYTHONPATH=$SRC:benchmarks/peers \\
        $VENV/bin/python -m pytest -p sam_artifact_trace --ssname bcsstm02 final-apps/test_mat_elemadd_FINAL.py
"""

import inspect
import json
import os

TRACES = []


def _outputs(cls):
    names = []
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        params = list(inspect.signature(fn).parameters.values())[1:]
        if name.startswith("out_") and name != "out_done" and all(
                p.default is not inspect.Parameter.empty for p in params):
            names.append(name)
    return names


def _wrap(cls):
    update, outs = cls.update, _outputs(cls)

    def traced(self):
        update(self)
        if not hasattr(self, "_trace"):
            self._trace = []
            TRACES.append((f"{cls.__name__}#{len(TRACES)}", self._trace))
        for name in outs:
            try:
                value = getattr(self, name)()
            except Exception:       # an output the primitive has not set up yet
                continue
            if value != "" and value is not None:
                self._trace.append((self.total_cycles - 1, name,
                                    value if isinstance(value, (int, float, str)) else str(value)))

    cls.update = traced


def pytest_configure(config):
    from sam.sim.src import (accumulator, array, compute, crd_manager, joiner, rd_scanner,
                             repeater, token, wr_scanner)

    for module in (rd_scanner, joiner, array, compute, accumulator, crd_manager, repeater,
                   wr_scanner, token):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "update" in cls.__dict__:
                _wrap(cls)


def pytest_sessionfinish(session):
    path = os.environ.get("SAM_TRACE")
    if path:
        with open(path, "w") as fh:
            json.dump(TRACES, fh)
