"""clean(): resampling, pauses, stillness, GPS spikes, distance, altitude, HR artefacts."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import M_PER_DEG, make_run, timer_events

from finishline.clean import (
    clean,
    detect_altitude_source,
    flag_hr_artefacts,
    gps_spike_mask,
    grade_from_altitude,
)
from finishline.elevation import (
    altitude_profile,
    elevation_gain_loss,
    running_mean_symmetric,
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


def test_long_gap_at_running_pace_is_bridged_not_a_stop():
    # 100 s without samples, covered at the running pace: signal lost, the runner kept going
    act = make_run(np.full(600, 3.0), drop=np.arange(200, 300))
    track = clean(act)
    assert track["in_gap"].iloc[201:299].all()
    assert track["heart_rate_bpm"].iloc[201:299].isna().all()
    assert track["moving"].iloc[201:299].all()
    assert np.allclose(track["distance_m"].iloc[199:301], np.arange(199, 301) * 3.0)
    assert track["distance_m"].iloc[-1] == pytest.approx(599 * 3.0)
    assert any("bridged" in w for w in track.attrs["warnings"])


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
    # The 0 bpm dropout is no heart rate: the reader boundary removes it before clean sees it.
    raw = track["heart_rate_raw_bpm"].to_numpy()
    assert np.isfinite(np.r_[raw[:50], raw[56:]]).all() and np.isnan(raw[50:55]).all()


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


def _hill_run(noise_m: float, seed: int):
    """12 km at 3 m/s over two 60 m cosine hills (grade up to ~9 %), plus altitude noise."""
    rng = np.random.default_rng(seed)
    n = 4001
    speed = np.full(n, 3.0)
    distance = np.r_[0.0, np.cumsum(speed[:-1])]
    hill = np.where(
        (distance % 6000 > 1000) & (distance % 6000 < 5000),
        30.0 * (1 - np.cos(2 * np.pi * (distance % 6000 - 1000) / 4000.0)),
        0.0,
    )
    true_grade = np.gradient(hill, distance)
    altitude = 200.0 + hill + rng.normal(0, noise_m, n)
    return make_run(speed, altitude_m=altitude, with_positions=True), distance, true_grade


@pytest.mark.parametrize(("source", "noise_m"), [("barometric", 0.3), ("gps", 2.0)])
def test_noisy_hill_recovers_grade_and_gain(source, noise_m):
    act, distance, true_grade = _hill_run(noise_m, seed=7)
    track = clean(act, altitude_source=source)
    # two hills of 60 m: 120 m of gain; raw noise alone would add hundreds of metres
    gain, loss = elevation_gain_loss(track["altitude_m"].to_numpy())
    assert gain == pytest.approx(120.0, rel=0.05)
    assert loss == pytest.approx(120.0, rel=0.05)
    inner = slice(200, -200)
    err = track["grade"].to_numpy()[inner] - true_grade[inner]
    assert np.sqrt(np.mean(err**2)) < (0.005 if source == "barometric" else 0.012)
    # a flat-course check on the same data: GAP speed is not biased by the noise
    flat, *_ = _hill_run(noise_m, seed=8)
    flat.samples["altitude_m"] = 200.0 + np.random.default_rng(9).normal(
        0, noise_m, len(flat.samples)
    )
    flat_track = clean(flat, altitude_source=source)
    ratio = flat_track["gap_speed_mps"].sum() / flat_track["speed_mps"].sum()
    assert ratio == pytest.approx(1.0, abs=0.005)


def test_false_climb_at_the_start_is_removed():
    # GPS altitude that has not settled: +90 m in 150 m (over ~50 s), back down by 900 m
    n = 3000
    speed = np.full(n, 3.0)
    distance = np.r_[0.0, np.cumsum(speed[:-1])]
    bump = np.interp(distance, [0, 200, 350, 900, 1e9], [0, 0, 90, 0, 0])
    act = make_run(speed, altitude_m=250.0 + bump, with_positions=True)
    track = clean(act, altitude_source="gps")
    assert track.attrs["altitude_repaired_m"] > 0
    assert track["altitude_m"].max() - track["altitude_m"].min() < 2.0
    assert elevation_gain_loss(track["altitude_m"].to_numpy())[0] < 2.0


def test_altitude_step_is_removed_and_steep_real_climb_kept():
    # a barometer recalibration: a 30 m jump within one second; later a real 25 % climb walked
    n = 3000
    speed = np.r_[np.full(1000, 3.0), np.full(1000, 1.0), np.full(1000, 3.0)]
    distance = np.r_[0.0, np.cumsum(speed[:-1])]
    climb = np.clip(distance - 3000.0, 0, 1000.0) * 0.25
    step = np.where(np.arange(n) >= 500, 30.0, 0.0)
    track = clean(make_run(speed, altitude_m=100 + climb + step), altitude_source="barometric")
    gain, _ = elevation_gain_loss(track["altitude_m"].to_numpy())
    assert gain == pytest.approx(250.0, abs=3.0)
    mid = (track["distance_m"] > 3200) & (track["distance_m"] < 3800)
    assert track.loc[mid, "grade"].to_numpy() == pytest.approx(0.25, abs=0.01)


def test_standing_still_with_barometric_drift_adds_no_climb():
    speed = np.r_[np.full(300, 3.0), np.zeros(600), np.full(300, 3.0)]
    altitude = np.r_[np.full(300, 50.0), np.linspace(50, 53, 600), np.full(300, 53.0)]
    track = clean(make_run(speed, altitude_m=altitude), altitude_source="barometric")
    still = ~track["moving"].to_numpy()
    assert np.ptp(track["altitude_m"].to_numpy()[still][5:-5]) < 1e-9
    assert (track["grade"].abs() < 0.05).all()


def test_running_mean_keeps_lines_and_profile_handles_missing_altitude():
    line = 3.0 + 0.1 * np.arange(50)
    assert np.allclose(running_mean_symmetric(line, 11), line)
    grid, profile, _ = altitude_profile(np.arange(5.0), np.full(5, np.nan), np.arange(5.0))
    assert grid.size == 0 and profile.size == 0
    act = make_run(np.full(300, 3.0))
    assert clean(act)["altitude_m"].isna().all()
    assert (clean(act)["grade"] == 0).all()


def test_distance_jump_keeps_distance_but_not_the_speed():
    # A stride sensor that stalls for 4 s, then catches up 300 m in 5 s (as the Polar half does).
    act = make_run(np.full(600, 3.0))
    distance = act.samples["distance_m"].to_numpy().copy()
    distance[300:304] = distance[300]
    distance[304:309] = np.linspace(distance[300] + 60, distance[300] + 300, 5)
    distance[309:] += 300 - 3.0 * 9
    act.samples["distance_m"] = distance
    track = clean(act)
    assert track["distance_m"].iloc[-1] == pytest.approx(distance[-1])
    assert track["speed_mps"].max() < 4.0  # the device speed (3 m/s) fills the jump
    assert track["moving"].iloc[290:320].all()


def test_run_shorter_than_two_seconds_is_an_analysis_error():
    act = make_run(np.full(2, 3.0), dt_s=0.5)
    with pytest.raises(AnalysisError, match="less than 2 s"):
        clean(act)


def test_distance_from_positions_is_recomputed_without_gps_spikes():
    # A GPX reader sums every step, spikes included; clean must not trust that sum.
    from finishline.geo import cumulative_distance_m

    act = make_run(np.full(600, 3.0), with_positions=True, with_distance=False)
    lat = act.samples["lat_deg"].to_numpy().copy()
    lat[[100, 250, 400]] += 0.001  # three single-point jumps of ~111 m and back
    act.samples["lat_deg"] = lat
    act.samples["distance_m"] = cumulative_distance_m(lat, act.samples["lon_deg"].to_numpy())
    act.meta.distance_source = "positions"
    assert act.samples["distance_m"].iloc[-1] > 599 * 3.0 + 600  # the reader's sum
    track = clean(act)
    assert track.attrs["distance_source"] == "positions"
    assert track["distance_m"].iloc[-1] == pytest.approx(599 * 3.0, rel=0.01)


def test_splits_and_their_table_show_a_bridged_gap():
    from finishline.metrics.splits import splits
    from finishline.viz.tables import GAP_MARK, splits_table_html

    act = make_run(np.full(1200, 3.0), drop=np.arange(400, 500))  # 3.6 km, a gap in km 2
    table = splits(clean(act))
    gap = table.set_index("split")["gap_s"]
    assert gap.sum() == pytest.approx(99.0, abs=1.0)
    assert gap.loc[2] == pytest.approx(99.0, abs=1.0) and gap.drop(2).eq(0).all()
    assert table.loc[table["split"] == 2, "moving_s"].iloc[0] == pytest.approx(1000 / 3.0, abs=1)
    html = splits_table_html(table)
    assert f"2{GAP_MARK}" in html and "lost the signal" in html and f"1{GAP_MARK}" not in html


def test_heart_rate_dropout_is_masked_and_shaded():
    from finishline.viz.heart import heart_rate_figure, masked_stretches_m

    rng = np.random.default_rng(3)
    speed = 3.0 + 0.3 * np.sin(np.arange(3000) / 300.0)
    hr = 120.0 + 12.0 * speed + rng.normal(0, 1.5, speed.size)  # HR follows the pace
    hr[1500:1560] = 95.0  # a minute of an optical sensor that lost contact
    track = clean(make_run(speed, heart_rate_bpm=hr))
    assert track["hr_artefact"].iloc[1502:1558].all()
    assert track["hr_artefact"].sum() < 90  # the rest of the run stays
    assert track["heart_rate_bpm"].iloc[1502:1558].isna().all()
    stretches = masked_stretches_m(track)
    assert len(stretches) == 1
    a, b = stretches[0]
    assert track["distance_m"].iloc[1495] <= a and b <= track["distance_m"].iloc[1565]
    fig = heart_rate_figure(track)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 1 and rects[0].x0 == pytest.approx(a / 1000.0)
    assert "masked as a sensor artefact" in fig.layout.title.subtitle.text
