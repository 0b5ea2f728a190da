"""Where a recording stops being one race: distance jumps and long stops.

Distance that came in jumps across recording gaps (not at a runner's speed,
:mod:`finishline.gaps`) makes every later clock time early, and a stop of :data:`LONG_PAUSE_S`
or more (a 15-hour break between two outings saved as one file, a long sleep stop) leaves clock
time that is not race time. The risk timeline, which reads the clock time at each km, stops at
the first break (:func:`first_break`: a long stop, or jumps past :data:`JUMP_TOLERANCE_M`).
The fatigue state and Pa:HR decoupling, which follow the runner's moving time, judge the track
to the end of its longest stretch between long stops (:func:`judged_part`). Distance, splits and
the final mile are still reported for the whole file.

A race's own clock starts when the runner sets off (:func:`race_start`: not in the start pen).
Where the race starts after a warm-up and where it ends (a walk-off, a walk-in, a cool-down)
is :mod:`finishline.race_bounds`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def track_distance_reached(track: pd.DataFrame) -> np.ndarray:
    """:func:`distance_reached` of the track's ``distance_m``."""
    return distance_reached(track["distance_m"].to_numpy(float))


def race_start(track: pd.DataFrame) -> int:
    """Row where the runner set off, as a chip's clock starts at the start mat: the last row
    (second) of the last wait of :data:`START_WAIT_S` or more (not moving: standing in the
    pen, or the watch paused) before the distance first reaches :data:`SET_OFF_M`; 0 for a run
    that starts with the watch, a track that never covers :data:`SET_OFF_M`, or one without
    ``moving``.

    A watch started 20 min before the gun would otherwise add 20 min to every clock time the
    risk timeline reads. A wait after the first :data:`SET_OFF_M` is a stop in the race here;
    one after a warm-up jog is found by :func:`finishline.race_bounds.warm_up`, which the analysis cuts first.
    """
    if "moving" not in track or not len(track):
        return 0
    dist = track_distance_reached(track)
    reach = int(np.searchsorted(dist, dist[0] + SET_OFF_M, side="left"))
    if reach >= len(track):  # never covered SET_OFF_M: no set-off to find
        return 0
    _, ends = bounds(~track["moving"].to_numpy(bool)[:reach], START_WAIT_S)
    return int(ends[-1]) - 1 if ends.size else 0  # the wait's last second: set off from there


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
        dist = track_distance_reached(track)
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
