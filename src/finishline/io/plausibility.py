"""Physical plausibility at the reader boundary: no later stage sees an impossible value.

:func:`~finishline.activity.make_activity` calls :func:`enforce` for every activity any reader
builds, after the schema is enforced (samples in time order, duplicate times dropped) and
before ``elapsed_s`` is derived. What is impossible is masked (NaN), repaired or dropped; each
kind of repair adds one sentence to ``meta.warnings`` and one :class:`ImplausibleDataWarning`.
The thresholds live in :mod:`finishline.definitions`.

Values
------
Positions outside WGS84 (latitude -90..90, longitude -180..180 deg) lose both coordinates;
altitude outside -500..9,000 m, heart rate outside 25-250 bpm, speed outside 0-100 m/s,
cadence outside 0-300 steps/min, power outside 0-3,000 W, temperature outside -60..70 degC and
distance outside 0 m..60,480 km become NaN, as do infinities. Where the reader computed
distance from positions, it is recomputed from the positions that remain.

Time (not for courses, which have no times)
-------------------------------------------
Device distance is the witness of the recording order (a reader's distance summed from
positions is not: the positions themselves are).

1. **Order.** At most 3 records at the start (end) whose distance lies more than 100 m above
   (below) the records after (before) them carry a time from elsewhere: they are dropped. When
   device distance steps back at two or more records and the records put in distance order make
   a much shorter path (positions) or smoother channels (heart rate, altitude, cadence, power,
   speed) than in time order (less than half the cost), or when most steps go back and
   distance order is no worse, the times are out of order (shuffled, reversed, a clock set back
   into the recording): the records are put in distance order and get the sorted times (or,
   when their own times mostly increase, keep them and each step back becomes one sampling
   interval).
2. **Clock jumps.** A forward step of at least 30 min is a clock jump when the recording goes
   on across it as if nothing happened: in motion (over 1 m/s) on both sides, and having moved
   at most 4 x a sampling interval's worth plus 10 m of device distance -- or, with positions
   only, between a quarter of and 4 x that (plus 10 m) in the runner's heading (within 45
   degrees of the steps on both sides), since positions alone cannot tell a runner standing in
   GPS drift from one walking on. The later records are shifted back so the step is one
   sampling interval (the earlier ones forward when they are at most 3 records). A real pause
   -- device distance within 1 m and position within 25 m of where they were -- is kept. A step
   where device distance drops by more than 100 m (a gap of any length), or a gap of 30 min or
   more where positions do not go on, is a clock set back before the start when the last record
   continues into the first: the two parts are put back in recording order. The gap before a
   session's first record (when a reader made several sessions: TCX activities one after the
   other, FIT multisport legs) is the reader's boundary between recordings, not a jump.
3. **Strays.** At most 3 records an hour or more away from all the others are dropped.
4. **Span.** A gap of a day or more, or of an hour or more that lasts over ten times all the
   recorded time (steps under 30 min), splits the recording and the part with the most records
   is kept (never at a session's first record: where a reader already split the file into
   activities, it owns the split and keeps them as sessions); what still spans more than 7
   days is refused (:class:`CorruptFileError`), so no later stage builds a 1 Hz grid over
   weeks, and so is a span of more than a day with fewer than one sample an hour
   (:class:`EmptyActivityError`). (The 1 Hz track itself covers at
   most 100 s per sample, or a day: :func:`finishline.clean.clean`.)

Events, laps and sessions follow the records' clock repairs (each time moves with the record
at or before it); distance a reader summed from positions is summed again in the new order.
Timer events that, after such a repair, have the timer stopped while the distance goes on more
than 1 km carry broken times too and are dropped (:mod:`finishline.io.timer_events`).
Device distance that starts more than 100 m above 0 is counted from the first record.

Distance (after the clock)
--------------------------
Device distance that still goes back at more than 20 % of its steps is garbled: it is
discarded and recomputed from positions where there are any. Otherwise isolated values that
break the order on both sides are removed, steps faster than 100 m/s add nothing, a drop of more
than 100 m is a restart that is continued, and smaller drops (GPS jitter) are held. Distance
from positions gets no step faster than 100 m/s; when more than 20 % of its steps (and at
least 10) are that fast the track zigzags (times out of order with it, and nothing to reorder
by): positions, distance and speed are discarded.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from finishline.definitions import (
    ALTITUDE_RANGE_M,
    CADENCE_RANGE_SPM,
    DISORDER_SHARE,
    DISTANCE_RANGE_M,
    DISTANCE_RESTART_M,
    HR_RANGE_BPM,
    LATITUDE_RANGE_DEG,
    LONGITUDE_RANGE_DEG,
    MAX_SAMPLE_SPEED_MPS,
    POWER_RANGE_W,
    TEMPERATURE_RANGE_C,
)
from finishline.errors import FinishlineWarning
from finishline.geo import step_distance_m
from finishline.io.clock_gaps import TimeRepair, repair_clock
from finishline.io.record_order import DISTANCE_BACK_TOL_M, take_rows
from finishline.io.timer_events import drop_broken_timer


class ImplausibleDataWarning(FinishlineWarning):
    """Values outside physical ranges were removed, or a broken clock or distance repaired."""


#: Channels checked against a range: column -> ((low, high), what, unit) for the sentence.
VALUE_RANGES: dict[str, tuple[tuple[float, float], str, str]] = {
    "altitude_m": (ALTITUDE_RANGE_M, "altitude", "m"),
    "heart_rate_bpm": (HR_RANGE_BPM, "heart-rate", "bpm"),
    "speed_mps": ((0.0, MAX_SAMPLE_SPEED_MPS), "speed", "m/s"),
    "cadence_spm": (CADENCE_RANGE_SPM, "cadence", "steps/min"),
    "power_w": (POWER_RANGE_W, "power", "W"),
    "temperature_c": (TEMPERATURE_RANGE_C, "temperature", "degC"),
    "distance_m": (DISTANCE_RANGE_M, "distance", "m"),
}
#: Channels whose smoothness witnesses the record order when there are no positions.
WITNESS_CHANNELS = ("heart_rate_bpm", "altitude_m", "cadence_spm", "power_w", "speed_mps")


def _fmt_range(low: float, high: float) -> str:
    return f"{low:,.0f}-{high:,.0f}" if low >= 0 else f"{low:,.0f} to {high:,.0f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def mask_values(columns: dict[str, np.ndarray], notes: list[str]) -> set[str]:
    """Mask out-of-range values (NaN); returns the names of the columns that changed.

    A column with something to mask is replaced by a masked copy in ``columns``; the arrays
    passed in are never written.
    """
    changed = set()
    for name, ((low, high), what, unit) in VALUE_RANGES.items():
        x = columns.get(name)
        if x is None or _within(x, low, high):
            continue
        with np.errstate(invalid="ignore"):
            bad = (x < low) | (x > high)  # NaN is neither: missing is not out of range
        n = int(np.count_nonzero(bad))
        if n:
            columns[name] = np.where(bad, np.nan, x)
            changed.add(name)
            were = "were" if n > 1 else "was"
            notes.append(
                f"{_plural(n, what + ' value')} outside {_fmt_range(low, high)} {unit} {were} removed"
            )
    lat, lon = columns.get("lat_deg"), columns.get("lon_deg")
    if lat is not None and lon is not None and not (_all_nan(lat) and _all_nan(lon)):
        with np.errstate(invalid="ignore"):
            lat_ok = (lat >= LATITUDE_RANGE_DEG[0]) & (lat <= LATITUDE_RANGE_DEG[1])
            lon_ok = (lon >= LONGITUDE_RANGE_DEG[0]) & (lon <= LONGITUDE_RANGE_DEG[1])
        bad = (~np.isnan(lat) | ~np.isnan(lon)) & ~(lat_ok & lon_ok)
        n = int(bad.sum())
        if n:
            columns["lat_deg"] = np.where(bad, np.nan, lat)
            columns["lon_deg"] = np.where(bad, np.nan, lon)
            changed |= {"lat_deg", "lon_deg"}
            were = "were" if n > 1 else "was"
            notes.append(
                f"{_plural(n, 'position')} outside latitude -90..90 / longitude -180..180 deg "
                f"{were} removed"
            )
    return changed


def _within(x: np.ndarray, low: float, high: float) -> bool:
    """No value of ``x`` outside ``low..high``: NaN is not (fmin/fmax skip it); no masks."""
    smallest, largest = (np.fmin.reduce(x), np.fmax.reduce(x)) if x.size else (np.nan, np.nan)
    return bool(np.isnan(smallest) or (smallest >= low and largest <= high))


def _all_nan(x: np.ndarray) -> bool:
    return x.size == 0 or bool(np.isnan(np.fmax.reduce(x)))


def distance_from_positions(
    lat: np.ndarray,
    lon: np.ndarray,
    t_s: np.ndarray | None = None,
    breaks: np.ndarray | None = None,
) -> np.ndarray:
    """Cumulative great-circle distance (m) along the valid positions; NaN where none.

    A step faster than 100 m/s (when times are given) adds nothing, nor does a step across a
    ``breaks`` record (a new track segment).
    """
    step = step_distance_m(lat, lon, breaks)
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if t_s is not None and ok.size >= 2:
        dt = np.maximum(np.diff(t_s[ok]), 1.0)
        hop = step[ok[1:]]
        hop[hop / dt > MAX_SAMPLE_SPEED_MPS] = 0.0
        step[ok[1:]] = hop
    out = np.cumsum(step)
    out[np.isnan(lat) | np.isnan(lon)] = np.nan
    return out


def _segment_breaks(distance_m: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Where a reader's distance from positions did not count a move (a new segment)."""
    moved = step_distance_m(lat, lon) > 0.01
    still = np.r_[False, np.diff(distance_m) == 0.0]
    return moved & still


