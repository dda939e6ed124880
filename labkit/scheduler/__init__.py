"""A libdispatch-style task runtime and the CMS event-processing framework built on it.

The runtime (``labkit.scheduler.runtime``) offers libdispatch's model: one global
concurrent queue, cheap private serial queues and task groups. Two backends share that
API (as SimPy's real-time environment shares the simulated one's):

- ``sim`` (:class:`labkit.scheduler.sim.SimRuntime`): discrete-event simulated time on N
  virtual cores, so a 16-to-2000-core machine can be studied on a laptop;
- ``threads`` (:class:`labkit.scheduler.threads.ThreadRuntime`): real OS threads.

The HEP framework (``labkit.scheduler.hep``) is written once against that API.
Importing this package is cheap (no numba, no pandas).
"""

from labkit.scheduler.runtime import BUSY, SLEEP, make_runtime

__all__ = ["BUSY", "SLEEP", "make_runtime"]
