"""Where a recording stops being one race: distance jumps and long stops.

Distance that came in jumps across recording gaps (not at a runner's speed,
:mod:`finishline.gaps`) makes every later clock time early, and a stop of :data:`LONG_PAUSE_S`
or more (a 15-hour break between two outings saved as one file, a long sleep stop) leaves clock
time that is not race time. The risk timeline, which reads the clock time at each km, stops at
the first break (:func:`first_break`: a long stop, or jumps past :data:`JUMP_TOLERANCE_M`).
The fatigue state and Pa:HR decoupling, which follow the runner's moving time, judge the track
to the end of its longest stretch between long stops (:func:`judged_part`). Distance, splits and
the final mile are still reported for the whole file.

A race's own clock starts when the runner sets off (:func:`race_start`: not in the start pen)
and the race ends with the last running (:func:`race_end`: not the walk through the finish
area with the watch still running, nor a cool-down jog after it, :func:`cool_down`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from finishline.definitions import MIN_WALK_S, STANDARD_RACES
from finishline.metrics.stops import stop_mask
from finishline.stretches import bounds

#: A pause at least this long (s) inside a run ends the race the time-based models judge.
LONG_PAUSE_S = 1800
#: Distance (m) that jumps may add in all before the clock times after them stop being race
#: times: every later km mark comes early by the time the jumped distance takes to run, and
#: 100 m is 2 % of the risk model's 5 km window (under 25 s at 4:10/km). A first GPS fix that
#: lands 70 m off the start does not end a race's risk timeline; a 300 m jump does.
JUMP_TOLERANCE_M = 100.0
#: How every output names a long stop.
LONG_STOP = f"a stop of {LONG_PAUSE_S // 60} min or more"
#: A wait of at least this long (s) before the runner has covered :data:`SET_OFF_M` is the
#: wait for the gun (a watch started in the start pen), not race time.
START_WAIT_S = 60
#: Distance (m) a runner may cover before the wait that ends at the start: a walk to the pen.
SET_OFF_M = 200.0
#: Speed (m/s) under which a runner who goes no faster to the end of the file has finished:
#: above the comfortable walking speed of adults, 1.27-1.46 m/s (Bohannon R. W. (1997) *Age
#: Ageing* 26:15-19), below any racing shuffle.
FINISHED_SPEED_MPS = 1.5
#: Slowest average speed (m/s) of a walk to the line (:func:`finish`): half a slow walk;
#: slower is standing with the distance drifting (GPS jitter), not walking in.
WALKED_IN_MPS = 0.6
#: A stop (s) that follows a race distance and comes before a cool-down: the finish area.
FINISH_STOP_S = 60
#: Share of a standard race distance a track must have covered before the stop that may be
#: the finish: a GPS watch measures a course long, rarely short (``STANDARD_RACES``). Tight,
#: so that a runner who stops with the last kilometre still ahead is never taken as finished.
FINISHED_SHARE = 0.995
#: Running before the race's start wait or after its finish stop is a jog outside the race (a
#: warm-up, a cool-down) when it covers at least this distance (m) and this share of the race
#: distance, more than a course measured long leaves outside a race that covers
#: :data:`FINISHED_SHARE` of it (up to 2.5 % long: Twin Cities 2014 read 0.8 % long) ...
JOG_MIN_M = 1000.0
JOG_MIN_SHARE = 0.03
#: ... and at most this distance (m): more is a second run, not a warm-up or cool-down ...
JOG_MAX_M = 10000.0
#: ... at this share of the race's moving speed or less: a jog (a 5:30-6:00 /km warm-up or
#: cool-down around a 4:00-4:30 /km race is 0.67-0.82), not a runner racing on after an aid
#: station, or a slow first kilometre in a crowded start.
JOG_SPEED_SHARE = 0.80


@dataclass(frozen=True)
class WarmUp:
    """Running before the race (:func:`warm_up`), left out of it.

    Attributes
    ----------
    set_off_row
        The last row (second) of the wait before the race: where the race's distance and
        clock start (:func:`from_set_off`).
    set_off_m, set_off_s
        Distance (m) and time (s) into the file there.
    distance_m
        Distance (m) run before the wait: the warm-up.
    wait_s
        How long the wait lasted (s).
    speed_share
        The warm-up's moving speed over the race's.
    race_m
        The standard (or given) race distance the rest of the file covers (m).
    """

    set_off_row: int
    set_off_m: float
    set_off_s: float
    distance_m: float
    wait_s: float
    speed_share: float
    race_m: float


@dataclass(frozen=True)
class CoolDown:
    """Running after the finish (:func:`cool_down`), left out of the race.

    Attributes
    ----------
    stop_row
        First row of the stop after the race distance (the finish area).
    finish_m
        Distance (m) covered when that stop began.
    race_m
        The standard (or given) race distance the stop follows (m).
    stop_s
        How long the stop lasted (s).
    distance_m
        Distance (m) covered after the stop, to the end of the file.
    speed_share
        Its moving speed over the race's (both over the seconds going).
    """

    stop_row: int
    finish_m: float
    race_m: float
    stop_s: float
    distance_m: float
    speed_share: float


def _jumped_and_long_stops(track: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds crossed in a jump, and the starts and ends (exclusive) of the long stops."""
    jumped = track["in_gap"].to_numpy(bool) & ~track["moving"].to_numpy(bool)
    stopped = jumped | track["paused"].to_numpy(bool) if "paused" in track else jumped
    starts, ends = bounds(stopped, LONG_PAUSE_S)
    return jumped, starts, ends