def _order_spikes(d: np.ndarray, tol: float = 1.0) -> np.ndarray:
    """True at values that break the order on both sides while their neighbours agree."""
    bad = np.zeros(d.size, bool)
    for _ in range(3):
        idx = np.flatnonzero(np.isfinite(d) & ~bad)
        if idx.size < 3:
            break
        v = d[idx]
        prev, cur, nxt = v[:-2], v[1:-1], v[2:]
        agree = prev <= nxt + tol
        spike = agree & (((cur > nxt + tol) & (cur > prev)) | ((cur < prev - tol) & (cur < nxt)))
        if not spike.any():
            break
        bad[idx[1:-1][spike]] = True
    return bad


def repair_distance(d: np.ndarray, t_s: np.ndarray, notes: list[str]) -> np.ndarray:
    """Monotone device distance (see the module rules); ``d`` is in the final time order."""
    finite = slice(None) if np.isfinite(d).all() else np.flatnonzero(np.isfinite(d))  # (views)
    step = np.diff(d[finite])  # the usual case, in order: no spike, restart or step back
    rate = step / np.maximum(np.diff(t_s[finite]), 1.0)
    if (step >= 0).all() and not (rate > MAX_SAMPLE_SPEED_MPS).any():
        return d
    spikes = _order_spikes(d)
    finite = np.flatnonzero(np.isfinite(d) & ~spikes)
    if finite.size < 2:
        return d
    step = np.diff(d[finite])
    dt = np.maximum(np.diff(t_s[finite]), 1.0)
    too_fast = step / dt > MAX_SAMPLE_SPEED_MPS
    restart = step < -DISTANCE_RESTART_M
    jitter = (step < 0) & ~restart
    if not (spikes.any() or too_fast.any() or restart.any() or jitter.any()):
        return d
    step[too_fast | restart] = 0.0
    out = np.full(d.shape, np.nan)
    out[finite] = np.maximum.accumulate(d[finite[0]] + np.r_[0.0, np.cumsum(step)])
    if spikes.any():
        notes.append(
            f"{_plural(int(spikes.sum()), 'distance value')} out of order with both "
            "neighbours removed"
        )
    if too_fast.any():
        notes.append(
            f"{_plural(int(too_fast.sum()), 'distance jump')} faster than "
            f"{MAX_SAMPLE_SPEED_MPS:.0f} m/s removed"
        )
    if restart.any() or jitter.any():
        kinds = []
        if restart.any():
            kinds.append(
                f"{_plural(int(restart.sum()), 'restart')} of more than "
                f"{DISTANCE_RESTART_M:.0f} m continued"
            )
        if jitter.any():
            kinds.append(f"{_plural(int(jitter.sum()), 'small step')} back held")
        n = int(restart.sum() + jitter.sum())
        notes.append(
            f"distance went backwards at {_plural(n, 'record')}; made monotone ({', '.join(kinds)})"
        )
    return out


