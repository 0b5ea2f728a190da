"""Long steps in time for :mod:`finishline.io.plausibility`: jumps, a clock set back, strays, span.

:func:`repair_clock` works on the record times (int64 ns, in time order as the schema sorts
them), the device distance and the positions, and returns which records to keep in which order
with which times (:class:`TimeRepair`). It first asks :mod:`finishline.io.record_order` whether
the records are in recording order (rule 1 and the misplaced ends), then judges each gap of 30
min or more here: a clock jump inside a continuous recording, a clock set back before the
start, a few stray records, or a split into parts. The rules and their thresholds are described
in :mod:`finishline.io.plausibility`; the thresholds live in :mod:`finishline.definitions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from finishline.definitions import (
    CLOCK_JUMP_CONTINUITY,
    CLOCK_JUMP_MIN_S,
    CLOCK_JUMP_MOVING_MPS,
    CLOCK_JUMP_SLACK_M,
    DISTANCE_RESTART_M,
    MAX_ACTIVITY_SPAN_S,
    MAX_MEAN_SAMPLE_INTERVAL_S,
    PAUSE_DISTANCE_M,
    PAUSE_POSITION_M,
    PAUSE_RATIO_MAX,
    SPLIT_GAP_S,
    STRAY_GAP_S,
    STRAY_MAX_RECORDS,
)
from finishline.errors import CorruptFileError, EmptyActivityError
from finishline.geo import haversine_m
from finishline.io.record_order import NS, interval_ns, misplaced_ends, reorder_by_distance

#: Steps on each side of a gap that tell how the runner was moving there.
LOCAL_STEPS = 5
#: Across a clock jump found from positions alone, the step keeps the heading of the steps
#: on both sides within this cosine (45 degrees).
HEADING_COS_MIN = 0.7
#: At most this many jumps are named one by one in the warnings.
NAMED_JUMPS = 3
#: A session's first record may lie up to this long (s) before the session's start time.
SESSION_START_TOLERANCE_S = 60.0


@dataclass
class TimeRepair:
    """Records to keep (``rows``, indices into the input) in order, with times ``t_ns``."""

    rows: np.ndarray
    t_ns: np.ndarray
    original_ns: np.ndarray
    #: Each kept record's time before the shifts of rules 2-4 (after a rule-1 reorder, which
    #: only redistributes the recorded times): what other tables' times are matched against.
    base_ns: np.ndarray
    notes: list[str] = field(default_factory=list)
    #: False when every record is kept in place with its own time.
    changed: bool = True

    def map_times(self, values_ns: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Move other tables' times with the record at or before them (in the input clock)."""
        source = self.base_ns
        order = np.argsort(source, kind="stable")
        shift = (self.t_ns - source)[order]
        at = np.clip(np.searchsorted(source[order], values_ns, side="right") - 1, 0, None)
        out = values_ns + shift[np.minimum(at, shift.size - 1)]
        out[missing] = np.iinfo(np.int64).min  # NaT
        return out


def human_duration(seconds: float) -> str:
    """A duration in the unit a reader expects: ``365 days``, ``5 hours``, ``42 min``."""
    s = abs(float(seconds))
    if s >= 2 * 86_400:
        return f"{s / 86_400:,.0f} days"
    if s >= 2 * 3600:
        return f"{s / 3600:.0f} hours"
    if s >= 120:
        return f"{s / 60:.0f} min"
    return f"{s:.0f} s"


def _where(distance_m: float, elapsed_s: float) -> str:
    if np.isfinite(distance_m):
        return f"at {distance_m / 1000:.1f} km"
    return f"after {int(elapsed_s // 3600)}:{int(elapsed_s % 3600 // 60):02d} h of recording"


