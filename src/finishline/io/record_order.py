"""Record order for :mod:`finishline.io.clock_gaps`: are the records in recording order?

Device distance witnesses the order in which records were made. Two rules of
:mod:`finishline.io.plausibility` live here: records whose times ran out of order against their
distance are put back in distance order (rule 1, :func:`reorder_by_distance`), and a few records
at either end whose distance does not fit the records next to them carry a time from elsewhere
(:func:`misplaced_ends`). The thresholds live in :mod:`finishline.definitions`.
"""

from __future__ import annotations

import numpy as np

from finishline.definitions import (
    CLOCK_JUMP_MIN_S,
    DISTANCE_RESTART_M,
    STRAY_MAX_RECORDS,
)
from finishline.geo import haversine_m

NS = 1_000_000_000
#: Distance order replaces time order when its path (or channel roughness) is below this share
#: of the time order's.
REORDER_COST_RATIO = 0.5
#: A step of device distance further back than this (m) goes backwards (devices record
#: centimetres and never decrease; positions-derived distance never does).
DISTANCE_BACK_TOL_M = 0.1


def interval_ns(t_ns: np.ndarray) -> int:
    """The usual sampling interval (ns): the median step under 30 min, else one second."""
    steps = np.diff(t_ns)
    steps = steps[(steps > 0) & (steps < CLOCK_JUMP_MIN_S * NS)]
    return int(np.median(steps)) if steps.size else NS


def _path_cost(
    order: np.ndarray,
    lat,
    lon,
    witness: dict[str, np.ndarray],
    every: bool = False,
    spreads: dict[str, float] | None = None,
) -> float | None:
    """Length of the path (m) through the records in ``order``, or the roughness of the other
    channels when there are too few positions; ``None`` when nothing can tell. ``every``:
    ``order`` is every record in time order, so the channels are read as they are.
    ``spreads``: each channel's standard deviation over the records of ``order``, kept from a
    call on the same records in another order (the spread does not depend on the order)."""

    def take(values: np.ndarray) -> np.ndarray:
        return values if every else values[order]

    # fewer than 3 positions in all can make no path in any order
    if lat is not None and lon is not None and np.count_nonzero(np.isfinite(lat)) >= 3:
        la, lo = take(lat), take(lon)
        ok = np.isfinite(la) & np.isfinite(lo)
        if ok.sum() >= 3 and ok.mean() >= 0.5:
            la, lo = la[ok], lo[ok]
            return float(np.sum(haversine_m(la[:-1], lo[:-1], la[1:], lo[1:])))
    costs = []
    for name, values in witness.items():
        x = take(values)
        finite = np.isfinite(x)
        if not finite.all():
            x = x[finite]
        if x.size >= 10:
            if spreads is None:
                spread = np.std(x)
            elif name not in spreads:
                spread = spreads[name] = np.std(x)
            else:
                spread = spreads[name]
            if spread > 0:
                costs.append(float(np.abs(np.diff(x)).sum() / spread))
    return float(sum(costs)) if costs else None


def reorder_by_distance(t, d, lat, lon, witness, notes) -> tuple[np.ndarray, np.ndarray] | None:
    """Rule 1: records out of time order against their distance go back in distance order.

    Returns the records (indices) in their new order with their times, or ``None``.
    """
    finite = np.isfinite(d)
    n_finite = int(finite.sum())
    if n_finite < 10 or n_finite < 0.95 * d.size:
        return None
    dr = d if n_finite == d.size else d[finite]
    back = np.diff(dr) < -DISTANCE_BACK_TOL_M
    if back.sum() < 2:
        return None
    share = float(back.mean())
    in_time = np.flatnonzero(finite)
    by_distance = in_time[np.argsort(dr, kind="stable")]
    spreads: dict[str, float] = {}  # the same records in both orders: one spread each
    cost_time = _path_cost(in_time, lat, lon, witness, in_time.size == d.size, spreads)
    cost_distance = _path_cost(by_distance, lat, lon, witness, spreads=spreads)
    if cost_time is None or cost_distance is None:
        accept = share >= 0.5
    else:
        ratio = cost_distance / max(cost_time, 1e-9)
        accept = ratio < REORDER_COST_RATIO or (share >= 0.5 and ratio <= 1.1)
    if not accept:
        return None
    times = t[by_distance]
    steps = np.diff(times)
    if steps.size and (steps > 0).mean() >= 0.9:
        interval = interval_ns(times)
        new_t = times[0] + np.r_[0, np.cumsum(np.where(steps > 0, steps, interval))]
        how = "steps back in time made one sampling interval"
    else:
        in_order = t[in_time]  # the same times (by_distance reorders in_time), usually sorted
        new_t = in_order if (in_order[1:] >= in_order[:-1]).all() else np.sort(times)
        how = "their times re-sorted"
    dropped = int((~finite).sum())
    notes.append(
        f"record times ran out of order against the distance ({int(back.sum()):,} of "
        f"{back.size:,} steps went back): records put back in distance order, {how}"
        + (f"; {dropped} records without distance dropped" if dropped else "")
    )
    return by_distance, new_t.astype(np.int64)


def misplaced_ends(d: np.ndarray, notes: list[str]) -> np.ndarray | None:
    """Rule 3, by distance: the first (last) few records whose device distance lies well above
    (below) the records after (before) them carry a time from elsewhere in the recording.

    Returns the records to keep, or ``None`` when all stay.
    """
    idx = np.flatnonzero(np.isfinite(d))
    if idx.size < 10:
        return None
    v = d if idx.size == d.size else d[idx]
    if np.count_nonzero(np.diff(v) < -DISTANCE_BACK_TOL_M) > 2 * STRAY_MAX_RECORDS:
        return None  # more than a few records out of place: rule 1's business
    head = 0
    while head < STRAY_MAX_RECORDS and v[head] > _median_of_few(v[head + 1 : head + 6]) + (
        DISTANCE_RESTART_M
    ):
        head += 1
    tail = 0
    while tail < STRAY_MAX_RECORDS and v[-1 - tail] < _median_of_few(v[-6 - tail : -1 - tail]) - (
        DISTANCE_RESTART_M
    ):
        tail += 1
    if not head and not tail:
        return None
    keep = np.ones(d.size, bool)
    keep[idx[:head]] = False
    keep[idx[idx.size - tail :]] = False
    where = " and ".join(w for w, n in (("start", head), ("end", tail)) if n)
    n = head + tail
    notes.append(
        f"dropped {n} record{'s' if n > 1 else ''} at the {where} whose distance does not fit "
        "the records next to them (a time from elsewhere in the recording)"
    )
    return np.flatnonzero(keep)


def _median_of_few(values: np.ndarray) -> float:
    """:func:`numpy.median` of a few finite values (its middle value for an odd count), without
    its overhead (tens of microseconds for five values)."""
    if values.size % 2 == 0:
        return float(np.median(values))
    return sorted(values.tolist())[values.size // 2]


def take_rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``: a column with no value at all (a channel the file lacks) is made
    anew rather than gathered."""
    if values.dtype == np.float64 and values.size and np.isnan(np.fmax.reduce(values)):
        return np.full(rows.size, np.nan)
    return values[rows]
