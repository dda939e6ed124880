"""The what-if dashboard's two plain functions: compute a small batch of products for a
setting (m, n, k, streaming case, precision, strategy against labkit) and chart it."""

from __future__ import annotations

BATCH = 20_000


def compute(m=8, n=8, k=8, stream="ABC", dtype="float64", strategy="numpy", batch=BATCH):
    """labkit and ``strategy`` on one setting: a tidy frame with GFLOPS and roofline share."""
    import pandas as pd

    from labkit.smm.roofline import add_roofline, limits
    from labkit.smm.streaming import bench

    kernels = ["labkit"] + ([strategy] if strategy != "labkit" else [])
    if "blas" in kernels:                 # one Python call per product: keep it short
        batch = min(batch, 2000)
    rows = [bench(m, n, k, stream=stream, kernel=kn, batch=batch, dtype=dtype, repeat=3)
            for kn in kernels]
    lim = limits(1, quick=True)
    frame = add_roofline(pd.DataFrame(rows), lim["peak_gflops"], lim["stream_gbps"])
    frame["setting"] = f"{m}x{n}x{k} {stream} {dtype}"
    return frame


def chart(frame):
    """GFLOPS per strategy, with the roofline's bound for this setting as a rule."""
    import altair as alt

    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("kernel:N", title=None), y=alt.Y("gflops:Q", title="GFLOPS"),
        color=alt.Color("kernel:N", legend=None),
        tooltip=["kernel", "gflops", "gbps", "seconds", "fraction_of_roof", "max_error"])
    roof = alt.Chart(frame.head(1)).mark_rule(strokeDash=[4, 3], color="#5f6b73").encode(
        y="roof_gflops:Q")
    return (bars + roof).properties(title=frame["setting"].iloc[0] + " (dashed: roofline)",
                                    width=300, height=220)
