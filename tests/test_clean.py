"""clean(): resampling, pauses, stillness, GPS spikes, distance, altitude, HR artefacts."""

from __future__ import annotations

import numpy as np
import pytest
from metrics.synthetic import M_PER_DEG, make_run, timer_events

from finishline.clean import (
    clean,
    detect_altitude_source,
    flag_hr_artefacts,
    gps_spike_mask,
    grade_from_altitude,
)
from finishline.errors import AnalysisError


def test_constant_run_is_1hz_all_moving():
    track = clean(make_run(np.full(600, 3.0)))
    assert len(track) == 600
    assert np.allclose(np.diff(track["elapsed_s"]), 1.0)
    assert track["moving"].sum() == 599  # the last row stands for no interval
    assert track["speed_mps"].iloc[10:-10].sub(3.0).abs().max() < 1e-9
    assert track["distance_m"].iloc[-1] == pytest.approx(599 * 3.0)


def test_timer_pause_is_not_moving_and_distance_is_held():
    speed = np.full(600, 3.0)
    speed[199:260] = 0.0
    act = make_run(speed, events=timer_events((200, 260)), drop=np.arange(201, 260))
    track = clean(act)
    assert track["moving"].sum() == pytest.approx(599 - 60, abs=2)
    assert track["distance_m"].iloc[200:260].nunique() == 1
    assert track["paused"].iloc[205:255].all()


def test_gap_without_movement_is_a_pause_without_events():
    speed = np.full(600, 3.0)
    speed[199:260] = 0.0
    track = clean(make_run(speed, drop=np.arange(201, 260)))
    assert not track["moving"].iloc[205:255].any()
    assert track["moving"].sum() == pytest.approx(539, abs=3)


def test_standing_still_with_timer_running_is_not_moving():
    speed = np.full(600, 3.0)
    speed[300:340] = 0.0
    track = clean(make_run(speed))
    assert not track["moving"].iloc[305:335].any()
    assert track["moving"].sum() == pytest.approx(599 - 40, abs=6)


def test_short_stop_is_still_moving():
    speed = np.full(600, 3.0)
    speed[300:303] = 0.0
    assert clean(make_run(speed))["moving"].sum() == 599


def test_smart_recording_is_interpolated_and_moving():
    act = make_run(np.full(200, 3.0), dt_s=7.0)
    track = clean(act)
    assert track.attrs["max_interp_gap_s"] == pytest.approx(35.0)
    assert not track["in_gap"].any()
    assert track["moving"].sum() == len(track) - 1
    assert np.allclose(track["distance_m"], track["elapsed_s"] * 3.0)


def test_long_gap_in_1hz_recording_stays_a_gap():
    act = make_run(np.full(600, 3.0), drop=np.arange(200, 300))
    track = clean(act)
    assert track["in_gap"].iloc[201:299].all()
    assert track["heart_rate_bpm"].iloc[201:299].isna().all()
    assert not track["moving"].iloc[201:299].any()
    assert track["distance_m"].iloc[-1] == pytest.approx(599 * 3.0)


def test_distance_from_positions_matches_truth_and_ignores_spikes():
    speed = np.full(1200, 3.0)
    act = make_run(speed, with_distance=False, with_positions=True)
    lat = act.samples["lat_deg"].to_numpy().copy()
    lat[[300, 700]] += 500.0 / M_PER_DEG  # two 500 m spikes
    act.samples["lat_deg"] = lat
    track = clean(act)
    assert track.attrs["distance_source"] == "positions"
    assert track["distance_m"].iloc[-1] == pytest.approx(1199 * 3.0, rel=1e-3)


def test_spike_mask_finds_the_spike_only():
    t = np.arange(100, dtype=float)
    lat = 45.0 + t * 3.0 / M_PER_DEG
    lon = np.full(100, 7.0)
    lat[50] += 300.0 / M_PER_DEG
    mask = gps_spike_mask(lat, lon, t)
    assert mask[50] and mask.sum() == 1


def test_no_distance_positions_or_speed_is_an_analysis_error():
    act = make_run(np.full(60, 3.0), with_distance=False)
    act.samples["speed_mps"] = np.nan
    with pytest.raises(AnalysisError):
        clean(act)


def test_hr_dropouts_spikes_and_lockin_are_flagged():
    n = 600
    rng = np.random.default_rng(1)
    cadence = 170 + rng.normal(0, 3, n).round()
    hr = np.full(n, 150.0)
    hr[50:55] = 0.0  # dropout
    hr[100:103] = 215.0  # spike
    hr[300:420] = cadence[300:420]  # locked onto cadence for 2 min
    flags = flag_hr_artefacts(hr, cadence)
    assert flags[50:55].all() and flags[100:103].all()
    assert flags[310:410].all()
    assert not flags[150:290].any() and not flags[440:].any()
    track = clean(make_run(np.full(n, 3.0), heart_rate_bpm=hr, cadence_spm=cadence))
    assert track["heart_rate_bpm"][track["hr_artefact"]].isna().all()
    assert track["heart_rate_raw_bpm"].notna().all()


def test_smooth_hr_near_cadence_is_not_lockin():
    rng = np.random.default_rng(2)
    cadence = 165 + rng.normal(0, 3, 900).round()
    hr = np.full(900, 165.0) + np.linspace(0, 2, 900)
    assert not flag_hr_artefacts(hr, cadence).any()


def test_altitude_source_detection():
    rng = np.random.default_rng(3)
    smooth = np.linspace(100, 120, 1000)
    noisy = smooth + rng.normal(0, 2.0, 1000)
    assert detect_altitude_source(smooth, has_positions=True) == "barometric"
    assert detect_altitude_source(noisy, has_positions=True) == "gps"
    assert detect_altitude_source(noisy, has_positions=False) == "barometric"


def test_grade_of_a_constant_slope():
    distance = np.arange(0, 2000, 3.0)
    grade = grade_from_altitude(distance, 0.05 * distance)
    assert np.allclose(grade[20:-20], 0.05)


def test_gps_altitude_is_smoothed_harder():
    rng = np.random.default_rng(4)
    n = 1200
    altitude = 100 + rng.normal(0, 2.0, n)
    act = make_run(np.full(n, 3.0), altitude_m=altitude, with_positions=True)
    gps = clean(act, altitude_source="gps")["altitude_m"].std()
    baro = clean(act, altitude_source="barometric")["altitude_m"].std()
    assert gps < baro < altitude.std()
