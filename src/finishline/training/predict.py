"""Race-time prediction: Riegel, Daniels VDOT and critical-speed marathon, with bands.

Each predictor is a plain function (Daniels' VDOT model lives in
:mod:`finishline.training.daniels` and is re-exported here); :func:`predict_races` applies all
three to a table of best recent efforts, and :func:`backtest` replays them on the athlete's own
past races using only the efforts that came before each race.

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

from finishline.definitions import HALF_MARATHON_M, MARATHON_M
from finishline.errors import AnalysisError
from finishline.training.daniels import (
    daniels_fraction,
    daniels_vo2,
    vdot,
    vdot_array,
    vdot_time,
    vdot_times,
)

__all__ = [
    "backtest",
    "cs_marathon_fraction",
    "cs_marathon_time",
    "daniels_fraction",
    "daniels_vo2",
    "find_races",
    "predict_races",
    "race_time_table",
    "riegel_time",
    "summarize_backtest",
    "vdot",
    "vdot_array",
    "vdot_time",
    "vdot_times",
]

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

    Solves ``T * fraction(T) * CS = 42195 m`` in closed form: ``T * fraction(T)`` grows with
    ``T`` and ``fraction`` is constant outside the anchors and linear between them, where the
    equation is a quadratic in ``T``.

    References
    ----------
    Smyth & Muniz-Pumares 2020.
    """
    if not critical_speed_mps > 0:
        raise AnalysisError("critical speed must be positive")
    (t0, f0), (t1, f1) = CS_FRACTION_ANCHORS
    work = MARATHON_M / critical_speed_mps  # T * fraction(T), in s
    if work <= t0 * f0:
        return float(work / f0)
    if work >= t1 * f1:
        return float(work / f1)
    slope = (f1 - f0) / (t1 - t0)  # T * (f0 + slope (T - t0)) = work
    linear = f0 - slope * t0
    return float(2.0 * work / (linear + np.sqrt(linear * linear + 4.0 * slope * work)))


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
    usable = _best_efforts_table(efforts, min_effort_m)
    targets = RACE_DISTANCES_M if targets is None else targets
    basis = _basis(usable["time_s"].to_numpy(dtype=float), usable["distance_m"].to_numpy(float))
    dists = np.asarray(list(targets.values()), dtype=float)
    bands = None if basis is None else _vdot_bands(np.full(dists.size, basis[2]), dists)
    return _predict(basis, bands, critical_speed_mps, targets)


def _basis(time_s: np.ndarray, distance_m: np.ndarray) -> tuple[float, float, float] | None:
    """The effort with the highest VDOT (first of equals): (time s, distance m, VDOT)."""
    if not time_s.size:
        return None
    scores = vdot_array(time_s, distance_m)
    best = int(np.argmax(scores))
    best_vdot = float(scores[best])
    if not 2.0 <= best_vdot <= 100.0:
        raise AnalysisError(f"VDOT {best_vdot:.1f} outside 2-100")
    return float(time_s[best]), float(distance_m[best]), best_vdot