def _distance_checks(
    cols: dict[str, np.ndarray],
    t_s: np.ndarray,
    from_positions: bool,
    meta: object,
    notes: list[str],
) -> np.ndarray:
    """Distance after the clock repairs: discarded when garbled, else made monotone."""
    d = cols["distance_m"]
    lat, lon = cols.get("lat_deg"), cols.get("lon_deg")
    has_positions = lat is not None and lon is not None and np.count_nonzero(np.isfinite(lat)) >= 2
    finite = d if np.isfinite(d).all() else d[np.isfinite(d)]
    if from_positions and has_positions:
        step = np.diff(d)
        with np.errstate(invalid="ignore"):
            fast = step / np.maximum(np.diff(t_s), 1.0) > MAX_SAMPLE_SPEED_MPS
        if not fast.any():
            return d
        n_steps = int(np.isfinite(step).sum())
        if fast.sum() >= 10 and fast.sum() > DISORDER_SHARE * n_steps:
            # the track zigzags: times out of order with the positions, and no distance to
            # put them back in order by
            notes.append(
                f"positions jump faster than {MAX_SAMPLE_SPEED_MPS:.0f} m/s at "
                f"{int(fast.sum()):,} of {n_steps:,} steps (times out of order with the track): "
                "positions, distance and speed were discarded"
            )
            for name in ("lat_deg", "lon_deg", "speed_mps"):
                if name in cols:
                    cols[name] = np.full(d.shape, np.nan)
            meta.distance_source = None  # type: ignore[attr-defined]
            return np.full(d.shape, np.nan)
        notes.append(
            f"{_plural(int(fast.sum()), 'position step')} faster than "
            f"{MAX_SAMPLE_SPEED_MPS:.0f} m/s added no distance"
        )
        return distance_from_positions(lat, lon, t_s, _segment_breaks(d, lat, lon))
    if finite.size >= 10:
        back = np.diff(finite) < -DISTANCE_BACK_TOL_M
        if back.mean() > DISORDER_SHARE:
            notes.append(
                f"distance went backwards at {int(back.sum()):,} of {finite.size:,} records: "
                "the recorded distance was discarded"
                + (" and recomputed from positions" if has_positions else "")
            )
            if has_positions:
                meta.distance_source = "positions"  # type: ignore[attr-defined]
                return distance_from_positions(lat, lon, t_s)
            meta.distance_source = None  # type: ignore[attr-defined]
            return np.full(d.shape, np.nan)
    d = repair_distance(d, t_s, notes)
    start = d[:1] if d.size and np.isfinite(d[0]) else d[np.isfinite(d)][:1]
    if start.size and start[0] > DISTANCE_RESTART_M:  # an odometer or a corrupt value
        notes.append(f"distance starts at {start[0]:,.0f} m: counted from the first record")
        d = d - start[0]
    return d


