"""The code registry: ``dispatch(m, n, k, ...)`` returns a kernel JIT-specialized for
exactly those parameters, generated once and found again.

Why it is shaped like this (LIBXSMM's dispatch): a lookup of a kernel that exists must
cost less than a microsecond, so the hit path is one tuple build and one dict lookup with
no lock (the GIL makes dict reads atomic; the hit counter is bumped unlocked too, so
under heavy contention it may miss a few increments). Only a miss takes a lock: a per-key lock, so
two threads asking for the same new kernel generate it once while lookups of other
kernels never wait. Generated code lives on disk (see :mod:`labkit.smm.codegen`), so a
new process finds it again without recompiling.
"""

from __future__ import annotations

import threading
import time

from labkit.smm.spec import GemmSpec, make_spec

_RUN_LOCK = threading.Lock()     # compiling batched drivers (numba compiles one at a time anyway)


class Kernel:
    """A generated kernel: ``kernel(a, b, c)`` on column-major buffers, ``kernel.gemm`` the
    raw numba function (views in, no checks) and ``kernel.run`` the batched driver.
    ``generation_s``: time spent generating and compiling it (``run`` included once used);
    ``account``: called with each compile time, for the registry's counter."""

    __slots__ = ("spec", "gemm", "module", "generation_s", "_run", "_account", "hits")

    def __init__(self, spec: GemmSpec, module, generation_s: float, account=None):
        self.spec, self.module, self.generation_s = spec, module, generation_s
        self.gemm = module.gemm
        self._run, self._account = None, account
        self.hits = 0                    # lookups that found it (unlocked, as Registry.hits)

    @property
    def run(self):
        """The batched driver, compiled (or loaded from the disk cache) on first use, once
        even when several threads ask at the same time. Why lazily: its parallel loop is
        the slow part to compile (measured: a new 7x9x11 kernel took 0.7 s with ``gemm``
        alone, 2.2 s with both), and a kernel called one product at a time never needs it."""
        run = self._run
        if run is None:
            with _RUN_LOCK:              # kernels of other registries may share the module
                run = self.module.run
                if not run.signatures:
                    from pathlib import Path

                    from labkit.smm.codegen import rebuilt_on_failure

                    start = time.perf_counter()
                    rebuilt_on_failure(Path(self.module.__file__),
                                       lambda: run.compile(self.module.RUN_SIGNATURE))
                    run.disable_compile()                # this signature only, as gemm's
                    took = time.perf_counter() - start
                    self.generation_s += took
                    if self._account is not None:
                        self._account(took)
                self._run = run
        return run

    def __call__(self, a, b, c):
        """``C = alpha*op(A)*op(B) + beta*C`` on one product; arrays are checked first."""
        from labkit.smm.operands import flat

        s = self.spec
        self.gemm(flat("a", a, s.a_size, s.dtype), flat("b", b, s.b_size, s.dtype),
                  flat("c", c, s.c_size, s.dtype, writable=True))
        return c

    def __repr__(self):
        return f"Kernel({self.spec.name})"


