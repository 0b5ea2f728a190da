"""Real files: km/mile splits reproduce the device's auto-laps; moving time matches the timer.

Auto-lap files are recognised from the data: every lap but the last is within 0.5 % of 1000 m
or 1609.344 m (lap distance, or average speed x timer time where the file gives no distance,
as Polar does). Split clock times are compared with lap elapsed times (the first lap by its end instant,
as the device may start it before the first record). Tolerance: 1 s (lap times are whole seconds on many devices) plus the file's median
sampling interval (a boundary falls between two samples).

Moving time is compared with the session timer on running files whose timer was paused
(elapsed - timer > 1 % of elapsed) and that are at least 1 km long.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from corpus import corpus_files, corpus_path, inventory

import finishline
from finishline.clean import clean
from finishline.errors import FinishlineError
from finishline.metrics.splits import METRE_PER_MILE, splits

RUNNING = [
    f
    for f in corpus_files()
    if "run" in inventory().get(f, {}).get("sport", "").lower() or f == "<corpus missing>"
]


def _read(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return finishline.read(corpus_path(name))
        except FinishlineError as exc:
            pytest.skip(f"not readable as an activity: {exc.reason}")


def _auto_lap_unit(laps) -> float | None:
    if len(laps) < 3:
        return None
    dist = laps["distance_m"].to_numpy(float)
    est = np.where(np.isfinite(dist), dist, laps["avg_speed_mps"] * laps["timer_s"])
    body = est[:-1]
    for unit in (1000.0, METRE_PER_MILE):
        if np.all(np.abs(body - unit) <= 0.005 * unit):
            return unit
    return None


@pytest.mark.parametrize("name", RUNNING)
def test_splits_reproduce_device_auto_laps(name):
    act = _read(name)
    unit = _auto_lap_unit(act.laps)
    if unit is None:
        pytest.skip("no 1 km / 1 mile auto-laps")
    track = clean(act)
    table = splits(track, unit)
    n = min(len(table), len(act.laps)) - 1
    laps = act.laps.iloc[:n]
    err = table["time_s"].to_numpy()[:n] - laps["elapsed_s"].to_numpy()
    # the first lap may start before the first record: compare its end instant instead
    first_end = (laps["start_time"].iloc[0] - track.index[0]).total_seconds()
    err[0] = table["end_s"].iloc[0] - (first_end + laps["elapsed_s"].iloc[0])
    tol = 1.0 + float(np.median(np.diff(act.samples["elapsed_s"].to_numpy())))
    assert np.nanmax(np.abs(err)) <= tol, f"lap time errors (s): {np.round(err, 2)}"


@pytest.mark.parametrize("name", RUNNING)
def test_moving_time_matches_paused_timer(name):
    act = _read(name)
    if act.sessions.empty or not act.sessions["timer_s"].notna().any():
        pytest.skip("no device timer")
    timer = float(act.sessions["timer_s"].sum())
    elapsed = float(act.samples["elapsed_s"].iloc[-1])
    if elapsed - timer <= 0.01 * elapsed:
        pytest.skip("the timer was not paused")
    track = clean(act)
    if track["distance_m"].iloc[-1] < 1000:
        pytest.skip("shorter than 1 km")
    moving = float(track["moving"].sum())
    # Standing still with the timer running (no auto-pause, e.g. the Forerunner 70): the device
    # timer counts it, moving time must not. Such standing is measured independently of the
    # timer (speed below 0.5 m/s for 10 s or more, cadence at walking-in-place levels), and then
    # the timer must equal moving + standing; otherwise the timer is the moving time.
    standing = float((~track["moving"] & ~track["paused"]).sum())
    if standing > 0.01 * timer:
        assert abs(moving + standing - timer) <= 0.01 * timer, (
            f"moving {moving:.0f} s + standing {standing:.0f} s vs timer {timer:.0f} s"
        )
        assert moving < timer  # and moving time leaves the standing out
        return
    assert abs(moving - timer) <= 0.01 * timer, f"moving {moving:.0f} s vs timer {timer:.0f} s"