class _Track:
    """The channels of the current record order, and their per-step motion."""

    def __init__(self, rows, t_ns, d, lat, lon, along=None) -> None:
        self.rows, self.t = rows, t_ns
        self.d = d[rows]
        #: Distance along the track (m) to say where things happen: the device's, else the one
        #: a reader summed from positions.
        self.along = self.d if along is None else along[rows]
        self.lat = None if lat is None else lat[rows]
        self.lon = None if lon is None else lon[rows]
        self.dt_s = np.diff(t_ns) / NS
        self.step_d = np.diff(self.d)
        short = self.dt_s[self.dt_s < CLOCK_JUMP_MIN_S]
        #: The track's usual sampling interval (s): the median of its steps shorter than a jump.
        self.dt_local = float(np.median(short)) if short.size else 1.0
        if self.lat is not None:
            self.step_p = haversine_m(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])
        else:
            self.step_p = np.full(self.dt_s.shape, np.nan)

    def moved(self, i: int, j: int) -> tuple[float, float]:
        """(device distance, position distance) from record ``i`` to ``j`` (NaN if unknown)."""
        dd = self.d[j] - self.d[i]
        dp = np.nan
        if self.lat is not None:
            dp = float(haversine_m(self.lat[i], self.lon[i], self.lat[j], self.lon[j]))
        return float(dd), dp

    def heading(self, i: int, j: int) -> np.ndarray | None:
        """Unit vector (east, north) of the way from record ``i`` to ``j``, if it has one."""
        if self.lat is None:
            return None
        n = self.lat.size
        i, j = min(max(i, 0), n - 1), min(max(j, 0), n - 1)
        north = self.lat[j] - self.lat[i]
        east = (self.lon[j] - self.lon[i]) * np.cos(np.radians(self.lat[i]))
        norm = float(np.hypot(east, north))
        return np.array([east, north]) / norm if np.isfinite(norm) and norm > 0 else None

    def local(self, steps: np.ndarray, by_distance: bool) -> tuple[float, float]:
        """(median speed m/s, median interval s) over the step indices ``steps``."""
        steps = steps[(steps >= 0) & (steps < self.dt_s.size)]
        steps = steps[self.dt_s[steps] < CLOCK_JUMP_MIN_S]
        motion = (self.step_d if by_distance else self.step_p)[steps]
        ok = np.isfinite(motion)
        if not ok.any():
            return np.nan, np.nan
        dt = self.dt_s[steps][ok]
        return float(np.median(motion[ok] / np.maximum(dt, 1.0))), float(np.median(dt))

    def around(self, k: int, by_distance: bool) -> tuple[float, float]:
        """Speeds (m/s) before and after step ``k`` (NaN where no short step tells)."""
        v_before, _ = self.local(np.arange(k - LOCAL_STEPS, k), by_distance)
        v_after, _ = self.local(np.arange(k + 1, k + 1 + LOCAL_STEPS), by_distance)
        return v_before, v_after


def _continues(
    track: _Track, i: int, j: int, k_before: int, k_after: int, pause: bool = True
) -> bool:
    """True when record ``j`` follows record ``i`` as the next sample of a moving runner.

    With ``pause``, standing still from ``i`` to ``j`` (a real pause) is not continuing; without
    it (records that are not neighbours in time), only the distance between them counts.
    """
    dd, dp = track.moved(i, j)
    by_distance = bool(np.isfinite(dd))
    if not by_distance and not np.isfinite(dp):
        return False
    if (
        pause
        and by_distance
        and abs(dd) <= PAUSE_DISTANCE_M
        and (not np.isfinite(dp) or dp <= PAUSE_POSITION_M)
    ):
        return False  # standing still across it: a real pause
    v_before, _ = track.around(k_before, by_distance)
    _, v_after = track.around(k_after, by_distance)
    # a lone record at either end has no steps on that side: the other side tells
    v_before = v_after if np.isnan(v_before) else v_before
    v_after = v_before if np.isnan(v_after) else v_after
    if not (v_before >= CLOCK_JUMP_MOVING_MPS and v_after >= CLOCK_JUMP_MOVING_MPS):
        return False
    expected = 0.5 * (v_before + v_after) * max(track.dt_local, 1.0)
    limit = CLOCK_JUMP_CONTINUITY * expected + CLOCK_JUMP_SLACK_M
    if by_distance:
        return -PAUSE_DISTANCE_M <= dd <= limit and (not np.isfinite(dp) or dp <= limit)
    # Positions alone cannot tell a runner standing in GPS drift from one going on at a walk:
    # the step across must be one of the runner's own steps and keep the runner's heading.
    if not (expected / CLOCK_JUMP_CONTINUITY <= dp <= limit):
        return False
    across = track.heading(i, j)
    sides = [
        h
        for h in (track.heading(i - LOCAL_STEPS, i), track.heading(j, j + LOCAL_STEPS))
        if h is not None
    ]
    if across is None or not sides:  # a lone record at an end has a heading on one side only
        return False
    return all(float(across @ side) >= HEADING_COS_MIN for side in sides)