def long_stops(track: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows where each stop of at least :data:`LONG_PAUSE_S` starts and ends (exclusive):
    paused seconds, or seconds not moving inside a recording gap. Empty arrays for a track
    without ``moving`` or ``in_gap``."""
    if "in_gap" not in track or "moving" not in track:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, starts, ends = _jumped_and_long_stops(track)
    return starts, ends


def distance_reached(distance_m: np.ndarray) -> np.ndarray:
    """The distance (m) reached by each row: missing as 0, never going back (a device
    correcting itself backwards)."""
    return np.maximum.accumulate(np.nan_to_num(np.asarray(distance_m, dtype=float), nan=0.0))


def race_start(track: pd.DataFrame) -> int:
    """Row where the runner set off, as a chip's clock starts at the start mat: the last row
    (second) of the last wait of :data:`START_WAIT_S` or more (not moving: standing in the
    pen, or the watch paused) before the distance first reaches :data:`SET_OFF_M`; 0 for a run
    that starts with the watch, a track that never covers :data:`SET_OFF_M`, or one without
    ``moving``.

    A watch started 20 min before the gun would otherwise add 20 min to every clock time the
    risk timeline reads. A wait after the first :data:`SET_OFF_M` is a stop in the race here;
    one after a warm-up jog is found by :func:`warm_up`, which the analysis cuts first.
    """
    if "moving" not in track or not len(track):
        return 0
    dist = _reached(track)
    reach = int(np.searchsorted(dist, dist[0] + SET_OFF_M, side="left"))
    if reach >= len(track):  # never covered SET_OFF_M: no set-off to find
        return 0
    _, ends = bounds(~track["moving"].to_numpy(bool)[:reach], START_WAIT_S)
    return int(ends[-1]) - 1 if ends.size else 0  # the wait's last second: set off from there


def race_end(track: pd.DataFrame, race_distance_m: float | None = None) -> int:
    """How many rows of ``track`` the race holds (``track.iloc[:race_end(track)]``)."""
    return finish(track, race_distance_m).rows


class Finish(NamedTuple):
    """Where the race in a track ends (:func:`finish`)."""

    #: How many rows the race holds.
    rows: int
    #: The cool-down after the finish, when the file holds one (:func:`cool_down`).
    cool: CoolDown | None = None
    #: The runner walked the last of the race: the race ends walking, at the race distance.
    walked_in: bool = False


def finish(track: pd.DataFrame, race_distance_m: float | None = None) -> Finish:
    """Where the race ends: at the row that closes the runner's last stretch going (at least
    :data:`~finishline.definitions.MIN_WALK_S` s moving at :data:`FINISHED_SPEED_MPS` or
    faster, grade-adjusted where the track has ``gap_speed_mps``: a hike up to a summit finish
    is racing; not stopped) before the finish stop of a cool-down (:func:`cool_down`; its race
    distance is ``race_distance_m`` when given), or else before the end of the file, when only
    walking and standing follow it: the watch left running past the finish line, through the
    finish area. ``len(track)`` rows when the file ends going, holds no such stretch, or lacks
    the columns.

    A race ends going, unless the runner walked in: when the last going ends short of a
    standard race distance (or of ``race_distance_m``) that the walking after it reaches (to
    :data:`FINISHED_SHARE` of it or more), the walk is the end of the race, which ends where
    the track first reaches that distance (``walked_in``: hitting the wall with the line in
    sight is the failure the final mile is about). A course the watch measured long puts the
    line past that distance: the walk beyond it is left out, as a walk to the line of a race of
    no standard distance is; :class:`~finishline.metrics.final_mile.FinalMile` says where the
    race was taken to end and how much was left out. Speed alone decides, not cadence: a
    runner shuffling home at 1.8 m/s, or at a cadence under 140, is still racing.
    """
    going = _going(track)
    if going is None:
        return Finish(len(track), None)
    return _finish(track, going, _reached(track), race_distance_m)


def _reached(track: pd.DataFrame) -> np.ndarray:
    """:func:`distance_reached` of the track's ``distance_m``."""
    return distance_reached(track["distance_m"].to_numpy(float))


