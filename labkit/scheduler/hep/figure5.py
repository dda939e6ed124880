"""Figure 5: which modules run in the long low-concurrency periods of an event.

The paper plots the modules running at once over one typical high-pileup event and names
its two long periods of one or two modules: track finding and fitting, then the search for
converted photons. Here each event of the eventTimes cycle is run alone (one event in
flight, enough cores), its low-concurrency periods are found and each is named by the
family of modules holding most of its time (:func:`~labkit.scheduler.hep.analysis.family_of`),
so one can say whether the typical event shows both periods and, where it does not, in
which events each appears and what share of their time it takes.
"""

from __future__ import annotations

from labkit.scheduler.hep.analysis import (concurrency_profile, low_concurrency_periods,
                                           typical_event)
from labkit.scheduler.hep.modules import Source
from labkit.scheduler.hep.processor import EventProcessor, check_positive
from labkit.scheduler.runtime import make_runtime

PERIOD_COLUMNS = ["event", "period", "start", "duration", "family", "family_share",
                  "event_s", "share_of_event", "modules"]


def event_periods(config, event: int, *, cores: int = 16, max_running: int = 2,
                  min_duration: float = 1.0):
    """(concurrency profile, low-concurrency periods) of event ``event`` run alone."""
    check_positive("cores", cores)
    runtime = make_runtime("sim", cores)
    result = EventProcessor(runtime, config.modules, config.paths).run(Source(1, offset=event))
    profile = concurrency_profile(result.trace)
    periods = low_concurrency_periods(profile, max_running=max_running,
                                      min_duration=min_duration)
    return profile, periods.assign(event_s=result.sim_time_s)


def periods_by_event(config, events=None, **options):
    """Every long low-concurrency period of every event (default: one eventTimes cycle).
    Rows: event, period (1, 2, ... in time order), start, duration, family, family_share,
    event_s, share_of_event (the period's duration over the event's time), modules."""
    import pandas as pd

    if events is None:
        events = range(max((m.n_times for m in config.modules), default=1))
    frames = []
    for event in events:
        _, periods = event_periods(config, event, **options)
        frames.append(periods.assign(event=event, period=range(1, len(periods) + 1),
                                     share_of_event=periods.duration / periods.event_s))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return frame.reindex(columns=PERIOD_COLUMNS)


def family_summary(frame):
    """Per family: in how many events a period of it appears, which events, and the mean
    share of those events' time it takes."""
    rows = []
    for family, group in frame.groupby("family"):
        per_event = group.groupby("event").share_of_event.sum()
        rows.append((family, len(per_event), list(per_event.index),
                     float(per_event.mean())))
    import pandas as pd

    return pd.DataFrame(rows, columns=["family", "events", "which", "mean_share_of_event"])


def typical_event_families(config, **options) -> tuple[int, list]:
    """(the typical event by the stated rule, its periods' families in time order)."""
    event = typical_event(config)
    _, periods = event_periods(config, event, **options)
    return event, list(periods.family)


PAPER_PERIODS = ["tracking", "photon conversions"]  # the paper's two long periods, in order


def paper_naming(typical: int, periods, summary) -> tuple[bool, str]:
    """Whether the typical event's long periods are the paper's (tracking, then photon
    conversions), and a note saying what they are and, if the conversion period is not in
    it, in which events of the cycle it appears and what share of their time it takes."""
    families = list(periods.family)
    if families == PAPER_PERIODS:
        return True, (f"typical event {typical}: tracking, then photon conversions, as the "
                      "paper names them")
    by_family = summary.set_index("family")
    events = list(by_family.which.get("photon conversions", []))
    share = float(by_family.mean_share_of_event.get("photon conversions", 0.0))
    where = (f"a photon-conversion period appears in events {events} of the cycle, taking "
             f"{share:.0%} of their time on average" if events else
             "no event of the cycle has a photon-conversion period")
    return False, f"typical event {typical} has {', '.join(families) or 'no long period'}; {where}"