def _restarts(d: np.ndarray) -> np.ndarray:
    """True at steps where device distance drops by more than a restart (NaN: False)."""
    with np.errstate(invalid="ignore"):
        return np.diff(np.asarray(d, dtype=float)) < -DISTANCE_RESTART_M


def _set_back(rows, t, d, lat, lon, notes, along=None) -> tuple[np.ndarray, np.ndarray]:
    """Rule 2, backwards: a clock set back before the start puts the later part first.

    With device distance the drop itself is the evidence, however short the gap (a clock set
    back by more than the part before it leaves a gap of any length); positions alone need a
    gap of :data:`CLOCK_JUMP_MIN_S` or more.
    """
    long_gap = np.diff(t) >= CLOCK_JUMP_MIN_S * NS
    restart = _restarts(d)
    if not (long_gap | restart).any():
        return rows, t
    track = _Track(rows, t, d, lat, lon, along)
    n = rows.size
    wraps: bool | None = None  # does the last record lead on to the first? (asked once)
    for k in np.flatnonzero(long_gap | restart):
        if np.isfinite(track.step_d[k]):
            if not track.step_d[k] < -DISTANCE_RESTART_M:
                continue  # device distance goes on across the gap: not a clock set back
        elif not long_gap[k] or _continues(track, k, k + 1, k, k):
            continue  # no device distance, and the positions go on across it: a forward jump
        if wraps is None:
            wraps = _continues(track, n - 1, 0, n - 1, -1, pause=False)
        if not wraps:  # the same for every candidate: none can be a clock set back
            return rows, t
        interval = interval_ns(t)
        first, second = t[k + 1 :], t[: k + 1]
        moved = second - second[0] + first[-1] + interval
        notes.append(
            f"the clock was set back {human_duration((moved[0] - second[0]) / NS)} "
            f"{_where(track.along[n - 1], (first[-1] - first[0]) / NS)}; the records after it "
            "were shifted forward to follow the earlier ones"
        )
        return np.r_[rows[k + 1 :], rows[: k + 1]], np.r_[first, moved].astype(np.int64)
    return rows, t


def _jumps(rows, t, d, lat, lon, notes, along, opens) -> tuple[np.ndarray, np.ndarray]:
    """Rule 2: forward clock jumps inside a continuous recording are closed (not where a new
    session ``opens``: the reader put two activities one after the other there)."""
    if not (np.diff(t) >= CLOCK_JUMP_MIN_S * NS).any():
        return rows, t
    track = _Track(rows, t, d, lat, lon, along)
    jumps = [
        int(k)
        for k in np.flatnonzero((track.dt_s >= CLOCK_JUMP_MIN_S) & ~opens[rows][1:])
        if _continues(track, int(k), int(k) + 1, int(k), int(k))
    ]
    if not jumps:
        return rows, t
    steps = np.diff(t)
    interval = interval_ns(t)
    for k in jumps:
        steps[k] = interval
    cum = np.r_[0, np.cumsum(steps)]
    bounds = np.r_[0, np.array(jumps) + 1, rows.size]
    # The first part keeps its clock (the device set it at the start), unless it is a stray
    # few records before the recording proper.
    kept = 1 if bounds[1] <= STRAY_MAX_RECORDS < rows.size - bounds[1] else 0
    anchor = int(bounds[kept])
    new_t = (t[anchor] - cum[anchor] + cum).astype(np.int64)
    for i, k in enumerate(jumps[:NAMED_JUMPS]):
        shifted = "later records were shifted back"
        if i < kept:
            shifted = "earlier records were shifted forward"
        notes.append(
            f"the clock jumped forward {human_duration(track.dt_s[k])} "
            f"{_where(track.along[k], (t[k] - t[0]) / NS)}; {shifted}"
        )
    if len(jumps) > NAMED_JUMPS:
        notes.append(f"{len(jumps) - NAMED_JUMPS} more clock jumps were closed the same way")
    return rows, new_t


