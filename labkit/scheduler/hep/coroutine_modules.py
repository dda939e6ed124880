"""The same modules written as coroutines instead of callbacks.

A callback-style module declares its data dependencies (``get``) and the framework
prefetches them before running it. Its coroutine twin declares nothing: it asks for
every product with ``event.get`` (all requests first, so prefetching stays parallel),
awaits them, then awaits its work. Running a configuration both ways must process the
same events with the same module runs (notebook 16 measures the cost of each style).
"""

from __future__ import annotations

from labkit.scheduler.coro import work


def coroutine_body(module):
    """An ``async def`` body equivalent to ``module`` as configured."""
    labels, times, n, wait, label = module.get, module.times, module.n_times, module.wait, module.label
    passes = module.default(None)

    async def body(event):
        requests = [event.get(dep) for dep in labels]
        for request in requests:
            await request
        await work(times[event.index % n], wait)
        return passes if passes is not None else label

    return body


def as_coroutines(modules) -> list:
    """Coroutine twins of ``modules`` (same labels, kinds, times, thread types)."""
    twins = []
    for m in modules:
        options = dict(get=(), times=m.times, wait=m.wait, thread_type=m.thread_type,
                       body=coroutine_body(m))
        twins.append(type(m)(m.label, **options))
    return twins