def _finish(
    track: pd.DataFrame, going: np.ndarray, dist: np.ndarray, race_distance_m: float | None
) -> Finish:
    """:func:`finish`, given the seconds going and the distance reached (m) of ``track``."""
    cool = _cool_down(track, going, dist, race_distance_m)
    stop = len(track) if cool is None else cool.stop_row
    end = _end_before(going, stop)
    if cool is None and 0 < end < stop:
        walked = _walked_in(track, dist, end, stop, race_distance_m)
        if walked is not None:
            return Finish(walked, None, walked_in=True)
    return Finish(end, cool)


def _walked_in(
    track: pd.DataFrame, dist: np.ndarray, end: int, stop: int, race_distance_m: float | None
) -> int | None:
    """Rows the race holds when the runner walked its last part (:func:`finish`): from the
    last going (row ``end``) the track goes on to reach a race distance that it had not
    reached; None when it had (or reaches none)."""
    covered = dist - dist[0]
    race_m = _race_finished(float(covered[stop - 1]), race_distance_m)
    if race_m is None or covered[end - 1] >= race_m:
        return None
    rows = min(int(np.searchsorted(covered, race_m, side="left")) + 1, stop)
    walked_m = float(covered[rows - 1] - covered[end - 1])
    if walked_m < WALKED_IN_MPS * _seconds(track, end - 1, rows - 1):
        return None  # slower than any walk: standing with the GPS drifting, not walking in
    return rows


def _going(track: pd.DataFrame) -> np.ndarray | None:
    """Seconds going (moving, not stopped, at :data:`FINISHED_SPEED_MPS` or faster, grade-
    adjusted where the track has ``gap_speed_mps``); None without the columns this needs."""
    if not all(name in track for name in ("moving", "paused", "in_gap", "speed_mps")):
        return None
    effort = track["gap_speed_mps"] if "gap_speed_mps" in track else track["speed_mps"]
    fast = np.nan_to_num(effort.to_numpy(float)) >= FINISHED_SPEED_MPS
    return track["moving"].to_numpy(bool) & ~stop_mask(track) & fast


def _end_before(going: np.ndarray, stop: int) -> int:
    """Rows up to the one that closes the last stretch going before row ``stop``; ``stop``
    when there is none (no going at all: the whole track)."""
    _, ends = bounds(going[:stop], MIN_WALK_S)
    return min(int(ends[-1]) + 1, stop) if ends.size else stop


def cool_down(track: pd.DataFrame, race_distance_m: float | None = None) -> CoolDown | None:
    """The cool-down after the finish, when the file holds one; None otherwise.

    The finish is taken to be a stop of :data:`FINISH_STOP_S` or more (standing or walking,
    or the watch paused: the finish area) that begins once the track has covered
    :data:`FINISHED_SHARE` of a standard race distance, within that distance's upper GPS
    tolerance (``STANDARD_RACES``), or of ``race_distance_m`` when the race's distance is
    given. Running after it is a cool-down when it covers :data:`JOG_MIN_M` and
    :data:`JOG_MIN_SHARE` of the race or more, at most :data:`JOG_MAX_M`, at
    :data:`JOG_SPEED_SHARE` of the race's moving speed or slower (at any speed when the
    race's distance is given: nothing past it is the race). The latest such stop wins.

    An estimate from distance and speed alone: a run of a non-standard length whose last part
    is this much slower after such a stop is taken as a race and a cool-down (and says so:
    :func:`finishline.verdict.after_finish_sentence`), and a cool-down jogged at race pace is
    taken as part of the race; giving the race's distance settles both.
    """
    going = _going(track)
    return None if going is None else _cool_down(track, going, _reached(track), race_distance_m)


