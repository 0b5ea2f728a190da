"""The vectorised season equals the per-activity / per-week loops it replaced.

Each oracle below is the implementation the season used before it was vectorised (pandas
masks per week, ``iterrows`` per activity, ``np.polyfit`` per fit, ``brentq`` per inversion,
``scipy.signal.lfilter``), kept here verbatim in substance. They are compared on synthetic
seasons (random starts, gaps, short runs without long-duration curve points, runs without
heart rate or efforts) and on the real 68-session GPX season of the corpus. Floats agree to
1e-9 relative; inversions that ``brentq`` solved only to ``xtol`` (1 ms for VDOT, 10 ms for
the CS marathon) agree to that tolerance, since the closed forms are exact.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from corpus import CORPUS, require_shared
from scipy.optimize import brentq
from scipy.signal import lfilter

from finishline.athlete import Athlete
from finishline.definitions import MARATHON_M
from finishline.training import load as load_models
from finishline.training import season as season_module
from finishline.training.critical_speed import (
    CS_DURATIONS_S,
    CriticalSpeedFit,
    critical_speed_at,
    critical_speed_trend,
    fit_critical_speed,
)
from finishline.training.features import CURVE_DURATIONS_S, EFFORT_DISTANCES_M, HR_BINS_BPM
from finishline.training.predict import (
    backtest,
    cs_marathon_fraction,
    cs_marathon_time,
    find_races,
    predict_races,
    vdot,
    vdot_time,
    vdot_times,
)

REL = 1e-9


# --- the oracles: the loops the season ran before ------------------------------------------


def old_fit(t: np.ndarray, d: np.ndarray) -> CriticalSpeedFit:
    ok = np.isfinite(t) & np.isfinite(d) & (t > 0) & (d > 0)
    t, d = t[ok], d[ok]
    nan = float("nan")
    if t.size < 3:
        return CriticalSpeedFit(nan, nan, nan, int(t.size), False, "fewer than 3 efforts")
    if t.max() - t.min() < 300.0:
        return CriticalSpeedFit(nan, nan, nan, int(t.size), False, "efforts span < 5 min")
    slope, intercept = np.polyfit(t, d, 1)
    residual = d - (slope * t + intercept)
    total = np.sum((d - d.mean()) ** 2)
    r2 = float(1.0 - np.sum(residual**2) / total) if total > 0 else nan
    cs, dp = float(slope), float(intercept)
    reasons = []
    if not 2.0 <= cs <= 7.0:
        reasons.append(f"CS {cs:.2f} m/s outside 2-7")
    if not 50.0 <= dp <= 500.0:
        reasons.append(f"D' {dp:.0f} m outside 50-500")
    if not (np.isfinite(r2) and r2 >= 0.95):
        reasons.append(f"R^2 {r2:.3f} below 0.95")
    return CriticalSpeedFit(cs, dp, r2, int(t.size), not reasons, "; ".join(reasons))


def old_cs_at(curves: pd.DataFrame, start_times: pd.Series, at: pd.Timestamp, window_days: int):
    starts = pd.to_datetime(pd.Series(start_times.to_numpy()), utc=True)
    mask = ((starts < at) & (starts >= at - pd.Timedelta(days=window_days))).to_numpy()
    cols = [c for c in curves.columns if float(c) in CS_DURATIONS_S]
    if not mask.any() or not cols:
        nan = float("nan")
        return CriticalSpeedFit(nan, nan, nan, 0, False, "no activities in window")
    envelope = curves.loc[mask, cols].max(axis=0, skipna=True)
    envelope = envelope[np.isfinite(envelope.to_numpy(dtype=float))]
    t = np.asarray([float(c) for c in envelope.index])
    return old_fit(t, envelope.to_numpy(dtype=float) * t)


def old_trend(curves: pd.DataFrame, start_times: pd.Series, window_days: int) -> pd.DataFrame:
    starts = pd.to_datetime(pd.Series(start_times.to_numpy()), utc=True)
    first = starts.min().normalize() + pd.Timedelta(days=7)
    last = starts.max().normalize() + pd.Timedelta(days=1)
    dates = pd.date_range(first, last + pd.Timedelta(days=6), freq="7D")
    rows = [asdict(old_cs_at(curves, starts, d, window_days)) for d in dates]
    return pd.DataFrame(rows, index=pd.DatetimeIndex(dates, name="date"))


def old_vdot_time(value: float, distance_m: float) -> float:
    return float(
        brentq(lambda t: vdot(t, distance_m) - value, distance_m / 12, distance_m / 0.5, xtol=1e-3)
    )


def old_cs_marathon_time(cs: float) -> float:
    def gap(t_s: float) -> float:
        return t_s * cs_marathon_fraction(t_s) * cs - MARATHON_M

    return float(brentq(gap, 1800.0, 200000.0, xtol=1e-2))


def old_loads(acts: pd.DataFrame, athlete: Athlete, threshold: float | None) -> pd.DataFrame:
    bpm = np.arange(*HR_BINS_BPM, dtype=float)
    rest, top = athlete.finite("rest_hr_bpm"), athlete.finite("max_hr_bpm")
    a, b = (0.86, 1.67) if athlete.sex == "F" else (0.64, 1.92)
    rows = []
    for _, act in acts.iterrows():
        hist = np.asarray(act["hr_hist_s"], dtype=float)
        coverage = hist.sum() / act["moving_s"] if act["moving_s"] > 0 else 0.0
        use_hr = coverage >= 0.5 and rest is not None and top is not None
        x = np.clip((bpm - (rest or 0)) / ((top or 1) - (rest or 0)), 0, 1)
        banister = float(np.sum(hist / 60.0 * x * a * np.exp(b * x))) if use_hr else np.nan
        zone = np.searchsorted(np.array([0.5, 0.6, 0.7, 0.8, 0.9]) * (top or 0), bpm, "right")
        edwards = float(np.sum(hist / 60.0 * zone)) if use_hr else np.nan
        pace = 100.0 * act["gap_speed_sq_integral"] / threshold**2 / 3600.0 if threshold else np.nan
        rows.append(
            {
                "banister_trimp": banister,
                "edwards_trimp": edwards,
                "pace_load": pace,
                "load": banister if use_hr else (pace if np.isfinite(pace) else 0.0),
                "load_kind": "banister_trimp" if use_hr else "pace_load",
            }
        )
    return pd.DataFrame(rows, index=acts.index)


def old_best_vdot(acts: pd.DataFrame) -> list[float]:
    names = [n for n, d in EFFORT_DISTANCES_M.items() if d >= 3000.0]
    out = []
    for _, act in acts.iterrows():
        pairs = [(EFFORT_DISTANCES_M[n], act[f"best_{n}_s"]) for n in names]
        out.append(max((vdot(t, d) for d, t in pairs if np.isfinite(t)), default=0.0))
    return out


def old_find_races(acts: pd.DataFrame, hr_max_bpm: float | None) -> pd.DataFrame:
    distances = {"5k": 5000.0, "10k": 10000.0, "half": 21097.5, "marathon": MARATHON_M}
    found, best_so_far = [], 0.0
    for _, row in acts.sort_values("start_time").iterrows():
        for race, dist in distances.items():
            race_time = row.get(f"best_{race}_s", np.nan)
            if not abs(row["distance_m"] / dist - 1.0) <= 0.04 or not np.isfinite(race_time):
                continue
            score = vdot(race_time, dist)
            hr = row.get("avg_hr_bpm", np.nan)
            if hr_max_bpm is not None and np.isfinite(hr):
                hard = hr >= 0.85 * hr_max_bpm
            else:
                hard = best_so_far > 0 and score >= 0.95 * best_so_far
            if hard:
                found.append(
                    row.to_dict()
                    | {"race": race, "race_distance_m": dist, "race_time_s": float(race_time)}
                )
        best_so_far = max(best_so_far, float(row.get("best_vdot", 0.0) or 0.0))
    return pd.DataFrame(found)


def old_backtest(
    efforts: pd.DataFrame, races: pd.DataFrame, window_days: int, cs_at
) -> pd.DataFrame:
    rows = []
    for _, race in races.iterrows():
        start = pd.Timestamp(race["start_time"])
        prior = efforts[
            (efforts["start_time"] < start)
            & (efforts["start_time"] >= start - pd.Timedelta(days=window_days))
        ]
        usable = prior[
            (prior["distance_m"] >= 3000)
            & np.isfinite(prior["time_s"].to_numpy(float))
            & (prior["time_s"] > 0)
        ]
        predictions = []
        if not usable.empty:
            scores = [
                vdot(t, d) for t, d in zip(usable["time_s"], usable["distance_m"], strict=True)
            ]
            best = int(np.argmax(scores))
            v = float(scores[best])
            dist = race["race_distance_m"]
            t0, d0 = float(usable["time_s"].iloc[best]), float(usable["distance_m"].iloc[best])
            lo_e, hi_e = (1.04, 1.10) if dist >= d0 else (1.10, 1.04)
            predictions.append(
                (
                    "riegel",
                    t0 * (dist / d0) ** 1.06,
                    t0 * (dist / d0) ** lo_e,
                    t0 * (dist / d0) ** hi_e,
                )
            )
            predictions.append(
                (
                    "vdot",
                    old_vdot_time(v, dist),
                    old_vdot_time(min(v + 1.5, 100), dist),
                    old_vdot_time(max(v - 1.5, 2), dist),
                )
            )
        cs = cs_at(start)
        if cs is not None and race["race"] == "marathon":
            t = old_cs_marathon_time(cs)
            predictions.append(("critical_speed", t, t * (1 - 0.077), t * (1 + 0.077)))
        for method, predicted, low, high in predictions:
            actual = float(race["race_time_s"])
            rows.append(
                {
                    "file": race.get("file"),
                    "start_time": start,
                    "race": race["race"],
                    "method": method,
                    "actual_s": actual,
                    "predicted_s": predicted,
                    "error_pct": 100.0 * (predicted - actual) / actual,
                    "within_band": bool(low <= actual <= high),
                }
            )
    return pd.DataFrame(rows)


def old_weekly(
    start_times: pd.Series, distance_m: np.ndarray, moving_s: np.ndarray
) -> pd.DataFrame:
    times = pd.to_datetime(pd.Series(list(start_times)), utc=True).dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "week": times.dt.normalize() - pd.to_timedelta(times.dt.day_of_week, unit="D"),
            "distance_km": distance_m / 1000.0,
            "moving_h": moving_s / 3600.0,
        }
    )
    frame["long"] = frame["distance_km"] >= 18.0
    weekly = frame.groupby("week").agg(
        distance_km=("distance_km", "sum"),
        moving_h=("moving_h", "sum"),
        runs=("distance_km", "size"),
        longest_km=("distance_km", "max"),
        long_runs=("long", "sum"),
    )
    weeks = pd.date_range(weekly.index.min(), weekly.index.max(), freq="7D", name="week")
    return weekly.reindex(weeks, fill_value=0).astype(
        {"runs": int, "long_runs": int, "distance_km": float, "moving_h": float}
    )


# --- seasons to compare on ---------------------------------------------------------------


def synthetic_season(seed: int, n: int = 240) -> pd.DataFrame:
    """A season of ``n`` runs over ~2 years with gaps, short runs, no-HR runs and fast races."""
    rng = np.random.default_rng(seed)
    days = np.sort(rng.choice(730, size=n, replace=n > 730)) + rng.uniform(0.2, 0.8, n)
    days[n // 2 :] += 120  # a four-month break
    start = pd.Timestamp("2022-03-01", tz="UTC") + pd.to_timedelta(days, unit="D")
    cs, dp = rng.uniform(3.2, 4.6), rng.uniform(120, 300)
    durations = np.asarray(CURVE_DURATIONS_S, dtype=float)
    moving = rng.uniform(900, 12000, n)
    effort = rng.uniform(0.75, 1.0, n)[:, None]
    curve = (cs + dp / durations) * effort * rng.uniform(0.98, 1.02, (n, durations.size))
    curve[durations[None, :] > moving[:, None]] = np.nan  # no 1-h point in a 30-min run
    speed = cs * rng.uniform(0.65, 0.85, n)
    distance = speed * moving
    race_like = rng.random(n) < 0.08
    for k, d in zip(
        np.flatnonzero(race_like),
        rng.choice([5000.0, 10000.0, 21097.5, MARATHON_M], race_like.sum()),
        strict=True,
    ):
        distance[k], moving[k] = d * rng.uniform(0.985, 1.02), d / (cs * 0.95)
    hist = np.zeros((n, HR_BINS_BPM[1] - HR_BINS_BPM[0]))
    has_hr = rng.random(n) > 0.25
    for k in np.flatnonzero(has_hr):
        hist[k, rng.integers(80, 150, 300)] += moving[k] / 300
    acts = pd.DataFrame(
        {
            "file": [f"run{k:04d}.fit" for k in range(n)],
            "start_time": start,
            "distance_m": distance,
            "moving_s": moving,
            "avg_hr_bpm": np.where(has_hr, rng.uniform(120, 185, n), np.nan),
            "max_hr_bpm": np.where(has_hr, rng.uniform(160, 195, n), np.nan),
            "gap_speed_sq_integral": speed**2 * moving,
            "decoupling": rng.normal(0.03, 0.02, n),
            "curve_speed_mps": list(curve),
            "hr_hist_s": [row.tolist() for row in hist],
        }
    )
    for name, d in EFFORT_DISTANCES_M.items():
        fastest = d / (speed * rng.uniform(1.0, 1.15, n))
        fastest[race_like & (distance >= d)] = d / (cs * 0.95)
        acts[f"best_{name}_s"] = np.where(distance >= d, fastest, np.nan)
    return acts


@pytest.fixture(scope="module")
def real_season(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from finishline.training.batch import read_many

    require_shared(CORPUS)
    folder = tmp_path_factory.mktemp("season68")
    for path in sorted((CORPUS / "gpx").glob("runpandas__session_*.gpx")):
        shutil.copy(path, folder / path.name)
    return read_many(folder, progress=False).activities


def seasons() -> list:
    return [
        pytest.param("synthetic-1", id="synthetic-1"),
        pytest.param("synthetic-2", id="synthetic-2"),
        pytest.param("synthetic-3", id="synthetic-3"),
        pytest.param("real", id="real-68-sessions", marks=pytest.mark.real),
    ]


@pytest.fixture(params=seasons())
def acts(request: pytest.FixtureRequest) -> pd.DataFrame:
    if request.param == "real":
        return request.getfixturevalue("real_season")
    return synthetic_season(int(request.param[-1]))


def curves_of(acts: pd.DataFrame) -> pd.DataFrame:
    return season_module.curves_frame(acts)


def assert_fits_equal(new: CriticalSpeedFit, old: CriticalSpeedFit) -> None:
    assert (new.valid, new.reason, new.n_points) == (old.valid, old.reason, old.n_points)
    for name in ("critical_speed_mps", "d_prime_m", "r2"):
        assert np.isclose(getattr(new, name), getattr(old, name), rtol=REL, equal_nan=True), name


# --- the comparisons ------------------------------------------------------------------------


@pytest.mark.parametrize("window_days", [42, 84])
def test_cs_trend_equals_weekly_refits(acts: pd.DataFrame, window_days: int) -> None:
    curves = curves_of(acts)
    new = critical_speed_trend(curves, acts["start_time"], window_days)
    old = old_trend(curves, acts["start_time"], window_days)
    pd.testing.assert_index_equal(new.index, old.index)
    assert new["valid"].sum() > 0 and (~new["valid"]).sum() > 0  # both kinds are compared
    assert new["reason"].tolist() == old["reason"].tolist()
    assert new["n_points"].tolist() == old["n_points"].tolist()
    for col in ("critical_speed_mps", "d_prime_m", "r2"):
        assert np.allclose(new[col], old[col], rtol=REL, atol=0, equal_nan=True), col


def test_cs_at_race_starts_equals_single_fits(acts: pd.DataFrame) -> None:
    curves = curves_of(acts)
    starts = acts["start_time"]
    times = list(starts.iloc[::7]) + [starts.max() + pd.Timedelta(seconds=1)]
    for at, fit in zip(times, critical_speed_at(curves, starts, times, 84), strict=True):
        assert_fits_equal(fit, old_cs_at(curves, starts, at, 84))


def test_single_fit_equals_polyfit() -> None:
    rng = np.random.default_rng(7)
    t = np.asarray(CS_DURATIONS_S)
    for _ in range(200):
        d = (rng.uniform(2.5, 6) * t + rng.uniform(20, 600)) * rng.uniform(0.97, 1.03, t.size)
        d[rng.random(t.size) < 0.2] = np.nan
        assert_fits_equal(fit_critical_speed(t, d), old_fit(t, d))


def test_loads_equal_per_activity_loop(acts: pd.DataFrame) -> None:
    for athlete, threshold in (
        (Athlete(rest_hr_bpm=50.0, max_hr_bpm=195.0, sex="F"), 4.0),
        (Athlete(rest_hr_bpm=55.0, max_hr_bpm=188.0), None),
        (Athlete(), 3.6),  # no heart-rate bounds: pace load everywhere
    ):
        new = season_module.activity_loads(acts, athlete, threshold)
        old = old_loads(acts, athlete, threshold)
        pd.testing.assert_frame_equal(new, old, rtol=REL, check_dtype=False)


def test_best_vdot_races_and_backtest_equal_loops(acts: pd.DataFrame) -> None:
    acts = acts.copy()
    acts["best_vdot"] = season_module._best_vdot(acts)
    assert np.allclose(acts["best_vdot"], old_best_vdot(acts), rtol=REL)
    for hr_max in (None, 190.0):
        new, old = find_races(acts, hr_max_bpm=hr_max), old_find_races(acts, hr_max)
        assert len(new) == len(old) > 0
        keys = ["file", "race", "race_distance_m", "race_time_s", "distance_m"]
        pd.testing.assert_frame_equal(new[keys], old[keys], check_dtype=False)
    races = find_races(acts)
    efforts = season_module.efforts_table(acts)
    curves = curves_of(acts)

    def cs_at(ts: pd.Timestamp) -> float | None:
        fit = old_cs_at(curves, acts["start_time"], ts, 84)
        return fit.critical_speed_mps if fit.valid else None

    new = backtest(acts, efforts, races, 84, cs_at)
    old = old_backtest(efforts, races, 84, cs_at)
    assert len(new) == len(old) > 0
    pd.testing.assert_frame_equal(
        new.drop(columns=["predicted_s", "error_pct"]),
        old.drop(columns=["predicted_s", "error_pct"]),
    )
    assert np.allclose(new["predicted_s"], old["predicted_s"], rtol=0, atol=1e-2)


def test_prediction_trend_equals_weekly_loop(acts: pd.DataFrame) -> None:
    curves = curves_of(acts)
    trend = critical_speed_trend(curves, acts["start_time"], 84)
    efforts = season_module.efforts_table(acts)
    new = season_module._prediction_trend(efforts, trend, 84)
    assert len(new) == len(trend)
    for date, cs in trend.iterrows():
        prior = efforts[
            (efforts["start_time"] < date) & (efforts["start_time"] >= date - pd.Timedelta(days=84))
        ]
        best = max(
            (vdot(t, d) for t, d in zip(prior["time_s"], prior["distance_m"], strict=True)),
            default=None,
        )
        row = new.loc[date]
        assert (best is None and pd.isna(row["vdot"])) or np.isclose(row["vdot"], best, rtol=REL)
        if best:
            assert row["marathon_vdot_s"] == pytest.approx(
                old_vdot_time(best, MARATHON_M), abs=1e-3
            )
        if cs["valid"]:
            assert row["marathon_cs_s"] == pytest.approx(
                old_cs_marathon_time(cs["critical_speed_mps"]), abs=1e-2
            )
        else:
            assert pd.isna(row["marathon_cs_s"])


def test_daily_and_weekly_load_equal_pandas_and_lfilter(acts: pd.DataFrame) -> None:
    weekly = load_models.weekly_volume(acts["start_time"], acts["distance_m"], acts["moving_s"])
    pd.testing.assert_frame_equal(
        weekly,
        old_weekly(acts["start_time"], acts["distance_m"].to_numpy(), acts["moving_s"].to_numpy()),
        rtol=REL,
    )
    daily = load_models.daily_load(acts["start_time"], acts["moving_s"] / 60.0)
    times = pd.to_datetime(pd.Series(list(acts["start_time"])), utc=True)
    per_day = (
        pd.Series(
            (acts["moving_s"] / 60.0).to_numpy(),
            index=times.dt.tz_localize(None).dt.normalize().to_numpy(),
        )
        .groupby(level=0)
        .sum()
    )
    index = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D", name="date")
    pd.testing.assert_series_equal(
        daily, per_day.reindex(index, fill_value=0.0).rename("load"), rtol=REL
    )
    for initial in (0.0, 35.0):
        form = load_models.fitness_fatigue(daily, 42.0, 7.0, initial)
        for name, tau in (("ctl", 42.0), ("atl", 7.0)):
            k = 1.0 - np.exp(-1.0 / tau)
            old, _ = lfilter([k], [1.0, -(1.0 - k)], daily.to_numpy(), zi=[(1.0 - k) * initial])
            assert np.allclose(form[name], old, rtol=REL, atol=1e-12)


def test_inversions_equal_root_finding() -> None:
    for value in np.linspace(2.0, 100.0, 50):
        for distance in (1000.0, 3000.0, 5000.0, 10000.0, 21097.5, MARATHON_M, 100000.0):
            assert vdot_time(value, distance) == pytest.approx(
                old_vdot_time(value, distance), abs=1e-3
            )
    values = np.linspace(25.0, 80.0, 12)
    assert np.allclose(
        vdot_times(values, 10000.0), [old_vdot_time(v, 10000.0) for v in values], atol=1e-3
    )
    for cs in np.linspace(1.0, 8.0, 57):  # both clamps and the quadratic between the anchors
        assert cs_marathon_time(cs) == pytest.approx(old_cs_marathon_time(cs), abs=1e-2)
    # a predicted race time and its inverse round-trip exactly
    assert vdot(vdot_time(47.3, 21097.5), 21097.5) == pytest.approx(47.3, rel=1e-12)


def test_predict_races_equals_scalar_solves() -> None:
    efforts = pd.DataFrame(
        {"distance_m": [5000.0, 10000.0, 3000.0], "time_s": [1300.0, 2800.0, 800.0]}
    )
    rows = predict_races(efforts, 4.1)
    best = max(vdot(t, d) for t, d in zip(efforts["time_s"], efforts["distance_m"], strict=True))
    for row in rows:
        if row["method"] == "vdot":
            assert row["time_s"] == pytest.approx(old_vdot_time(best, row["distance_m"]), abs=1e-3)
            assert row["low_s"] == pytest.approx(
                old_vdot_time(best + 1.5, row["distance_m"]), abs=1e-3
            )
            assert row["high_s"] == pytest.approx(
                old_vdot_time(best - 1.5, row["distance_m"]), abs=1e-3
            )
        if row["method"] == "critical_speed":
            assert row["time_s"] == pytest.approx(old_cs_marathon_time(4.1), abs=1e-2)
    assert [r["method"] for r in rows].count("vdot") == 4


def test_the_season_path_does_not_import_scipy() -> None:
    """scipy.signal and scipy.optimize cost ~1 s of imports on a loaded 2-core machine."""
    import subprocess
    import sys

    code = (
        "import sys, finishline.training.season, finishline.training.batch;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
