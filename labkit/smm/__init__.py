"""Small matrix multiplication (the LIBXSMM samples): JIT-specialized kernels found
through a code registry, batched streaming cases, SPECFEM and NEK kernels, transposes.

Modules: ``spec`` (what a GEMM is), ``codegen`` and ``registry`` (dispatch), ``cases``,
``strategies`` and ``streaming`` (the smm samples), ``specfem``, ``nek``, ``transpose``,
``dispatch_cost`` and ``roofline``; the rest of the sample collection: ``sample`` (the smm
sample's command line, with ``cycles``), ``stacks`` (CP2K), ``wrap`` (wrapped GEMM, with
``rawmem`` and ``wrap_bench``), ``trylock`` and ``registry_report`` (dispatch), ``scratch``,
``mhd``, ``conv`` and ``mhd_sample``; ``workload`` (rough run-time estimates that
:mod:`labkit.lab.limits` checks before a run starts). Importing this package loads no numba: import the
module you need, e.g. ``from labkit.smm.registry import dispatch``.
"""
