"""What is in the code registry, as ``LIBXSMM_VERBOSE=2`` prints it at exit
(``Registry: 20 MB (gemm=0 mcopy=0 tcopy=1)``): kernels by kind, with their sizes, the
hits each had, the time spent generating each and the size of its generated code.
"""

from __future__ import annotations

import os

from labkit.smm.registry import REGISTRY


def kernels(registry=REGISTRY):
    """One row per kernel: ``kind`` (gemm unless the kernel says otherwise), ``size``
    (m x n x k), the spec's other fields, ``hits``, ``generation_s``, ``code_bytes``."""
    import pandas as pd

    rows = []
    for kern in registry.kernels():
        s = kern.spec
        path = getattr(kern.module, "__file__", None)
        rows.append({"kind": getattr(kern, "kind", "gemm"), "size": f"{s.m}x{s.n}x{s.k}",
                     "ld": f"{s.lda},{s.ldb},{s.ldc}", "trans": s.transa + s.transb,
                     "beta": s.beta, "dtype": s.dtype, "prefetch": s.prefetch,
                     "hits": kern.hits, "generation_s": kern.generation_s,
                     "code_bytes": os.path.getsize(path) if path and os.path.exists(path) else 0})
    return pd.DataFrame(rows, columns=["kind", "size", "ld", "trans", "beta", "dtype", "prefetch",
                                       "hits", "generation_s", "code_bytes"])


def summary(registry=REGISTRY) -> dict:
    """Counts by kind, total code bytes, hits and misses: the one line LIBXSMM prints."""
    frame = kernels(registry)
    by_kind = {str(k): int(v) for k, v in frame["kind"].value_counts().items()} if len(frame) else {}
    stats = registry.stats()
    return {"kernels": int(len(frame)), "by_kind": by_kind, "code_bytes": int(frame["code_bytes"].sum()),
            "hits": int(stats["hits"]), "misses": int(stats["misses"]),
            "generation_s": float(stats["generation_s"])}


def report(registry=REGISTRY) -> str:
    """The verbose report as text: the summary line, then one line per kernel."""
    head = summary(registry)
    kinds = " ".join(f"{k}={v}" for k, v in sorted(head["by_kind"].items())) or "gemm=0"
    lines = [f"Registry: {head['code_bytes'] / 1024:.1f} KB ({kinds}), hits={head['hits']} "
             f"misses={head['misses']} generation={head['generation_s']:.2f} s"]
    for row in kernels(registry).sort_values("hits", ascending=False).itertuples():
        lines.append(f"  {row.kind:5} {row.size:>10} ld={row.ld:<9} {row.trans} beta={row.beta:g} "
                     f"{row.dtype} {row.prefetch:4}  hits={row.hits:<8} {row.generation_s * 1e3:7.1f} ms")
    return "\n".join(lines)
