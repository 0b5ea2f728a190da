"""Where the race lies inside a file: where it ends, and where it starts after a warm-up.

A runner's file often holds more than the race. The race ends with the last running
(:func:`finish`): not the walk through the finish area with the watch still running, nor a
cool-down jog after a stop at the race distance (:func:`cool_down`); but a runner who walked
to the line ends the race walking, at the race distance. It starts where the runner set off
from the start pen after a warm-up jog (:func:`warm_up`, :func:`from_set_off`); a wait in the
pen with no warm-up before it is :func:`finishline.breaks.race_start`. Each rule is an
estimate from distance and speed, anchored on the standard race distances
(``finishline.definitions.STANDARD_RACES``) or the one the runner gave; the verdict says what
it left out of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from finishline.breaks import START_WAIT_S, first_break, track_distance_reached
from finishline.definitions import MIN_WALK_S, STANDARD_RACES
from finishline.metrics.stops import stop_mask
from finishline.stretches import bounds

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
    return _finish(track, going, track_distance_reached(track), race_distance_m)


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
    return (
        None
        if going is None
        else _cool_down(track, going, track_distance_reached(track), race_distance_m)
    )


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
    dist = track_distance_reached(track)
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
    out["distance_m"] = out["distance_m"] - track_distance_reached(track)[row]
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
