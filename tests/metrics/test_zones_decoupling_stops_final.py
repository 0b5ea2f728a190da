"""Zones, decoupling, stops/walks and final-mile facts on synthetic runs with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import make_run

from finishline.clean import clean
from finishline.metrics.decoupling import decoupling, efficiency_factor, onset_distance
from finishline.metrics.final_mile import final_mile, severity
from finishline.metrics.splits import METRE_PER_MILE
from finishline.metrics.stops import stops_and_walks
from finishline.metrics.zones import estimate_max_hr, karvonen_bounds, time_in_zones


def test_karvonen_bounds():
    bounds = karvonen_bounds(190.0, 60.0)
    assert bounds == pytest.approx([125, 138, 151, 164, 177, 190])


def test_time_in_zone_counts_moving_seconds():
    # an easy 5 min then a hard 5 min: the heart rate follows the pace
    hr = np.r_[np.full(300, 130.0), np.full(300, 170.0), [170.0]]
    speed = np.r_[np.full(300, 2.5), np.full(301, 3.5)]
    track = clean(make_run(speed, heart_rate_bpm=hr))
    zones = time_in_zones(track, karvonen_bounds(190.0, 60.0))
    assert zones["time_s"].sum() == 600
    assert zones.set_index("zone").loc["Z1", "time_s"] == 300
    assert zones.set_index("zone").loc["Z4", "time_s"] == 300
    assert zones["fraction"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        time_in_zones(track, [150, 140])


def test_max_hr_estimate_is_a_high_percentile():
    hr = np.r_[np.full(995, 150.0), np.full(5, 200.0)]
    assert 150.0 <= estimate_max_hr(hr) <= 200.0
    assert np.isnan(estimate_max_hr(np.array([np.nan])))


def _marathon(hr: np.ndarray, speed: float = 3.0) -> object:
    n = hr.size
    return clean(make_run(np.full(n, speed), heart_rate_bpm=hr))


def test_no_drift_means_no_decoupling():
    n = 14000  # 42 km at 3 m/s
    track = _marathon(np.full(n, 150.0))
    dec = decoupling(track)
    assert efficiency_factor(track) == pytest.approx(180.0 / 150.0)
    assert dec.pa_hr == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(dec.onset_m)
    assert dec.window_start_m == 5000.0


def test_drift_after_25km_is_found():
    n = 14000
    distance = np.arange(n) * 3.0
    hr = 150.0 + np.clip(distance - 25000.0, 0, None) / 17000.0 * 30.0  # +30 bpm by 42 km
    dec = decoupling(_marathon(hr))
    assert dec.pa_hr > 0.05
    assert dec.ef_first == pytest.approx(1.2, rel=1e-3)
    assert 25000.0 < dec.onset_m < 42000.0
    curve = dec.curve
    assert curve["pa_hr"].iloc[-1] == pytest.approx(dec.pa_hr, abs=0.01)
    assert (curve.loc[curve["distance_m"] < 25000, "pa_hr"].abs() < 1e-6).all()


@pytest.mark.parametrize(
    ("pa_hr", "onset_m"),
    [
        ([0.11, 0.09, 0.07, 0.06, 0.05, 0.04, 0.03, 0.03], float("nan")),  # falls back below
        ([0.01, 0.06, 0.02, 0.05, 0.06, 0.07, 0.08, 0.09], 13000.0),  # held from 13 km on
        ([0.01, 0.02, 0.02, 0.02, 0.02, 0.03, 0.06, 0.07], float("nan")),  # the last 1 km only
        ([0.06, 0.06, 0.06, 0.06, 0.06, 0.06, 0.06, 0.06], 10000.0),
        ([0.06, 0.06, np.nan, 0.06, 0.06, 0.06, 0.06, 0.06], 13000.0),  # no value: not held
    ],
)
def test_an_onset_holds_to_the_finish(pa_hr, onset_m):
    """The onset is where the cumulative Pa:HR stays >= 5 % to the end of the race (2 km or
    more), not the first 2 km above it: the report draws "Pa:HR >= 5 % from X km"."""
    curve = pd.DataFrame({"distance_m": np.arange(10000.0, 18000.0, 1000.0), "pa_hr": pa_hr})
    np.testing.assert_equal(onset_distance(curve), onset_m)


def test_stops_and_walks_are_found_with_their_place():
    speed = np.full(2000, 3.0)
    speed[500:530] = 0.0  # 30 s stop
    speed[1000:1090] = 1.5  # 90 s walk
    events = stops_and_walks(clean(make_run(speed)))
    assert events["kind"].tolist() == ["stop", "walk"]
    stop, walk = events.iloc[0], events.iloc[1]
    assert stop["duration_s"] == pytest.approx(30, abs=5)
    assert stop["start_m"] == pytest.approx(1500, abs=10)
    assert walk["duration_s"] == pytest.approx(90, abs=6)
    assert walk["distance_m"] == pytest.approx(135, abs=10)


def test_walking_cadence_counts_as_walk_without_gps_speed_change():
    cadence = np.full(1200, 170.0)
    cadence[600:700] = 120.0
    events = stops_and_walks(clean(make_run(np.full(1200, 3.0), cadence_spm=cadence)))
    assert events["kind"].tolist() == ["walk"]
    assert events["duration_s"].iloc[0] == pytest.approx(100, abs=2)


def _race(final_speed: float, walk_s: int = 0) -> dict:
    """25 km at 3 m/s then the last mile at ``final_speed``, with a walk inside it."""
    main = np.full(int(25000 / 3.0), 3.0)
    last = np.full(int(np.ceil(METRE_PER_MILE / final_speed)) + 1, final_speed)
    if walk_s:
        last[100 : 100 + walk_s] = 1.5
    return final_mile(clean(make_run(np.r_[main, last])))


def test_even_race_holds():
    fm = _race(3.0)
    assert fm.pace_ratio == pytest.approx(1.0, abs=0.01)
    assert fm.gap_pace_ratio == pytest.approx(1.0, abs=0.01)
    assert not fm.failed and fm.severity == "none" and fm.reference == "5-13.3 km"
    assert fm.outcome == "held"


def test_slow_final_mile_fails_with_severity():
    fm = _race(2.25)  # pace ratio 3 / 2.25 = 1.333
    assert fm.pace_ratio == pytest.approx(3.0 / 2.25, rel=0.01)
    assert fm.failed and fm.severity == "failure" and fm.outcome == "failed"
    assert not fm.walked


def test_walk_in_final_mile_fails_even_at_modest_slowdown():
    fm = _race(3.0, walk_s=80)
    assert fm.pace_ratio < 1.25
    assert fm.walked and fm.walk_s == pytest.approx(80, abs=6)
    assert fm.failed


def test_short_run_uses_the_race_scaled_reference():
    fm = final_mile(clean(make_run(np.full(4000, 3.0))))  # a 12 km run
    assert fm.reference == "2.4-6 km"  # 20 % to 50 % of the race (definitions)
    assert fm.pace_ratio == pytest.approx(1.0, abs=0.01)


def test_standing_after_the_finish_is_not_in_the_final_mile():
    speed = np.r_[np.full(4000, 3.0), np.zeros(90)]  # 90 s standing before the watch stops
    fm = final_mile(clean(make_run(speed)))
    assert fm.stop_s == 0.0 and not fm.failed


def test_severity_grades():
    assert [severity(x) for x in (1.1, 1.15, 1.3, 1.45)] == [
        "none",
        "moderate",
        "failure",
        "severe",
    ]
    assert severity(float("nan")) == "unknown"


@pytest.mark.parametrize(("gap_s", "judged"), [(7200, False), (1200, True)])
def test_a_final_mile_across_a_stop_of_30_min_or_more_is_not_judged(gap_s, judged):
    """A file whose last mile runs into a second outing hours later: no final-mile verdict
    (found by fuzzing a GPX of four outings); a 20-min stop is still part of the race."""
    speed = np.r_[np.full(3700, 3.0), np.zeros(gap_s), np.full(300, 3.0)]  # stop at 11.1 km
    fm = final_mile(clean(make_run(speed, drop=np.arange(3701, 3700 + gap_s))))
    assert fm.start_m < 3700 * 3.0
    if judged:
        assert fm.note == "" and fm.failed and fm.stop_s >= gap_s - 2
    else:
        assert fm.note == "the final mile holds a stop of 2 h 00 min and is not one effort"
        assert not fm.failed and fm.outcome == "unknown" and np.isnan(fm.pace_ratio)