def _blocks(t: np.ndarray, gap_s: float) -> np.ndarray:
    """Start indices of the runs of records separated by at least ``gap_s``, plus the end."""
    cut = np.flatnonzero(np.diff(t) >= gap_s * NS)
    return np.r_[0, cut + 1, t.size]


def _strays(rows, t, notes) -> tuple[np.ndarray, np.ndarray]:
    """Rule 3: a few records far from all the others are dropped."""
    bounds = _blocks(t, STRAY_GAP_S)
    sizes = np.diff(bounds)
    stray = np.flatnonzero(sizes <= STRAY_MAX_RECORDS)
    if stray.size == 0 or sizes.max() <= STRAY_MAX_RECORDS:
        return rows, t
    keep = np.ones(rows.size, bool)
    gaps_s = np.diff(t) / NS
    away = []
    for b in stray:
        start, end = bounds[b], bounds[b + 1]
        keep[start:end] = False
        near = [gaps_s[start - 1] if start > 0 else np.inf]
        near.append(gaps_s[end - 1] if end < rows.size else np.inf)
        away.append(min(near))
    n = int((~keep).sum())
    notes.append(
        f"dropped {n} record{'s' if n > 1 else ''} whose time{'s lie' if n > 1 else ' lies'} "
        f"at least {human_duration(min(away))} away from all the others"
    )
    return rows[keep], t[keep]


def _span(rows, t, notes, source, opens) -> tuple[np.ndarray, np.ndarray]:
    """Rule 4: split at gaps of a day (or far longer than the recording), keep the largest
    part, refuse what is still too long. A gap where a new session ``opens`` is not split:
    the reader already split the file into activities there and keeps them as sessions."""
    gaps_s = np.diff(t) / NS
    recorded_s = float(gaps_s[gaps_s < CLOCK_JUMP_MIN_S].sum())
    split = gaps_s >= SPLIT_GAP_S
    if recorded_s > 0:  # a recording made only of long gaps has no "activity" to compare with
        split |= (gaps_s >= STRAY_GAP_S) & (gaps_s > PAUSE_RATIO_MAX * max(recorded_s, 60.0))
    split &= ~opens[rows][1:]
    if split.any():
        bounds = np.r_[0, np.flatnonzero(split) + 1, t.size]
        sizes = np.diff(bounds)
        b = int(np.argmax(sizes))
        start, end = bounds[b], bounds[b + 1]
        first = np.datetime64(int(t[start]), "ns").astype("datetime64[m]")
        notes.append(
            f"the recording has {sizes.size} parts with gaps of "
            f"{human_duration(gaps_s[split].min())} or more between them: kept the largest "
            f"({int(sizes[b]):,} of {rows.size:,} records, from {first} UTC)"
        )
        rows, t = rows[start:end], t[start:end]
    span_s = (t[-1] - t[0]) / NS if t.size else 0.0
    if span_s > MAX_ACTIVITY_SPAN_S:
        raise CorruptFileError(
            f"the samples span {span_s / 86_400:,.0f} days, longer than any activity "
            f"({MAX_ACTIVITY_SPAN_S / 86_400:.0f} days): the clock is broken",
            source,
        )
    if span_s > 86_400.0 and span_s > MAX_MEAN_SAMPLE_INTERVAL_S * t.size:
        raise EmptyActivityError(
            f"{t.size:,} samples over {span_s / 86_400:,.1f} days, fewer than one an hour: "
            "too sparse to be an activity recording",
            source,
        )
    return rows, t


