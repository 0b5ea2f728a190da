"""The race course as a profile on a regular distance grid.

:func:`course_profile` turns any :class:`~finishline.activity.Activity` that describes a course
into one DataFrame with ``distance_m``, ``altitude_m``, ``grade``, ``lat_deg`` and ``lon_deg``
every ``step_m`` (10 m) of distance, the last row exactly at the finish:

- a planned route (GPX ``rte``, a TCX or FIT course: ``activity.kind == "course"``, no times),
- or an earlier run of the course (GPX track, TCX, FIT activity).

Rules
-----
- **Distance.** The file's own distance when it has one (a device's wheel/GPS odometer, a
  course's distance points); otherwise the great-circle distance along the positions
  (:func:`finishline.geo.cumulative_distance_m`). On a recorded run, isolated GPS spikes are
  dropped from the positions first (:func:`finishline.clean.gps_spike_mask`). Distance is made
  non-decreasing.
- **Race distance.** A recorded course usually measures long (a GPS track wanders; the Twin
  Cities 2014 TCX measures 42.64 km for a 42.195 km race). Given ``race_distance_m``, the
  course's distance axis is scaled to it (every point moves by the same factor, so a hill stays
  where it is in proportion to the race). A scale more than ``max_scale_deviation`` (5 %) away
  from 1 is warned about (:class:`CourseDistanceWarning`, and a sentence in
  ``activity.meta.warnings``); beyond 25 % it is refused as the wrong course or distance.
- **Elevation** comes from :func:`finishline.elevation.altitude_profile` (binning along
  distance, spike and implausible-climb repair, smoothing by source) on the *measured* distance,
  then read on the scaled grid; grade is :func:`finishline.elevation.grade_from_altitude` on the
  scaled grid, so it is rise over *race* distance. A route has no times to judge vertical speed
  by: it is given a notional time at ``COURSE_NOTIONAL_SPEED_MPS`` (3 m/s), which makes the
  grade test (45 %) the binding one, or the course's own virtual times (``course_elapsed_s``)
  when the reader provides them. Without any altitude the course is flat (warned).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from finishline.activity import Activity
from finishline.clean import clean, gps_spike_mask
from finishline.elevation import (
    PROFILE_STEP_M,
    altitude_profile,
    detect_altitude_source,
    elevation_gain_loss,
    grade_from_altitude,
)
from finishline.errors import AnalysisError, FinishlineError, FinishlineWarning
from finishline.geo import cumulative_distance_m
from finishline.race_bounds import finish, warm_up

#: Columns of a course profile, in order.
PROFILE_COLUMNS = ("distance_m", "altitude_m", "grade", "lat_deg", "lon_deg")

#: Notional speed (m/s) giving a route without times a clock for the vertical-speed test.
COURSE_NOTIONAL_SPEED_MPS = 3.0

#: Shortest course (m) a plan is made for.
MIN_COURSE_M = 100.0

#: Distance (m) after a recorded race's finish (a walk-off) below which the course is the
#: whole file: standing or a few steps past the line change no profile.
COURSE_LEFT_OUT_M = 50.0

#: A race distance further than this (fraction) from the measured course is refused.
MAX_SCALE_REFUSE = 0.25


class CourseDistanceWarning(FinishlineWarning):
    """The course measures far from the race distance it was scaled to."""


class FlatCourseWarning(FinishlineWarning):
    """The course has no altitude: it is planned as flat."""


class CoursePartWarning(FinishlineWarning):
    """Only part of a recorded run is the race course (a warm-up or a cool-down left out)."""


def race_part(activity: Activity, race_distance_m: float | None = None) -> Activity:
    """A recorded run restricted to its race, as ``finishline.analyze`` finds it: from where
    the runner set off after a warm-up (:func:`finishline.race_bounds.warm_up`) to the race's end
    (:func:`finishline.race_bounds.finish`: a walk-off or cool-down after the finish left out), so
    that a plan made from last year's race file has the race's course, not the jog to the
    start. A course (no times), a run that is all race, or one that cannot be cleaned is
    returned as it is; otherwise what was left out is a sentence in ``meta.warnings`` (and a
    :class:`CoursePartWarning`).
    """
    samples = activity.samples
    if activity.meta.is_course or len(samples) < 3 or not samples.index.notna().all():
        return activity
    try:
        track = clean(activity)
    except FinishlineError:
        return activity
    warm = warm_up(track, race_distance_m)
    start = 0 if warm is None else warm.set_off_row
    rows = finish(track.iloc[start:], race_distance_m).rows
    dist = track["distance_m"].to_numpy(float)
    after_m = float(np.nanmax(dist) - np.nanmax(dist[: start + rows]))
    if warm is None and after_m < COURSE_LEFT_OUT_M:  # standing after the line: no course
        return activity
    t0, t1 = track.index[start], track.index[start + rows - 1]
    _note(
        activity,
        f"the course is the race in this run, from {np.nan_to_num(dist[start]) / 1000:.2f} km "
        f"to {np.nanmax(dist[: start + rows]) / 1000:.2f} km of the file: "
        + " and ".join(
            part
            for part, left in (
                ("the warm-up and the wait before it", warm is not None),
                ("what follows its finish", after_m >= COURSE_LEFT_OUT_M),
            )
            if left
        )
        + " are left out",
        CoursePartWarning,
    )
    return replace(activity, samples=samples[(samples.index >= t0) & (samples.index <= t1)])


def _note(activity: Activity, message: str, category: type[FinishlineWarning]) -> str:
    """Warn and record ``message`` in the activity's warnings; return it."""
    path = activity.meta.source_path
    activity.meta.warnings.append(message)
    warnings.warn(f"{path}: {message}" if path else message, category, stacklevel=3)
    return message


