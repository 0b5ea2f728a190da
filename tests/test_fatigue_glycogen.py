"""Rapoport glycogen model against the worked example in science.md 2.1."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import MARATHON_M, synthetic_track

from finishline.fatigue.glycogen import (
    carbohydrate_fraction,
    distance_to_wall_km,
    glycogen_margin,
    glycogen_store_kcal,
    intensity_from_heart_rate,
)

HR_MAX, HR_REST = 190.0, 50.0


def hr_at(u):
    """Heart rate (1/min) at heart-rate-reserve fraction u."""
    return HR_REST + u * (HR_MAX - HR_REST)


def test_store_of_the_worked_example():
    # 70 kg, f_leg 0.20, rho 80 kcal/kg, liver 400 kcal -> C = 1520 kcal.
    assert glycogen_store_kcal(70.0) == pytest.approx(1520.0)
    assert glycogen_store_kcal(70.0, muscle_kcal_per_kg=144.0) == pytest.approx(2416.0)


@pytest.mark.parametrize("u, expected", [(0.65, 0.48), (0.75, 0.61), (0.85, 0.75)])
def test_carbohydrate_fraction_published_points(u, expected):
    assert carbohydrate_fraction(u) == pytest.approx(expected, abs=0.006)


@pytest.mark.parametrize("u, wall_km", [(0.75, 36.0), (0.70, 40.0), (0.65, 45.0)])
def test_distance_to_wall_worked_example(u, wall_km):
    assert distance_to_wall_km(1520.0, 70.0, u) == pytest.approx(wall_km, abs=0.5)


def test_intensity_is_heart_rate_reserve_fraction():
    u = intensity_from_heart_rate(np.array([50.0, 120.0, 190.0, 250.0]), HR_MAX, HR_REST)
    np.testing.assert_allclose(u, [0.0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize("u", [0.65, 0.70, 0.75])
def test_margin_along_a_steady_race(u):
    track = synthetic_track(((MARATHON_M, 3.2),), heart_rate=lambda v, d: np.full(v.size, hr_at(u)))
    fuel = glycogen_margin(track, body_mass_kg=70.0, hr_max_bpm=HR_MAX, hr_rest_bpm=HR_REST)
    wall = distance_to_wall_km(1520.0, 70.0, u)
    # At constant intensity the projected wall never moves: it is d_wall(u) from the start.
    settled = fuel.iloc[700:]
    np.testing.assert_allclose(settled["wall_at_km"], wall, atol=0.01)
    np.testing.assert_allclose(settled["glycogen_margin_km"], wall - MARATHON_M / 1000.0, atol=0.01)
    # The store runs out where the model says.
    empty_at = track["distance_m"][fuel["cho_left_kcal"] <= 0]
    if wall < MARATHON_M / 1000.0:
        assert empty_at.iloc[0] / 1000.0 == pytest.approx(wall, abs=0.01)
    else:
        assert empty_at.empty


def test_carbohydrate_intake_moves_the_wall_back():
    u, v, intake = 0.75, 3.2, 60.0
    track = synthetic_track(((MARATHON_M, v),), heart_rate=lambda s, d: np.full(s.size, hr_at(u)))
    kw = {"body_mass_kg": 70.0, "hr_max_bpm": HR_MAX, "hr_rest_bpm": HR_REST}
    fed = glycogen_margin(track, carb_intake_g_per_h=intake, **kw)
    # 60 g/h = 240 kcal/h; at 3.2 m/s = 11.52 km/h that is 20.83 kcal per km eaten.
    net_per_km = 70.0 * carbohydrate_fraction(u) - 240.0 / (v * 3.6)
    assert fed["wall_at_km"].iloc[1000] == pytest.approx(1520.0 / net_per_km, abs=0.05)
    assert fed["wall_at_km"].iloc[1000] > glycogen_margin(track, **kw)["wall_at_km"].iloc[1000]


def test_no_heart_rate_gives_nan_or_speed_based_intensity():
    track = synthetic_track(((MARATHON_M, 3.2),))
    fuel = glycogen_margin(track, hr_max_bpm=HR_MAX, hr_rest_bpm=HR_REST)
    assert fuel["glycogen_margin_km"].isna().all()
    # With VO2max, u = v[km/h] / (0.3 VO2max) = 11.52 / 15 = 0.768.
    fuel = glycogen_margin(track, vo2max_ml_kg_min=50.0)
    assert fuel["intensity_u"].iloc[100] == pytest.approx(3.2 * 3.6 / 15.0)
    assert np.isfinite(fuel["glycogen_margin_km"].iloc[1000:]).all()