def session_openers(t_ns: np.ndarray, session_starts_ns: np.ndarray | None) -> np.ndarray:
    """True at the first record of every session but the first (``t_ns`` increasing).

    A session's first record is the first at or after its start, or up to
    :data:`SESSION_START_TOLERANCE_S` before it (a device may write its first point before the
    session's start time).
    """
    opens = np.zeros(t_ns.size, bool)
    if session_starts_ns is None or session_starts_ns.size < 2 or t_ns.size < 2:
        return opens
    early = int(SESSION_START_TOLERANCE_S * NS)
    at = np.searchsorted(t_ns, session_starts_ns - early, side="left")
    opens[at[(at > 0) & (at < t_ns.size)]] = True
    return opens


def repair_clock(
    t_ns: np.ndarray,
    distance_m: np.ndarray,
    lat_deg: np.ndarray | None,
    lon_deg: np.ndarray | None,
    witness: dict[str, np.ndarray],
    source: str | None = None,
    along_m: np.ndarray | None = None,
    session_starts_ns: np.ndarray | None = None,
) -> TimeRepair:
    """Apply the time rules of :mod:`finishline.io.plausibility` in order.

    Parameters
    ----------
    t_ns
        Record times (int64 ns since the epoch, UTC), increasing.
    distance_m
        Device distance (m) per record, NaN where missing.
    lat_deg, lon_deg
        Positions (deg), or ``None`` when the activity has none.
    witness
        Other channels (heart rate, altitude...) whose smoothness tells the record order.
    source
        File name for the error.
    along_m
        Distance along the track (m) a reader computed from positions: only to say where a
        repair happened when there is no device distance.
    session_starts_ns
        Start times (int64 ns) of the activity's sessions, when a reader made several (TCX
        activities in one file, FIT multisport legs): the gap before a session's first record
        is the reader's boundary, neither a clock jump nor a split into parts.

    Raises
    ------
    CorruptFileError
        What remains spans more than :data:`~finishline.definitions.MAX_ACTIVITY_SPAN_S`.
    """
    t_ns = np.asarray(t_ns, dtype=np.int64)
    notes: list[str] = []
    n = t_ns.size
    kept = misplaced_ends(distance_m, notes)
    if kept is not None:  # a few records out of place at the ends: the rest goes on from there
        inner = repair_clock(
            t_ns[kept],
            distance_m[kept],
            None if lat_deg is None else lat_deg[kept],
            None if lon_deg is None else lon_deg[kept],
            {name: values[kept] for name, values in witness.items()},
            source,
            None if along_m is None else along_m[kept],
            session_starts_ns,
        )
        return TimeRepair(kept[inner.rows], inner.t_ns, t_ns, inner.base_ns, notes + inner.notes)
    reordered = reorder_by_distance(t_ns, distance_m, lat_deg, lon_deg, witness, notes)
    if reordered is None:
        rows, base = np.arange(n), t_ns
        d, lat, lon, along = distance_m, lat_deg, lon_deg, along_m
        steps = np.diff(t_ns)
        span_s = (t_ns[-1] - t_ns[0]) / NS if n else 0.0
        usual = not (steps >= CLOCK_JUMP_MIN_S * NS).any() and not _restarts(d).any()
        if usual and span_s <= MAX_ACTIVITY_SPAN_S:
            return TimeRepair(rows, t_ns, t_ns, t_ns, notes, changed=False)  # the usual case
    else:
        rows, base = reordered
        d = distance_m[rows]
        lat = None if lat_deg is None else lat_deg[rows]
        lon = None if lon_deg is None else lon_deg[rows]
        along = None if along_m is None else along_m[rows]
    idx, t = np.arange(rows.size), base
    if rows.size >= 2:
        opens = session_openers(t_ns, session_starts_ns)[rows]
        idx, t = _set_back(idx, t, d, lat, lon, notes, along)
        idx, t = _jumps(idx, t, d, lat, lon, notes, along, opens)
        idx, t = _strays(idx, t, notes)
        idx, t = _span(idx, t, notes, source, opens)
    changed = reordered is not None or idx.size != n or bool((t != t_ns[idx]).any())
    return TimeRepair(rows[idx], t, t_ns, base[idx], notes, changed=changed)
