"""Race-time prediction: Riegel, Daniels VDOT and critical-speed marathon, with bands.

Each predictor is a plain function; :func:`predict_races` applies all three to a table of best
recent efforts, and :func:`backtest` replays them on the athlete's own past races using only
the efforts that came before each race.

References
----------
Riegel P.S. (1981), "Athletic records and human endurance", *Am Sci* 69:285.
Vickers A.J., Vertosick E.A. (2016), *BMC Sports Sci Med Rehabil* 8:39: Riegel is ~well
calibrated up to the half but too fast in the marathon for half of runners.
Daniels J., Gilbert J. (1979), *Oxygen Power* (VO2 and %max formulas, science.md 2.5).
Smyth B., Muniz-Pumares D. (2020), *MSSE* 52:2637: marathons at 84.8 % of CS on average,
93 % for 2:30 runners, 79 % for 6 h runners; CS predicted marathon time with 7.7 % error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from finishline.definitions import HALF_MARATHON_M, MARATHON_M
from finishline.errors import AnalysisError

RACE_DISTANCES_M: dict[str, float] = {
    "5k": 5000.0,
    "10k": 10000.0,
    "half": HALF_MARATHON_M,
    "marathon": MARATHON_M,
}
RIEGEL_EXPONENT = 1.06
#: Riegel band: exponents bracketing the published fatigue factor; the upper side is wider
#: because Riegel is too fast in the marathon for half of runners (Vickers & Vertosick 2016).
RIEGEL_BAND_EXPONENTS: tuple[float, float] = (1.04, 1.10)
#: VDOT band: +-1.5 VDOT units (about the spread between Daniels' table rows a runner moves
#: through in one training block).
VDOT_BAND_UNITS = 1.5
#: CS-marathon band: the 7.7 % mean error of CS-based marathon prediction (Smyth 2020).
CS_MARATHON_REL_ERROR = 0.077
#: (marathon time s, fraction of CS) anchors from Smyth & Muniz-Pumares 2020.
CS_FRACTION_ANCHORS: tuple[tuple[float, float], tuple[float, float]] = (
    (2.5 * 3600.0, 0.93),
    (6.0 * 3600.0, 0.79),
)


def riegel_time(
    time_s: float, distance_m: float, target_m: float, exponent: float = RIEGEL_EXPONENT
) -> float:
    """Riegel's endurance model ``T2 = T1 * (D2 / D1) ** exponent`` (s).

    References
    ----------
    Riegel 1981; science.md 2.5.
    """
    if time_s <= 0 or distance_m <= 0 or target_m <= 0:
        raise AnalysisError("Riegel needs positive times and distances")
    return float(time_s * (target_m / distance_m) ** exponent)


def daniels_vo2(speed_m_per_min: float | np.ndarray) -> float | np.ndarray:
    """Oxygen cost of running (mL/kg/min) at ``speed_m_per_min`` (Daniels & Gilbert)."""
    v = np.asarray(speed_m_per_min, dtype=float)
    return -4.60 + 0.182258 * v + 0.000104 * v**2


def daniels_fraction(duration_min: float | np.ndarray) -> float | np.ndarray:
    """Fraction of VO2max sustainable for ``duration_min`` minutes (Daniels & Gilbert)."""
    t = np.asarray(duration_min, dtype=float)
    return 0.8 + 0.1894393 * np.exp(-0.012778 * t) + 0.2989558 * np.exp(-0.1932605 * t)


def vdot(time_s: float, distance_m: float) -> float:
    """Daniels' VDOT of a performance: VO2(v) / %max(t).

    Parameters
    ----------
    time_s
        Race time (s).
    distance_m
        Race distance (m).

    Returns
    -------
    float
        VDOT (mL/kg/min); a 20:00 5 km gives ~49.8.

    References
    ----------
    Daniels & Gilbert 1979; science.md 2.5 [verified].
    """
    if time_s <= 0 or distance_m <= 0:
        raise AnalysisError("VDOT needs a positive time and distance")
    minutes = time_s / 60.0
    return float(daniels_vo2(distance_m / minutes) / daniels_fraction(minutes))


def vdot_time(vdot_value: float, distance_m: float) -> float:
    """Race time (s) that a runner of ``vdot_value`` would run over ``distance_m``.

    Inverts :func:`vdot` by root finding (VDOT falls monotonically with time).
    """
    if not 2.0 <= vdot_value <= 100.0:
        raise AnalysisError(f"VDOT {vdot_value:.1f} outside 2-100")

    def excess(t_s: float) -> float:
        return vdot(t_s, distance_m) - vdot_value

    lo, hi = distance_m / 12.0, distance_m / 0.5
    return float(brentq(excess, lo, hi, xtol=1e-3))


def cs_marathon_fraction(marathon_time_s: float) -> float:
    """Fraction of CS held over a marathon run in ``marathon_time_s`` (linear in time, clamped).

    Anchored at 93 % for 2:30 and 79 % for 6:00; the mean 84.8 % falls at ~4:33.

    References
    ----------
    Smyth & Muniz-Pumares 2020.
    """
    (t0, f0), (t1, f1) = CS_FRACTION_ANCHORS
    return float(np.interp(marathon_time_s, [t0, t1], [f0, f1]))


def cs_marathon_time(critical_speed_mps: float) -> float:
    """Marathon time (s) at the time-dependent fraction of critical speed.

    Solves ``T * fraction(T) * CS = 42195 m``.

    References
    ----------
    Smyth & Muniz-Pumares 2020.
    """
    if not critical_speed_mps > 0:
        raise AnalysisError("critical speed must be positive")

    def gap(t_s: float) -> float:
        return t_s * cs_marathon_fraction(t_s) * critical_speed_mps - MARATHON_M

    return float(brentq(gap, 1800.0, 200000.0, xtol=1e-2))


def _best_efforts_table(efforts: pd.DataFrame, min_distance_m: float) -> pd.DataFrame:
    usable = efforts[
        (efforts["distance_m"] >= min_distance_m)
        & np.isfinite(efforts["time_s"].to_numpy(dtype=float))
        & (efforts["time_s"] > 0)
    ]
    return usable


def predict_races(
    efforts: pd.DataFrame,
    critical_speed_mps: float | None = None,
    targets: dict[str, float] | None = None,
    min_effort_m: float = 3000.0,
) -> list[dict[str, float | str | None]]:
    """Predict race times from best recent efforts with Riegel, VDOT and (marathon) CS.

    Parameters
    ----------
    efforts
        Best efforts with columns ``distance_m`` and ``time_s`` (one row per effort, e.g. the
        fastest 3 km / 5 km / 10 km / half inside recent runs).
    critical_speed_mps
        A valid CS (m/s) for the CS-based marathon prediction, or ``None``.
    targets
        Race name -> distance (m); defaults to 5k, 10k, half, marathon.
    min_effort_m
        Shortest effort used as a basis (shorter efforts extrapolate badly).

    Returns
    -------
    list of dict
        One row per (race, method): ``race``, ``distance_m``, ``method``, ``time_s``,
        ``low_s``, ``high_s``, ``basis`` (the effort used).

    Notes
    -----
    Training efforts are usually sub-maximal, so the basis is the effort giving the fastest
    prediction (the highest VDOT), which is the one closest to a race effort.
    """
    targets = RACE_DISTANCES_M if targets is None else targets
    usable = _best_efforts_table(efforts, min_effort_m)
    rows: list[dict[str, float | str | None]] = []
    if not usable.empty:
        scores = [vdot(t, d) for t, d in zip(usable["time_s"], usable["distance_m"], strict=True)]
        best = int(np.argmax(scores))
        basis_t = float(usable["time_s"].iloc[best])
        basis_d = float(usable["distance_m"].iloc[best])
        best_vdot = float(scores[best])
        basis = f"{basis_d / 1000:.2f} km in {basis_t:.0f} s (VDOT {best_vdot:.1f})"
        for race, dist in targets.items():
            # a larger exponent slows a longer race but speeds up a shorter one
            lo_e, hi_e = RIEGEL_BAND_EXPONENTS if dist >= basis_d else RIEGEL_BAND_EXPONENTS[::-1]
            rows.append(
                {
                    "race": race,
                    "distance_m": dist,
                    "method": "riegel",
                    "time_s": riegel_time(basis_t, basis_d, dist),
                    "low_s": riegel_time(basis_t, basis_d, dist, lo_e),
                    "high_s": riegel_time(basis_t, basis_d, dist, hi_e),
                    "basis": basis,
                }
            )
            rows.append(
                {
                    "race": race,
                    "distance_m": dist,
                    "method": "vdot",
                    "time_s": vdot_time(best_vdot, dist),
                    "low_s": vdot_time(min(best_vdot + VDOT_BAND_UNITS, 100.0), dist),
                    "high_s": vdot_time(max(best_vdot - VDOT_BAND_UNITS, 2.0), dist),
                    "basis": basis,
                }
            )
    if critical_speed_mps is not None and np.isfinite(critical_speed_mps) and "marathon" in targets:
        t = cs_marathon_time(critical_speed_mps)
        rows.append(
            {
                "race": "marathon",
                "distance_m": MARATHON_M,
                "method": "critical_speed",
                "time_s": t,
                "low_s": t * (1.0 - CS_MARATHON_REL_ERROR),
                "high_s": t * (1.0 + CS_MARATHON_REL_ERROR),
                "basis": f"CS {critical_speed_mps:.2f} m/s at {cs_marathon_fraction(t):.1%}",
            }
        )
    return rows


def find_races(
    activities: pd.DataFrame,
    tolerance: float = 0.04,
    hard_hr_fraction: float = 0.85,
    hr_max_bpm: float | None = None,
    hard_vdot_fraction: float = 0.95,
    distances: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Activities that look like races: distance near a race distance and run hard.

    Hard means an average HR of at least ``hard_hr_fraction`` x HRmax when HR is present, or
    (without HR) a VDOT at least ``hard_vdot_fraction`` of the athlete's best VDOT so far.

    Parameters
    ----------
    activities
        Columns ``start_time``, ``distance_m``, ``avg_hr_bpm`` and ``best_<race>_s`` (fastest
        time over the race distance inside the activity).

    Returns
    -------
    pandas.DataFrame
        Rows of ``activities`` with extra columns ``race``, ``race_distance_m``, ``race_time_s``.
    """
    distances = RACE_DISTANCES_M if distances is None else distances
    found = []
    ordered = activities.sort_values("start_time")
    best_so_far = 0.0
    for _, row in ordered.iterrows():  # one row per activity, not per sample
        for race, dist in distances.items():
            col = f"best_{race}_s"
            race_time = row.get(col, np.nan)
            if not abs(row["distance_m"] / dist - 1.0) <= tolerance or not np.isfinite(race_time):
                continue
            score = vdot(race_time, dist)
            hr = row.get("avg_hr_bpm", np.nan)
            if hr_max_bpm is not None and np.isfinite(hr):
                hard = hr >= hard_hr_fraction * hr_max_bpm
            else:
                hard = best_so_far > 0 and score >= hard_vdot_fraction * best_so_far
            if hard:
                found.append(
                    row.to_dict()
                    | {"race": race, "race_distance_m": dist, "race_time_s": float(race_time)}
                )
        best_so_far = max(best_so_far, float(row.get("best_vdot", 0.0) or 0.0))
    return pd.DataFrame(found)