def _vdot_bands(vdots: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """VDOT time, low (faster: VDOT + band) and high (s) per (VDOT, distance), in one solve."""
    band = np.column_stack(
        (
            vdots,
            np.minimum(vdots + VDOT_BAND_UNITS, 100.0),
            np.maximum(vdots - VDOT_BAND_UNITS, 2.0),
        )
    )
    return vdot_times(band.ravel(), np.repeat(distance_m, 3)).reshape(-1, 3)


def _predict(
    basis: tuple[float, float, float] | None,
    vdot_bands: np.ndarray | None,
    critical_speed_mps: float | None,
    targets: dict[str, float],
) -> list[dict[str, float | str | None]]:
    """The prediction rows of :func:`predict_races` from the basis effort, the VDOT times of
    each target (:func:`_vdot_bands`) and CS."""
    rows: list[dict[str, float | str | None]] = []
    if basis is not None and vdot_bands is not None:
        basis_t, basis_d, best_vdot = basis
        text = f"{basis_d / 1000:.2f} km in {basis_t:.0f} s (VDOT {best_vdot:.1f})"
        for (race, dist), (mid, low, high) in zip(
            targets.items(), vdot_bands.tolist(), strict=True
        ):
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
                    "basis": text,
                }
            )
            rows.append(
                {
                    "race": race,
                    "distance_m": dist,
                    "method": "vdot",
                    "time_s": mid,
                    "low_s": low,
                    "high_s": high,
                    "basis": text,
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
    (without HR) a VDOT at least ``hard_vdot_fraction`` of the athlete's best VDOT so far
    (``best_vdot`` of the activities before it).

    Parameters
    ----------
    activities
        Columns ``start_time``, ``distance_m``, ``avg_hr_bpm`` and ``best_<race>_s`` (fastest
        time over the race distance inside the activity), optionally ``best_vdot``.

    Returns
    -------
    pandas.DataFrame
        Rows of ``activities`` (in start order, then race order) with extra columns ``race``,
        ``race_distance_m``, ``race_time_s``.
    """
    distances = RACE_DISTANCES_M if distances is None else distances
    ordered = activities.sort_values("start_time")
    n = len(ordered)
    if n == 0:
        return pd.DataFrame()
    nan = np.full(n, np.nan)

    def column(name: str) -> np.ndarray:
        return ordered[name].to_numpy(dtype=float) if name in ordered else nan

    distance = column("distance_m")
    hr = column("avg_hr_bpm")
    best_vdot = np.nan_to_num(column("best_vdot"), nan=0.0)
    best_before = np.concatenate(([0.0], np.maximum.accumulate(np.maximum(best_vdot, 0.0))[:-1]))
    by_hr = np.isfinite(hr) if hr_max_bpm is not None else np.zeros(n, dtype=bool)
    positions, races, times = [], [], []
    for k, (race, dist) in enumerate(distances.items()):
        race_time = column(f"best_{race}_s")
        near = (np.abs(distance / dist - 1.0) <= tolerance) & np.isfinite(race_time)
        by_vdot = (best_before > 0) & (
            vdot_array(race_time, dist) >= hard_vdot_fraction * best_before
        )
        hard = np.where(by_hr, hr >= hard_hr_fraction * (hr_max_bpm or 0.0), by_vdot)
        found = np.flatnonzero(near & hard)
        positions.append(found)
        races.append(np.full(found.size, k))
        times.append(race_time[found])
    position, race_k = np.concatenate(positions), np.concatenate(races)
    if position.size == 0:
        return pd.DataFrame()
    order = np.lexsort((race_k, position))  # activity order, then race order
    names, dists = list(distances), list(distances.values())
    return (
        ordered.iloc[position[order]]
        .reset_index(drop=True)
        .assign(
            race=[names[k] for k in race_k[order]],
            race_distance_m=[float(dists[k]) for k in race_k[order]],
            race_time_s=np.concatenate(times)[order],
        )
    )


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
    usable = _best_efforts_table(efforts, 3000.0)
    effort_ns = pd.DatetimeIndex(usable["start_time"]).as_unit("ns").asi8
    effort_t = usable["time_s"].to_numpy(dtype=float)
    effort_d = usable["distance_m"].to_numpy(dtype=float)
    window_ns = pd.Timedelta(days=window_days).value
    keys = ["file", "start_time", "race", "race_distance_m", "race_time_s"]
    races = races[[k for k in keys if k in races]].to_dict("records")
    bases = []
    for race in races:
        start = pd.Timestamp(race["start_time"])
        prior = (effort_ns < start.value) & (effort_ns >= start.value - window_ns)
        bases.append(_basis(effort_t[prior], effort_d[prior]))
    with_basis = [i for i, b in enumerate(bases) if b is not None]
    bands = _vdot_bands(
        np.array([bases[i][2] for i in with_basis]),  # type: ignore[index]
        np.array([races[i]["race_distance_m"] for i in with_basis], dtype=float),
    )
    band_of = dict(zip(with_basis, bands, strict=True))
    rows = []
    for i, race in enumerate(races):
        start = pd.Timestamp(race["start_time"])
        cs = critical_speed_at(start) if callable(critical_speed_at) else None
        target = {race["race"]: race["race_distance_m"]}
        band = band_of[i][np.newaxis, :] if i in band_of else None
        for pred in _predict(bases[i], band, cs, target):
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