def _cool_down(
    track: pd.DataFrame, going: np.ndarray, dist: np.ndarray, race_distance_m: float | None
) -> CoolDown | None:
    if dist.size < 2:
        return None
    starts, ends = bounds(~going, FINISH_STOP_S)
    covered = dist - dist[0]
    speed = _GoingSpeed(dist, going)
    for start, end in zip(starts[::-1], ends[::-1], strict=True):
        start, end = int(start), int(end)
        if end >= dist.size:  # the stop ends the file: a walk-off, not a cool-down
            continue
        race_m = _race_finished(float(covered[start]), race_distance_m)
        after_m = float(dist[-1] - dist[end])
        if race_m is None or not _a_jog(after_m, race_m):
            continue
        share = speed.share((end, dist.size), (0, start))
        if _jogged(share, race_distance_m):
            return CoolDown(
                start, float(covered[start]), race_m, _seconds(track, start, end), after_m, share
            )
    return None


def _jogged(speed_share: float, race_distance_m: float | None) -> bool:
    """Whether running at ``speed_share`` of the race's speed is a jog outside the race: at
    :data:`JOG_SPEED_SHARE` or slower, or at any speed when the race's distance is given."""
    return speed_share <= JOG_SPEED_SHARE or (
        race_distance_m is not None and bool(np.isfinite(speed_share))
    )


def _a_jog(distance_m: float, race_m: float) -> bool:
    """Whether ``distance_m`` run before or after a race of ``race_m`` is as long as a warm-up
    or cool-down is, and more than a course measured long leaves outside it."""
    return max(JOG_MIN_M, JOG_MIN_SHARE * race_m) <= distance_m <= JOG_MAX_M


def _seconds(track: pd.DataFrame, start: int, end: int) -> float:
    """Seconds from row ``start`` to row ``end`` (rows are seconds without ``elapsed_s``)."""
    if "elapsed_s" not in track:
        return float(end - start)
    elapsed = track["elapsed_s"].to_numpy(float)
    return float(elapsed[min(end, elapsed.size - 1)] - elapsed[start])


class _GoingSpeed:
    """Moving speed over the seconds going of any span of rows of one track."""

    def __init__(self, dist: np.ndarray, going: np.ndarray) -> None:
        self.s = np.r_[0, np.cumsum(going)]
        self.m = np.r_[0.0, np.cumsum(np.where(going, np.diff(dist, prepend=dist[0]), 0.0))]

    def share(self, part: tuple[int, int], race: tuple[int, int]) -> float:
        """Speed over rows ``part`` (start, end exclusive) / speed over rows ``race``; NaN
        when either holds no second going."""
        (a, b), (c, d) = part, race
        part_s, race_s = self.s[b] - self.s[a], self.s[d] - self.s[c]
        if part_s <= 0 or race_s <= 0 or self.m[d] - self.m[c] <= 0:
            return float("nan")
        return float((self.m[b] - self.m[a]) / part_s / ((self.m[d] - self.m[c]) / race_s))


def warm_up(track: pd.DataFrame, race_distance_m: float | None = None) -> WarmUp | None:
    """The warm-up before the race, when the file holds one; None otherwise.

    The race is taken to start after a wait of :data:`START_WAIT_S` or more (standing or
    walking, or the watch paused: the start pen) when the rest of the file, to the race's end
    (:func:`finish`, a cool-down left out), covers :data:`FINISHED_SHARE` of a standard race
    distance within its upper GPS tolerance (``STANDARD_RACES``), or of ``race_distance_m``
    when given, holding no break (:func:`first_break`), and the running before the wait is a
    jog (:data:`JOG_MIN_M` and :data:`JOG_MIN_SHARE` of the race or more, at most
    :data:`JOG_MAX_M`, at :data:`JOG_SPEED_SHARE` of the race's moving speed or slower; at any
    speed when the race's distance is given). Of several such waits the last wins (strides
    after the warm-up jog).

    An estimate from distance and speed alone: a race of a standard length run after a stop
    in its first kilometres, that slow before it, would be taken as a warm-up and a race (and
    says so: :func:`finishline.verdict.warm_up_sentence`); a race of another length with a
    jog before it is found once its distance is given.
    """
    going = _going(track)
    if going is None or len(track) < 2:
        return None
    dist = _reached(track)
    speed = _GoingSpeed(dist, going)
    starts, ends = bounds(~going, START_WAIT_S)
    found = None
    for start, end in zip(starts, ends, strict=True):
        start, set_off = int(start), int(end) - 1  # set off from the wait's last second
        before_m = float(dist[start] - dist[0])
        if not JOG_MIN_M <= before_m <= JOG_MAX_M or set_off >= dist.size - 1:
            continue
        rest = track.iloc[set_off:]
        rows = _finish(rest, going[set_off:], dist[set_off:], race_distance_m).rows
        race_m = _race_finished(float(dist[set_off + rows - 1] - dist[set_off]), race_distance_m)
        if (
            race_m is None
            or not _a_jog(before_m, race_m)
            or first_break(rest.iloc[:rows]) is not None
        ):
            continue  # (a race holds no break: two outings in one file are not a warm-up)
        share = speed.share((0, start), (set_off, set_off + rows))
        if _jogged(share, race_distance_m):
            found = WarmUp(
                set_off_row=set_off,
                set_off_m=float(dist[set_off] - dist[0]),
                set_off_s=_seconds(track, 0, set_off),
                distance_m=before_m,
                wait_s=_seconds(track, start, set_off),
                speed_share=share,
                race_m=race_m,
            )
    return found