class Registry:
    """Kernels by key, with hit/miss counters and the time spent generating."""

    def __init__(self):
        self._kernels: dict[tuple, Kernel] = {}
        self._locks: dict[GemmSpec, threading.Lock] = {}
        self._guard = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.generation_s = 0.0

    def dispatch(self, m, n, k, lda=None, ldb=None, ldc=None, alpha=1.0, beta=1.0,
                 transa="N", transb="N", dtype="float64", prefetch="none") -> Kernel:
        key = (m, n, k, lda, ldb, ldc, alpha, beta, transa, transb, dtype, prefetch)
        kernel = self._kernels.get(key)
        if kernel is not None:
            self.hits += 1
            kernel.hits += 1
            return kernel
        return self._miss(key)

    def _miss(self, key: tuple) -> Kernel:
        spec = make_spec(*key)                       # InputError before any compilation
        kernel = self._kernels.get(spec)
        if kernel is None:
            with self._guard:
                lock = self._locks.setdefault(spec, threading.Lock())
            with lock:                               # one generation per spec
                kernel = self._kernels.get(spec)
                if kernel is None:
                    kernel = self._generate(spec)
                    self._kernels[key] = kernel
                    return kernel
        with self._guard:                            # generated meanwhile, or another spelling
            self.hits += 1
            self._kernels[key] = kernel
        return kernel

    def try_dispatch(self, m, n, k, lda=None, ldb=None, ldc=None, alpha=1.0, beta=1.0,
                     transa="N", transb="N", dtype="float64", prefetch="none") -> Kernel | None:
        """LIBXSMM's ``LIBXSMM_TRYLOCK``: the kernel, generating it if needed, unless another
        thread is generating that very kernel right now: then None at once (the caller
        uses a fallback instead of waiting for the generation)."""
        key = (m, n, k, lda, ldb, ldc, alpha, beta, transa, transb, dtype, prefetch)
        kernel = self._kernels.get(key)
        if kernel is not None:
            self.hits += 1
            kernel.hits += 1
            return kernel
        spec = make_spec(*key)
        with self._guard:
            lock = self._locks.setdefault(spec, threading.Lock())
        if not lock.acquire(blocking=False):
            return None
        try:
            kernel = self._kernels.get(spec) or self._generate(spec)
        finally:
            lock.release()
        with self._guard:
            self._kernels[key] = kernel
        return kernel

    def kernels(self) -> list:
        """Every distinct kernel in this registry (one per spec)."""
        return [kern for key, kern in list(self._kernels.items()) if isinstance(key, GemmSpec)]

    def _generate(self, spec: GemmSpec) -> Kernel:
        from labkit.smm import codegen

        start = time.perf_counter()
        module = codegen.load(spec)
        took = time.perf_counter() - start
        kernel = Kernel(spec, module, took, account=self._account)
        with self._guard:
            self.misses += 1
            self.generation_s += took
            self._kernels[spec] = kernel
        return kernel

    def lookup(self, spec, generate):
        """A kernel of another kind (a copy or transpose, :mod:`labkit.smm.copy_kernels`)
        keyed by its frozen ``spec``: found, or made once by ``generate(spec)`` (a
        ``(kernel, seconds)`` pair) under the spec's lock, counted like GEMM kernels."""
        kernel = self._kernels.get(spec)
        if kernel is not None:
            self.hits += 1
            return kernel
        with self._guard:
            lock = self._locks.setdefault(spec, threading.Lock())
        with lock:
            kernel = self._kernels.get(spec)
            if kernel is None:
                kernel, took = generate(spec)
                with self._guard:
                    self.misses += 1
                    self.generation_s += took
                    self._kernels[spec] = kernel
                return kernel
        self.hits += 1
        return kernel

    def _account(self, seconds: float) -> None:
        with self._guard:
            self.generation_s += seconds

    def stats(self) -> dict:
        """Counters: ``hits``, ``misses``, ``kernels`` (distinct specs), ``generation_s``."""
        kernels = sum(1 for key in list(self._kernels) if not isinstance(key, tuple))
        return {"hits": self.hits, "misses": self.misses, "kernels": kernels,
                "generation_s": self.generation_s}

    def clear(self) -> None:
        """Forget every kernel in this process (the on-disk cache stays)."""
        with self._guard:
            self._kernels.clear()
            self._locks.clear()
            self.hits = self.misses = 0
            self.generation_s = 0.0


REGISTRY = Registry()


def dispatch(m, n, k, lda=None, ldb=None, ldc=None, alpha=1.0, beta=1.0, transa="N",
             transb="N", dtype="float64", prefetch="none") -> Kernel:
    """The kernel for these parameters from the process-wide registry (see module doc).

    ``prefetch='next'`` (LIBXSMM's prefetch kernels): the batched driver ``kernel.run``
    touches the next product's operands a few cache lines per step of k
    (:func:`labkit.smm.codegen.spread_prefetch`); a single product is computed the same
    either way. ``'none'`` (the default) leaves fetching to the hardware."""
    return REGISTRY.dispatch(m, n, k, lda, ldb, ldc, alpha, beta, transa, transb, dtype,
                             prefetch)