def _shift_times(frame: pd.DataFrame, column: str, repair: TimeRepair) -> pd.DataFrame:
    if frame.empty or column not in frame.columns:
        return frame
    values = pd.DatetimeIndex(frame[column]).as_unit("ns")
    mapped = repair.map_times(values.asi8.copy(), np.asarray(values.isna()))
    out = frame.copy()
    out[column] = pd.DatetimeIndex(mapped, tz="UTC").as_unit("ns").array
    return out


def _session_starts_ns(sessions: pd.DataFrame) -> np.ndarray | None:
    """The sessions' start times (int64 ns) when a reader made several, else ``None``."""
    if len(sessions) < 2 or "start_time" not in sessions.columns:
        return None
    starts = pd.DatetimeIndex(sessions["start_time"]).as_unit("ns")
    return starts.asi8[~starts.isna()]


def _emit(notes: list[str], meta: object, stacklevel: int) -> None:
    source = getattr(meta, "source_path", None)
    for note in notes:
        meta.warnings.append(note)  # type: ignore[attr-defined]
        text = f"{source}: {note}" if source else note
        warnings.warn(text, ImplausibleDataWarning, stacklevel=stacklevel)


def enforce(
    columns: dict[str, object],
    t_ns: np.ndarray,
    meta: object,
    laps: pd.DataFrame,
    sessions: pd.DataFrame,
    events: pd.DataFrame,
    stacklevel: int = 4,
) -> tuple[dict[str, object], np.ndarray, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the module's rules to one activity's tables (conformed by ``make_activity``).

    Parameters
    ----------
    columns
        The sample columns, each declared one present as float64 (numpy arrays, or pandas
        arrays for extra columns of text or times), one value per time.
    t_ns
        The sample times, int64 UTC nanoseconds, in time order (file order for a course).
    meta
        The :class:`~finishline.activity.ActivityMeta`; its ``warnings`` gain one sentence per
        kind of repair, and ``distance_source`` changes when the distance is recomputed.
    laps, sessions, events
        The conformed tables.
    stacklevel
        Of the warnings, counted from here: 4 names the caller of the function that called
        ``enforce``'s caller.

    Returns
    -------
    tuple
        Sample columns, times, laps, sessions and events, repaired (the inputs themselves when
        nothing was).

    Raises
    ------
    CorruptFileError
        The samples span more than any activity can, even after repair.
    """
    notes: list[str] = []
    names = set(VALUE_RANGES) | {"lat_deg", "lon_deg"}
    cols = {c: columns[c] for c in columns if c in names}
    changed = mask_values(cols, notes)  # type: ignore[arg-type]
    is_course = bool(getattr(meta, "is_course", False))
    from_positions = getattr(meta, "distance_source", None) == "positions"
    n = t_ns.size
    timed = not is_course and n >= 2
    t_s = (t_ns - t_ns[0]) / 1e9 if timed else None
    if changed & {"lat_deg", "lon_deg"} and from_positions and "distance_m" in cols:
        breaks = _segment_breaks(cols["distance_m"], columns["lat_deg"], columns["lon_deg"])
        cols["distance_m"] = distance_from_positions(cols["lat_deg"], cols["lon_deg"], t_s, breaks)
        changed.add("distance_m")

    repair = None
    if timed:
        # distance a reader derived from positions says nothing the positions do not
        device = "distance_m" in cols and not from_positions
        repair = repair_clock(
            t_ns,
            cols["distance_m"] if device else np.full(n, np.nan),
            cols.get("lat_deg"),
            cols.get("lon_deg") if "lat_deg" in cols else None,
            {c: cols[c] for c in WITNESS_CHANNELS if c in cols},
            getattr(meta, "source_path", None),
            cols.get("distance_m") if not device else None,
            _session_starts_ns(sessions),
        )
        notes += repair.notes
        if repair.changed:
            in_order = bool((np.diff(repair.rows) > 0).all())
            if from_positions and "distance_m" in cols and "lat_deg" in cols:
                breaks = _segment_breaks(cols["distance_m"], cols["lat_deg"], cols["lon_deg"])
            cols = {name: take_rows(values, repair.rows) for name, values in cols.items()}
            t_ns = repair.t_ns
            t_s = (t_ns - t_ns[0]) / 1e9 if t_ns.size else t_ns.astype(float)
            if from_positions and "distance_m" in cols and "lat_deg" in cols:
                # the reader summed the positions in the broken time order: sum them again
                cols["distance_m"] = distance_from_positions(
                    cols["lat_deg"], cols["lon_deg"], t_s, breaks[repair.rows] if in_order else None
                )
        else:
            repair = None
    if timed and "distance_m" in cols and t_s is not None and t_s.size >= 2:
        before = {
            name: cols[name]
            for name in ("distance_m", "lat_deg", "lon_deg", "speed_mps")
            if name in cols
        }
        cols["distance_m"] = _distance_checks(cols, t_s, from_positions, meta, notes)
        changed |= {name for name, values in before.items() if cols[name] is not values}

    if not notes:
        return columns, t_ns, laps, sessions, events
    if repair is not None:
        rows = repair.rows
        columns = {
            name: cols[name] if name in cols else values[rows]  # type: ignore[index]
            for name, values in columns.items()
        }
        laps = _shift_times(laps, "start_time", repair)
        sessions = _shift_times(sessions, "start_time", repair)
        events = _shift_times(events, "timestamp", repair)
        if "distance_m" in cols:
            events = drop_broken_timer(events, repair.t_ns, cols["distance_m"], notes)
        if getattr(meta, "start_time", None) is not None and rows.size:
            meta.start_time = pd.Timestamp(int(t_ns[0]), unit="ns", tz="UTC")  # type: ignore[attr-defined]
    else:
        columns = {name: cols[name] if name in changed else v for name, v in columns.items()}
    _emit(notes, meta, stacklevel)
    return columns, t_ns, laps, sessions, events