def backtest(
    activities: pd.DataFrame,
    efforts: pd.DataFrame,
    races: pd.DataFrame,
    window_days: int = 84,
    critical_speed_at: object | None = None,
) -> pd.DataFrame:
    """Predict each past race from efforts strictly before it and report the error.

    Parameters
    ----------
    activities
        Unused beyond alignment; kept for the orchestrator's signature symmetry.
    efforts
        Best efforts with ``start_time``, ``distance_m``, ``time_s``, ``file``.
    races
        Output of :func:`find_races`.
    window_days
        Only efforts within this many days before the race are used.
    critical_speed_at
        Optional callable ``f(timestamp) -> CS (m/s) or None`` for the CS marathon method.

    Returns
    -------
    pandas.DataFrame
        One row per (race, method): ``file``, ``race``, ``actual_s``, ``predicted_s``,
        ``error_pct`` (positive = predicted slower than actual), ``within_band``.
    """
    del activities
    rows = []
    for _, race in races.iterrows():
        start = pd.Timestamp(race["start_time"])
        prior = efforts[
            (efforts["start_time"] < start)
            & (efforts["start_time"] >= start - pd.Timedelta(days=window_days))
        ]
        cs = critical_speed_at(start) if callable(critical_speed_at) else None
        preds = predict_races(prior, cs, {race["race"]: race["race_distance_m"]})
        for pred in preds:
            actual = float(race["race_time_s"])
            predicted = float(pred["time_s"])
            rows.append(
                {
                    "file": race.get("file"),
                    "start_time": start,
                    "race": race["race"],
                    "method": pred["method"],
                    "actual_s": actual,
                    "predicted_s": predicted,
                    "error_pct": 100.0 * (predicted - actual) / actual,
                    "within_band": bool(pred["low_s"] <= actual <= pred["high_s"]),
                }
            )
    return pd.DataFrame(rows)


def summarize_backtest(results: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute and signed percentage error and band coverage per method."""
    if results.empty:
        return pd.DataFrame(columns=["n", "mape_pct", "bias_pct", "coverage"])
    grouped = results.groupby("method")
    return pd.DataFrame(
        {
            "n": grouped.size(),
            "mape_pct": grouped["error_pct"].apply(lambda e: float(np.mean(np.abs(e)))),
            "bias_pct": grouped["error_pct"].mean(),
            "coverage": grouped["within_band"].mean(),
        }
    )


def race_time_table(predictions: Sequence[dict[str, object]]) -> pd.DataFrame:
    """Predictions as a DataFrame indexed by (race, method)."""
    return pd.DataFrame(list(predictions)).set_index(["race", "method"])