def _column(samples: pd.DataFrame, name: str) -> np.ndarray:
    """A float copy of a sample column; all NaN when absent."""
    if name not in samples.columns:
        return np.full(len(samples), np.nan)
    return samples[name].to_numpy(dtype=float, copy=True)


def _course_distance(
    activity: Activity, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, str]:
    """Cumulative distance (m) per sample and where it came from (``device``/``positions``)."""
    samples = activity.samples
    has_positions = int((np.isfinite(lat) & np.isfinite(lon)).sum()) >= 2
    recorded = _column(samples, "distance_m")
    from_positions = activity.meta.distance_source == "positions"
    if np.isfinite(recorded).sum() >= 2 and not (from_positions and has_positions):
        distance, source = recorded, "device"
    elif has_positions:
        distance, source = cumulative_distance_m(lat, lon), "positions"
    else:
        raise AnalysisError(
            "the course has neither distance nor positions: a plan needs distance",
            activity.meta.source_path,
        )
    finite = np.isfinite(distance)
    distance[finite] = np.maximum.accumulate(distance[finite])
    return distance, source


def _clock_s(activity: Activity, distance_m: np.ndarray) -> np.ndarray:
    """Seconds per sample: the recorded clock, a course's virtual clock, or a notional one."""
    samples = activity.samples
    if not activity.meta.is_course and "elapsed_s" in samples.columns:
        elapsed = _column(samples, "elapsed_s")
        if np.isfinite(elapsed).sum() >= 2:
            return elapsed
    virtual = _column(samples, "course_elapsed_s")
    if np.isfinite(virtual).sum() >= 2 and np.nanmax(virtual) > 0:
        return virtual
    return distance_m / COURSE_NOTIONAL_SPEED_MPS


