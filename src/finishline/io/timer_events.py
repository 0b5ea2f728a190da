"""Timer events against the records: events whose times are as broken as the records'.

A device stops writing records when its timer stops. In a file whose record times needed
repair (:mod:`finishline.io.plausibility`, rules 1-4), timer events that have the timer stopped
while the records' distance goes on for more than :data:`TIMER_STOPPED_MOVING_M` carry broken
times too (a mutated or corrupt file shuffles every timestamp, not only the records'): they
are dropped, so that no later stage takes an hour of running for a pause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Timer event types that stop the timer (FIT ``event_type`` names).
TIMER_STOP_TYPES = ("stop", "stop_all", "stop_disable", "stop_disable_all")
#: In a file whose record times needed repair, timer events that have the timer stopped while
#: the device distance goes on further than this (m) carry broken times too: they are dropped.
TIMER_STOPPED_MOVING_M = 1000.0


def timer_stops(events: pd.DataFrame) -> list[tuple[int, int | None]]:
    """The spans the timer events have the timer stopped: (stop, next start) in int64 UTC ns,
    the start ``None`` after a last stop with no start after it."""
    if events.empty or "event" not in events.columns:
        return []
    timer = events[events["event"] == "timer"].sort_values("timestamp", kind="stable")
    spans: list[tuple[int, int | None]] = []
    stopped_at = None
    # a handful of events per file: a plain loop is clearer than a vectorised state machine
    for ts, kind in zip(
        pd.DatetimeIndex(timer["timestamp"]).as_unit("ns").asi8,
        timer["event_type"].astype(str),
        strict=True,
    ):
        if kind in TIMER_STOP_TYPES and stopped_at is None:
            stopped_at = int(ts)
        elif kind == "start" and stopped_at is not None:
            spans.append((stopped_at, int(ts)))
            stopped_at = None
    if stopped_at is not None:
        spans.append((stopped_at, None))
    return spans


def distance_while_stopped(events: pd.DataFrame, t_ns: np.ndarray, d: np.ndarray) -> float:
    """Device distance (m) the records cover while timer events have the timer stopped
    (between a stop and the next start, or after a last stop)."""
    stopped = np.zeros(t_ns.size, dtype=bool)
    for stop, start in timer_stops(events):
        stopped |= (t_ns > stop) if start is None else (t_ns > stop) & (t_ns <= start)
    step = np.diff(np.asarray(d, dtype=float), prepend=np.nan)
    return float(np.nansum(np.where(stopped, np.clip(step, 0.0, None), 0.0)))


def drop_broken_timer(
    events: pd.DataFrame, t_ns: np.ndarray, distance_m: np.ndarray, notes: list[str]
) -> pd.DataFrame:
    """``events`` without its timer events when they have the timer stopped while the
    distance goes on more than :data:`TIMER_STOPPED_MOVING_M`; one sentence in ``notes``.

    Parameters
    ----------
    events
        Events table (``timestamp``, ``event``, ``event_type``), times already repaired.
    t_ns, distance_m
        The records' repaired times (ns since the epoch) and distance (m), in order.
    notes
        Gains the sentence when the events are dropped.
    """
    if events.empty:
        return events
    moved = distance_while_stopped(events, t_ns, distance_m)
    if not moved > TIMER_STOPPED_MOVING_M:
        return events
    notes.append(
        "timer events were dropped: they had the timer stopped while the distance went on "
        f"{moved / 1000:,.1f} km (their times are broken like the records')"
    )
    return events[events["event"] != "timer"]