def from_set_off(track: pd.DataFrame, row: int) -> pd.DataFrame:
    """``track`` from ``row`` on (a copy), its ``distance_m`` and ``elapsed_s`` counted from
    there: the race after a warm-up (:attr:`WarmUp.set_off_row`)."""
    out = track.iloc[row:].copy()
    out["distance_m"] = out["distance_m"] - _reached(track)[row]
    if "elapsed_s" in out:
        out["elapsed_s"] = out["elapsed_s"] - float(out["elapsed_s"].iloc[0])
    return out


def _race_finished(covered_m: float, race_distance_m: float | None) -> float | None:
    """The race distance (m) ``covered_m`` completes (:func:`cool_down`), or None."""
    races = (
        [(race_distance_m, 0.06)]
        if race_distance_m is not None
        else [(nominal, above) for _, _, nominal, _, above in STANDARD_RACES]
    )
    for nominal, above in races:
        if FINISHED_SHARE * nominal <= covered_m <= (1.0 + above) * nominal:
            return float(nominal)
    return None


def first_break(track: pd.DataFrame) -> int | None:
    """Position (row) of the first second of the first break in a clean 1 Hz track
    (``moving``, ``in_gap``, ``paused``), or None when the whole track is one race.

    A break is a long stop (at least :data:`LONG_PAUSE_S` seconds that are paused, or not
    moving inside a recording gap: a file that holds two outings hours apart) or the jump
    (distance crossed in a recording gap while not moving) that takes the distance added in
    jumps past :data:`JUMP_TOLERANCE_M`: that distance came without its time. This is where
    the risk timeline, which reads the clock time at each km, stops. A track without
    ``moving`` or ``in_gap`` has no break.
    """
    if "in_gap" not in track or "moving" not in track:
        return None
    jumped, starts, _ = _jumped_and_long_stops(track)
    first = [int(s) for s in starts[:1]]
    if jumped.any():  # each jump adds what the distance gained from before it to after it
        dist = _reached(track)
        j_starts, j_ends = bounds(jumped)
        added = dist[np.minimum(j_ends, dist.size - 1)] - dist[np.maximum(j_starts - 1, 0)]
        past = np.cumsum(added) > JUMP_TOLERANCE_M
        if past.any():  # the break starts with the jump that crossed the tolerance
            first.append(int(j_starts[int(np.argmax(past))]))
    return min(first) if first else None


def judged_part(track: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """``track`` from its start to the end of its longest stretch (by moving time) between
    long stops, and the distance (m) where that stretch ends; None when nothing follows it
    (the whole track is returned, not a copy).

    What the fatigue state and Pa:HR decoupling judge: they follow the runner through time,
    and a long stop ends that (the body recovers; the file may hold a second outing hours
    later). A long wait before the start is kept, as are the stops inside the longest stretch
    and one that ends the file (the watch left running): moving-time models pass over them.
    Short jumps do not cut here (per-km values are distance over moving time), unlike
    :func:`first_break`.
    """
    if "in_gap" not in track or "moving" not in track:
        return track, None
    _, starts, ends = _jumped_and_long_stops(track)
    lo, hi = np.r_[0, ends], np.r_[starts, len(track)]
    moving_s = np.r_[0, np.cumsum(track["moving"].to_numpy(bool))]
    end = int(hi[int(np.argmax(moving_s[hi] - moving_s[lo]))])
    if end >= len(track) or moving_s[end] in (0, moving_s[-1]):  # nothing run after it
        return track, None
    return track.iloc[:end], float(np.nanmax(track["distance_m"].to_numpy(float)[:end]))