def _interp_along(x_m: np.ndarray, distance_m: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (recorded at ``distance_m``) read at ``x_m``; NaN when fewer than two."""
    ok = np.isfinite(distance_m) & np.isfinite(values)
    if ok.sum() < 2:
        return np.full(x_m.shape, np.nan)
    d_unique, first = np.unique(distance_m[ok], return_index=True)
    if d_unique.size < 2:
        return np.full(x_m.shape, np.nan)
    return np.interp(x_m, d_unique, values[ok][first])


def course_profile(
    activity: Activity,
    race_distance_m: float | None = None,
    *,
    step_m: float = PROFILE_STEP_M,
    altitude_source: str = "auto",
    altitude_window_m: float | None = None,
    grade_window_m: float = 50.0,
    max_scale_deviation: float = 0.05,
) -> pd.DataFrame:
    """The course's elevation profile on a regular distance grid.

    Parameters
    ----------
    activity
        A course (route, no times) or a recorded run of the course, from
        :func:`finishline.read`.
    race_distance_m
        The official race distance (m), e.g. 42195. ``None`` keeps the course's own length.
    step_m
        Grid step (m of race distance).
    altitude_source
        ``"auto"``, ``"barometric"`` or ``"gps"``: how hard the altitude is smoothed (see
        :mod:`finishline.elevation`).
    altitude_window_m
        Smoothing window (m); ``None`` = the default of the altitude source.
    grade_window_m
        Distance window (m) over which grade is measured on the smoothed profile.
    max_scale_deviation
        Scaling the course by more than this fraction is warned about.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROFILE_COLUMNS`: ``distance_m`` (m from the start, 0 to the race
        distance, every ``step_m`` and exactly at the finish), ``altitude_m`` (m; NaN without
        altitude), ``grade`` (rise over run, fraction), ``lat_deg``/``lon_deg`` (NaN without
        positions). ``attrs``: ``source_path``, ``kind``, ``course_length_m`` (measured),
        ``race_distance_m``, ``distance_scale`` (race / measured), ``distance_source``,
        ``altitude_source``, ``altitude_repaired_m``, ``elevation_gain_m``,
        ``elevation_loss_m`` and ``warnings`` (sentences, also added to
        ``activity.meta.warnings``).

    Raises
    ------
    AnalysisError
        No distance or positions, a course shorter than :data:`MIN_COURSE_M`, or a race
        distance more than 25 % away from the measured course.
    """
    path = activity.meta.source_path
    samples = activity.samples
    lat, lon = _column(samples, "lat_deg"), _column(samples, "lon_deg")
    timed = not activity.meta.is_course and samples.index.notna().all() and len(samples) > 2
    if timed:
        t_s = (samples.index.asi8 - samples.index.asi8[0]) / 1e9
        spikes = gps_spike_mask(lat, lon, t_s)
        lat, lon = np.where(spikes, np.nan, lat), np.where(spikes, np.nan, lon)
    distance, distance_source = _course_distance(activity, lat, lon)
    finite = np.isfinite(distance)
    if finite.sum() < 2:
        raise AnalysisError("fewer than two points with a distance", path)
    start = distance[finite][0]
    distance = distance - start
    measured_m = float(distance[finite][-1])
    if measured_m < MIN_COURSE_M:
        raise AnalysisError(f"the course measures {measured_m:.0f} m: too short to plan", path)

    notes: list[str] = []
    race_m = measured_m if race_distance_m is None else float(race_distance_m)
    scale = race_m / measured_m
    if not np.isfinite(scale) or abs(scale - 1.0) > MAX_SCALE_REFUSE:
        raise AnalysisError(
            f"the course measures {measured_m / 1000:.2f} km, too far from the race distance "
            f"{race_m / 1000:.3f} km: wrong course or distance?",
            path,
        )
    if abs(scale - 1.0) > max_scale_deviation:
        notes.append(
            _note(
                activity,
                f"the course measures {measured_m / 1000:.2f} km; its distance axis was scaled "
                f"by {scale:.3f} to the race distance {race_m / 1000:.3f} km",
                CourseDistanceWarning,
            )
        )

    n_steps = int(np.ceil(race_m / step_m - 1e-9))
    grid_m = np.minimum(np.arange(n_steps + 1) * step_m, race_m)
    measured_at = grid_m / scale

    altitude = _column(samples, "altitude_m")
    bins_m = np.empty(0)
    if int((np.isfinite(altitude) & finite).sum()) >= 2:
        has_positions = int((np.isfinite(lat) & np.isfinite(lon)).sum()) >= 2
        if altitude_source == "auto":
            altitude_source = detect_altitude_source(altitude, has_positions)
        bins_m, profile_m, repaired_m = altitude_profile(
            distance,
            altitude,
            _clock_s(activity, distance),
            altitude_source,
            window_m=altitude_window_m,
        )
    if bins_m.size >= 2:
        altitude_grid = np.interp(measured_at, bins_m, profile_m)
        grade = grade_from_altitude(grid_m, altitude_grid, grade_window_m)
        gain_m, loss_m = elevation_gain_loss(altitude_grid)
    else:
        altitude_source, repaired_m = "none", 0.0
        altitude_grid = np.full(grid_m.shape, np.nan)
        grade = np.zeros(grid_m.shape)
        gain_m = loss_m = 0.0
        notes.append(
            _note(activity, "the course has no altitude: planned as flat", FlatCourseWarning)
        )

    profile = pd.DataFrame(
        {
            "distance_m": grid_m,
            "altitude_m": altitude_grid,
            "grade": grade,
            "lat_deg": _interp_along(measured_at, distance, lat),
            "lon_deg": _interp_along(measured_at, distance, lon),
        }
    )
    profile.attrs.update(
        source_path=path,
        kind=activity.kind,
        course_length_m=measured_m,
        race_distance_m=race_m,
        distance_scale=scale,
        distance_source=distance_source,
        altitude_source=altitude_source,
        altitude_repaired_m=float(repaired_m),
        elevation_gain_m=gain_m,
        elevation_loss_m=loss_m,
        warnings=notes,
    )
    return profile
