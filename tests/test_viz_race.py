"""Figure functions on a synthetic marathon with known pace, fade, hills, walking and route."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from finishline.activity import ActivityMeta, make_activity
from finishline.analysis import analyze
from finishline.results import RaceAnalysis
from finishline.viz import race
from finishline.viz.theme import format_pace, pace_strings, pace_ticks

MARATHON_M = 42195.0
REF_SPEED = 1000.0 / 300.0  # 5:00 /km


def synthetic_track(
    *, gps: bool = True, hr: bool = True, walk_s: int = 90, fade_from_m: float = 30000.0
) -> pd.DataFrame:
    """A 1 Hz marathon: 5:00/km to ``fade_from_m``, then a linear fade to 6:30/km at the
    finish, ``walk_s`` seconds walking at 1.5 m/s 800 m before the end, rolling hills, HR
    drifting 150 -> 170 bpm, cadence 172 -> 160 spm, and a loop-shaped GPS route."""
    speeds = []
    distance = 0.0
    walked = 0
    while distance < MARATHON_M:
        if distance >= MARATHON_M - 800.0 and walked < walk_s:
            v = 1.5
            walked += 1
        elif distance < fade_from_m:
            v = REF_SPEED
        else:
            frac = (distance - fade_from_m) / (MARATHON_M - fade_from_m)
            v = 1000.0 / (300.0 + 90.0 * frac)
        speeds.append(v)
        distance += v
    speed = np.asarray(speeds)
    dist = np.cumsum(speed) - speed[0]
    n = speed.size
    t = np.arange(n, dtype="float64")
    idx = pd.date_range("2024-10-06 13:30:00", periods=n, freq="1s", tz="UTC", name="timestamp")
    alt = 250.0 + 20.0 * np.sin(dist / 3000.0 * 2 * np.pi)
    grade = np.gradient(alt) / np.maximum(np.gradient(dist), 0.1)
    angle = dist / MARATHON_M * 2 * np.pi
    frame = pd.DataFrame(
        {
            "elapsed_s": t,
            "moving": speed > 0.5,
            "distance_m": dist,
            "speed_mps": speed,
            "altitude_m": alt,
            "grade": grade,
            "gap_speed_mps": speed * (1 + 3 * grade),
            "heart_rate_bpm": np.linspace(150, 170, n) if hr else np.nan,
            "hr_artefact": np.zeros(n, dtype=bool),
            "cadence_spm": np.linspace(172, 160, n),
            "stride_length_m": speed * 60 / np.linspace(172, 160, n),
            "lat_deg": 44.95 + 0.05 * np.sin(angle) if gps else np.nan,
            "lon_deg": -93.2 + 0.07 * (1 - np.cos(angle)) if gps else np.nan,
            "power_w": np.nan,
        },
        index=idx,
    )
    return frame


def synthetic_splits(track: pd.DataFrame, unit_m: float = 1000.0) -> pd.DataFrame:
    dist = track["distance_m"].to_numpy()
    t = track["elapsed_s"].to_numpy()
    total = dist[-1]
    ends = np.r_[np.arange(unit_m, total, unit_m), total]
    starts = np.r_[0.0, ends[:-1]]
    t_end, t_start = np.interp(ends, dist, t), np.interp(starts, dist, t)
    length = ends - starts
    time_s = t_end - t_start
    return pd.DataFrame(
        {
            "split": np.arange(1, ends.size + 1),
            "start_m": starts,
            "end_m": ends,
            "distance_m": length,
            "time_s": time_s,
            "moving_s": time_s,
            "pace_s_per_km": time_s / length * 1000.0,
            "pace_s_per_mile": time_s / length * 1609.344,
            "gap_pace_s_per_km": time_s / length * 1000.0,
            "elev_gain_m": 5.0,
            "elev_loss_m": 5.0,
            "avg_hr_bpm": 160.0,
            "avg_cadence_spm": 168.0,
            "stride_length_m": 1.2,
            "partial": length < unit_m - 1e-6,
        }
    )


def synthetic_analysis(**track_options) -> RaceAnalysis:
    """:func:`finishline.analyze` of a run recorded along :func:`synthetic_track`."""
    track = synthetic_track(**track_options)
    columns = ["distance_m", "speed_mps", "altitude_m", "heart_rate_bpm", "cadence_spm"]
    columns += ["lat_deg", "lon_deg"]
    meta = ActivityMeta(source_path="synthetic.fit", format="fit", sport="running")
    activity = make_activity(track[columns], meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(activity, max_hr_bpm=190, rest_hr_bpm=50, critical_speed_mps=3.9)


def _y_values(fig: go.Figure, name: str) -> np.ndarray:
    trace = next(t for t in fig.data if t.name == name)
    return np.asarray(trace.y, dtype="float64")


# ---------------------------------------------------------------------- helpers


def test_format_pace_and_ticks() -> None:
    assert format_pace(300.0, "km") == "5:00 /km"
    assert format_pace(59.6) == "1:00"
    assert format_pace(float("nan")) == "-"
    assert list(pace_strings(np.array([300.0, 365.0, np.nan]))) == ["5:00", "6:05", "-"]
    vals, text = pace_ticks(290.0, 410.0)
    assert len(vals) <= 7 and all(290 <= v <= 410 for v in vals)
    assert text == list(pace_strings(np.array(vals)))


def test_downsample_by_distance_keeps_means_and_is_light() -> None:
    track = synthetic_track()
    binned = race.downsample_by_distance(track, 10.0, ["speed_mps", "heart_rate_bpm"])
    # a 10 m bin per point: about 4,220 points for a marathon instead of ~13,000 samples
    assert 4000 <= len(binned) <= 4300 < len(track)
    assert np.all(np.diff(binned["distance_m"]) > 0)
    # the time-weighted mean of HR is preserved within a bin's variation
    assert binned["heart_rate_bpm"].mean() == pytest.approx(
        track["heart_rate_bpm"].mean(), rel=0.01
    )


def test_reference_pace_is_the_5_to_20_km_clock_pace() -> None:
    track = synthetic_track()
    assert race.reference_pace(track) == pytest.approx(300.0, abs=0.5)
    # a linear fade of 90 s/km over 32.195 km starting at 10 km adds
    # 90 / 32195 / 1000 * 10000**2 / 2 = 139.8 s to the 15 km window
    extra_s = 90.0 / (MARATHON_M - 10000.0) / 1000.0 * 10000.0**2 / 2
    faded = race.reference_pace(synthetic_track(fade_from_m=10000.0))
    assert faded == pytest.approx((15 * 300.0 + extra_s) / 15, abs=0.5)


# ---------------------------------------------------------------------- figures


@pytest.mark.parametrize("unit, per_unit", [("km", 1000.0), ("mile", 1609.344)])
def test_pace_figure_units_and_reversed_pace_axis(unit: str, per_unit: float) -> None:
    track = synthetic_track()
    fig = race.pace_elevation_figure(track, unit)
    pace = _y_values(fig, "pace")
    expected = 300.0 * per_unit / 1000.0
    # the first 20 km run at 5:00/km: the display pace shows it in the chosen unit
    x = np.asarray(fig.data[0].x)
    early = pace[(x > 2) & (x < 15)]
    assert np.nanmedian(early) == pytest.approx(expected, rel=0.01)
    assert x.max() == pytest.approx(MARATHON_M / per_unit, rel=0.01)
    yaxis = fig.layout.yaxis
    assert yaxis.range[0] > yaxis.range[1], "pace axis must be reversed (faster up)"
    assert all(":" in t for t in yaxis.ticktext)
    assert f"/{'km' if unit == 'km' else 'mi'}" in fig.data[0].hovertemplate
    assert len(x) < 6000
    elev_trace = next(t for t in fig.data if t.name == "elevation")
    elev_unit = "m" if unit == "km" else "ft"
    assert f"({elev_unit})" in fig.layout.yaxis2.title.text
    assert elev_unit in elev_trace.hovertemplate


def test_pace_figure_without_speed_degrades() -> None:
    track = synthetic_track().assign(speed_mps=np.nan)
    fig = race.pace_elevation_figure(track)
    assert fig.layout.meta["available"] is False
    assert "Not available" in fig.layout.annotations[0].text


def test_heart_rate_figure_panels_and_onset() -> None:
    track = synthetic_track()
    track["gap_speed_mps"] = track["speed_mps"]  # flat: GAP = pace
    fig = race.heart_rate_figure(track, "km", onset_m=28400.0)
    names = [t.name for t in fig.data]
    assert names == ["heart rate", "cadence", "efficiency"]
    ef = _y_values(fig, "efficiency")
    # EF = GAP speed * 60 / HR: metres per beat, ~1.33 at 3.33 m/s and 150 bpm
    assert np.nanmedian(ef[:100]) == pytest.approx(REF_SPEED * 60 / 150, rel=0.05)
    assert any("28.4 km" in (a.text or "") for a in fig.layout.annotations)
    assert sum(1 for s in fig.layout.shapes if s.type == "line" and s.x0 == 28.4) == 3
    curve = pd.DataFrame({"distance_m": [5000.0, 20000.0, 40000.0], "decoupling_pct": [0, 2, 8]})
    fig4 = race.heart_rate_figure(track, "mile", decoupling={"curve": curve}, onset_m=30000.0)
    assert [t.name for t in fig4.data][-1] == "decoupling"
    assert np.asarray(fig4.data[-1].x)[-1] == pytest.approx(40000 / 1609.344)


def test_heart_rate_figure_without_hr_keeps_cadence() -> None:
    fig = race.heart_rate_figure(synthetic_track(hr=False), "km")
    assert [t.name for t in fig.data] == ["cadence"]


@pytest.mark.parametrize("unit", ["km", "mile"])
def test_splits_figure_bars_from_reference(unit: str) -> None:
    analysis = synthetic_analysis()
    splits = analysis.splits_km if unit == "km" else analysis.splits_mile
    fig = race.splits_figure(splits, unit, reference_pace_s_per_km=300.0)
    bar = fig.data[0]
    ref = 300.0 * (1.0 if unit == "km" else 1.609344)
    assert np.allclose(np.asarray(bar.base, dtype=float), ref)
    pace_col = "pace_s_per_km" if unit == "km" else "pace_s_per_mile"
    assert np.allclose(np.asarray(bar.y) + ref, splits[pace_col])
    colors = list(bar.marker.color)
    # first splits on reference pace: neutral grey; the faded last full split: vermillion
    assert colors[2] == "rgb(217, 217, 217)"
    assert colors[-2] == "rgb(213, 94, 0)"
    assert fig.data[1].marker.colorbar.ticktext[3] == "reference"
    assert bar.x[-1].endswith("*") and not bar.x[-2].endswith("*")
    assert "partial" in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]


def test_fatigue_figure_and_absence() -> None:
    km = np.arange(1, 43, dtype="float64")
    fatigue = pd.DataFrame(
        {
            "km": km,
            "pace_fade": np.clip((km - 30) * 0.02, 0, None),
            "cardiac_drift": km * 0.002,
            "fatigue_index": np.clip((km - 28) / 14, 0, 1),
        }
    )
    fig = race.fatigue_figure(fatigue, onset_km=30.0, unit="mile")
    names = [t.name for t in fig.data]
    assert names[0] == "fatigue index" and "pace fade" in names and "cardiac drift" in names
    assert any("18.6 mi" in (a.text or "") for a in fig.layout.annotations)
    for missing in (None, pd.DataFrame()):
        empty = race.fatigue_figure(missing)
        assert empty.layout.meta["available"] is False


def test_risk_figure_band_and_verdict() -> None:
    risk_km = np.arange(5.0, 42.0)
    p = 1 / (1 + np.exp(-(risk_km - 32) / 3))
    risk = pd.DataFrame(
        {"km": risk_km, "p_fail": p, "p_lo": p * 0.7, "p_hi": np.minimum(1, p * 1.3)}
    )
    final_mile = {"pace_ratio": 1.31, "walked": True, "stopped": False, "failed": True}
    fig = race.risk_figure(risk, final_mile=final_mile, verdict="High risk from 33 km")
    band, line = fig.data
    assert band.fill == "toself"
    assert np.nanmax(line.y) <= 100 and np.nanmin(line.y) >= 0
    text = fig.layout.annotations[0].text
    assert "High risk from 33 km" in text and "+31 %" in text and "failed" in text
    assert race.risk_figure(None).layout.meta["available"] is False


def test_route_figure_equal_aspect_and_no_gps() -> None:
    fig = race.route_figure(synthetic_track(), "km")
    assert fig.layout.yaxis.scaleanchor == "x"
    points = fig.data[1]
    assert len(points.x) <= 2500
    # the loop spans ~0.14 deg of longitude at 45 N: about 11 km east
    assert np.nanmax(points.x) == pytest.approx(0.14 * 111.32 * np.cos(np.deg2rad(44.95)), rel=0.05)
    assert "min/km" in points.marker.colorbar.title.text
    assert race.route_figure(synthetic_track(gps=False)).layout.meta["available"] is False


def test_final_mile_figure_shows_failure_and_walk() -> None:
    track = synthetic_track()
    fig = race.final_mile_figure(track, "km", final_mile={"pace_ratio": 1.31, "failed": True})
    assert "failure" in fig.layout.title.text and "+31 %" in fig.layout.title.text
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    ys = sorted(s.y0 for s in lines)
    assert ys == pytest.approx([300.0, 375.0], abs=1.0)  # reference and +25 % line
    walking = [s for s in fig.layout.shapes if s.type == "rect" and "230,159,0" in s.fillcolor]
    assert len(walking) == 1
    avg = next(t for t in fig.data if t.name == "final-mile average")
    assert avg.y[0] > 375.0  # fade to 6:30 plus 90 s walking: beyond the failure line
    x = np.asarray(fig.data[0].x)
    assert x.min() >= (MARATHON_M - 1609.344 - 1600.0) / 1000 - 0.02


def test_final_mile_figure_short_run() -> None:
    track = synthetic_track()
    short = track[track["distance_m"] < 2000.0]
    assert race.final_mile_figure(short).layout.meta["available"] is False


def test_bad_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unit"):
        race.pace_elevation_figure(synthetic_track(), "furlong")  # type: ignore[arg-type]
