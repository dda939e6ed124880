"""Altair charts of the scheduler studies (plain functions over tidy DataFrames)."""

from __future__ import annotations

import altair as alt


def timing_diagram(trace, *, title: str = "Timing diagram"):
    """Module runs as bars: one row per core (sleeping tasks on row -1), colour = module,
    label = event number."""
    runs = trace[trace["task"].isin(["module", "work"])].copy()
    runs["lane"] = runs["core"].map(lambda c: f"core {c}" if c >= 0 else "sleeping")
    runs["event"] = runs["event"].astype(str)
    span = float(runs["end"].max() - runs["start"].min()) or 1.0
    wide = (runs["end"] - runs["start"]) >= 0.06 * span  # label only bars it fits in
    runs["label"] = (runs["module"] + " #" + runs["event"]).where(wide, "")
    base = alt.Chart(runs, title=title).encode(
        x=alt.X("start:Q", title="time (s)"), x2="end:Q",
        y=alt.Y("lane:N", title=None),
        tooltip=["module", "event", "start", "end", "core"])
    bars = base.mark_bar(height=18, stroke="white").encode(color=alt.Color("module:N"))
    labels = base.mark_text(dx=3, align="left", color="white", fontSize=10).encode(
        x="start:Q", text=alt.Text("label:N"))
    return (bars + labels).properties(width=560, height=40 * runs["lane"].nunique())


def throughput_lines(frame, *, y: str = "throughput", title: str = "", log_x: bool = False,
                     y_title: str = "events / s"):
    """One line per curve over events in flight."""
    scale = alt.Scale(type="log") if log_x else alt.Scale()
    return alt.Chart(frame, title=title).mark_line(point=True).encode(
        x=alt.X("inflight:Q", title="events in flight", scale=scale),
        y=alt.Y(f"{y}:Q", title=y_title),
        color=alt.Color("curve:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["curve", "inflight", alt.Tooltip(f"{y}:Q", format=".3f")],
    ).properties(width=480, height=280)


def concurrency_step(profile, periods=None, *, title: str = "Modules running"):
    """The concurrency step function, long low-concurrency periods shaded."""
    line = alt.Chart(profile, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("start:Q", title="time in the event (s)"),
        y=alt.Y("running:Q", title="modules running"),
        tooltip=["start", "end", "running"])
    if periods is None or len(periods) == 0:
        return line.properties(width=560, height=240)
    shade = alt.Chart(periods.assign(first=periods["modules"].str.split(", ").str[0])).mark_rect(
        opacity=0.2, color="#e07b22").encode(x="start:Q", x2="end:Q",
                                            tooltip=["first", "duration"])
    return (shade + line).properties(width=560, height=240)


def module_timeline(trace, *, title: str = "Timing diagram"):
    """The paper's Figure 2 layout: one row per module (in order of first start), time
    across, a bar per run labelled with its event number."""
    runs = trace[trace["task"] == "module"].copy()
    runs["event"] = runs["event"].astype(str)
    order = list(runs.sort_values("start")["module"].drop_duplicates())
    base = alt.Chart(runs, title=title).encode(
        x=alt.X("start:Q", title="time (s)"), x2="end:Q",
        y=alt.Y("module:N", sort=order, title=None),
        tooltip=["module", "event", "start", "end", "core"])
    bars = base.mark_bar(height=16, stroke="white").encode(color=alt.Color("event:N"))
    labels = base.mark_text(dx=3, align="left", color="white", fontSize=10).encode(
        text=alt.Text("event:N"))
    return bars + labels
