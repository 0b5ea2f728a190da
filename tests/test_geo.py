"""Great-circle distances: known baselines, invariants and the cumulative track distance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from finishline.geo import EARTH_RADIUS_M, cumulative_distance_m, haversine_m, step_distance_m

lat = st.floats(-89.9, 89.9)
lon = st.floats(-179.9, 179.9)


def test_one_degree_of_latitude_is_111_2_km():
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(45.0, 7.0, 46.0, 7.0) == pytest.approx(111_195, rel=1e-4)


def test_one_degree_of_longitude_shrinks_with_cos_latitude():
    at_60 = haversine_m(60.0, 0.0, 60.0, 1.0)
    assert at_60 == pytest.approx(111_195 * np.cos(np.radians(60.0)), rel=1e-3)


def test_london_paris():
    # Charing Cross (51.5074 N, 0.1278 W) to Notre-Dame (48.8566 N, 2.3522 E): ~343.5 km.
    assert haversine_m(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343_500, rel=2e-3)


def test_antipodes_are_half_a_circumference():
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(np.pi * EARTH_RADIUS_M, rel=1e-9)


@given(lat, lon, lat, lon)
def test_symmetric_non_negative_bounded(lat1, lon1, lat2, lon2):
    d12 = float(haversine_m(lat1, lon1, lat2, lon2))
    d21 = float(haversine_m(lat2, lon2, lat1, lon1))
    assert d12 == pytest.approx(d21, abs=1e-6)
    assert 0.0 <= d12 <= np.pi * EARTH_RADIUS_M + 1e-6


@given(lat, lon, lat, lon, lat, lon)
def test_triangle_inequality(a1, b1, a2, b2, a3, b3):
    direct = float(haversine_m(a1, b1, a3, b3))
    via = float(haversine_m(a1, b1, a2, b2) + haversine_m(a2, b2, a3, b3))
    assert direct <= via + 1e-6


def test_cumulative_distance_along_a_meridian():
    lats = np.linspace(0.0, 0.01, 11)  # ten steps of 0.001 deg = 111.195 m each
    dist = cumulative_distance_m(lats, np.zeros_like(lats))
    assert dist[0] == 0.0
    assert np.all(np.diff(dist) > 0)
    assert dist[-1] == pytest.approx(1111.95, rel=1e-4)


def test_missing_positions_are_skipped_not_zeroed():
    lats = np.array([0.0, np.nan, 0.002])
    dist = cumulative_distance_m(lats, np.zeros(3))
    assert dist[1] == 0.0  # carries the last valid distance
    assert dist[2] == pytest.approx(222.39, rel=1e-4)  # connects to the last valid point


def test_breaks_drop_the_jump_between_segments():
    lats = np.array([0.0, 0.001, 0.5, 0.501])
    lons = np.zeros(4)
    breaks = np.array([False, False, True, False])
    with_break = cumulative_distance_m(lats, lons, breaks)
    assert with_break[-1] == pytest.approx(2 * 111.195, rel=1e-3)
    assert cumulative_distance_m(lats, lons)[-1] > 55_000
    assert step_distance_m(lats, lons, breaks)[2] == 0.0


def test_no_positions_gives_nan():
    assert np.isnan(cumulative_distance_m([np.nan, np.nan], [np.nan, np.nan])).all()


def test_haversine_quarter_meridian():
    assert haversine_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(EARTH_RADIUS_M * np.pi / 2)
