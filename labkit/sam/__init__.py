"""The Sparse Abstract Machine (SAM, Hsu et al., ASPLOS'23).

Tensors are fibertrees stored level by level (:mod:`formats`); kernels are dataflow
graphs (:mod:`graph`) of streaming primitives (:mod:`primitives`) that pass streams of
coordinates and references punctuated by stop, empty and done tokens (:mod:`tokens`).
:mod:`custard` compiles tensor index notation, per-tensor formats and a loop order to a
graph; :mod:`simulate` runs it (functional or cycle-approximate) and :mod:`gold` checks
the result against pydata ``sparse``.  Typical use::

    from labkit.sam import run_expression
    res = run_expression("x(i)=B(i,j)*c(j)", {"B": B, "c": c}, formats={"B": "dc"})

Modules: ``tokens`` (stream encoding), ``formats`` and ``mtx`` (tensors, .mtx/.tns),
``primitives`` + ``kernels`` (the primitives; numba loops), ``fibers`` (streams <->
coordinates), ``graph``, ``notation`` + ``custard`` (the compiler), ``simulate``, ``gold``,
``run``, ``studies`` (the paper's studies), ``draw`` and ``whatif`` (notebook charts).

The cycle model is approximate: one token per port per cycle and unbounded FIFOs (no
backpressure); intersecters can model skip-ahead and bitvector word steps; sparse
accumulators take one value per cycle and emit a group once it is complete.  It agrees
within a few percent with a per-cycle token-by-token reference
(``benchmarks/bench_sam_simulator.py``, checked in ``tests/sam/test_cycle_reference.py``).

Importing this package is cheap; numba loads with :mod:`labkit.sam.kernels`.
"""


def run_expression(*args, **kwargs):
    """Compile, simulate and check an expression (see :func:`labkit.sam.run.run_expression`)."""
    from labkit.sam.run import run_expression as _run

    return _run(*args, **kwargs)


__all__ = ["run_expression"]
