"""Altair charts of the SIOMMU studies (plain functions over the tidy frames)."""

from __future__ import annotations

import altair as alt

import labkit.lab.charts  # noqa: F401  (the labkit theme and static export)

KIND_ORDER = ["os", "user", "translation", "device"]


def breakdown(frame, title: str = "Latency by component"):
    """Stacked bars: one bar per path, one panel per size; colour = component."""
    data = frame.assign(size_label=frame["size"].map(_size_label))
    return alt.Chart(data, title=title).mark_bar().encode(
        x=alt.X("path:N", title=None, sort=["linux", "spdk", "siommu"]),
        y=alt.Y("sum(us):Q", title="latency (µs)"),
        color=alt.Color("component:N", title="component"),
        order=alt.Order("kind_rank:Q"),
        column=alt.Column("size_label:N", title="request size",
                          sort=[_size_label(s) for s in sorted(frame["size"].unique())]),
        tooltip=["path", "size", "component", "kind", alt.Tooltip("us:Q", format=".3f")],
    ).transform_calculate(kind_rank=f"indexof({KIND_ORDER}, datum.kind)").properties(width=110)


def lines(frame, x: str, y: str, color: str, title: str, *, x_log: bool = False,
          y_title: str | None = None, x_title: str | None = None):
    """A line per ``color`` value of ``y`` against ``x``."""
    scale = alt.Scale(type="log", base=2) if x_log else alt.Scale(zero=False)
    return alt.Chart(frame, title=title).mark_line(point=True).encode(
        x=alt.X(f"{x}:Q", scale=scale, title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y),
        color=alt.Color(f"{color}:N", title=color),
        tooltip=list(frame.columns),
    )


def _size_label(size: int) -> str:
    return f"{size // 1024} KB" if size >= 1024 else f"{size} B"
