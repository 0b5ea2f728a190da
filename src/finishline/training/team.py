"""The squad's team table: one row per athlete, with flags a coach acts on.

References
----------
Gabbett 2016 (ACWR above 1.5 as a load spike); Banister 1991 and science.md 2.4 (CTL/ATL/TSB);
Runalyze marathon shape (readiness, :mod:`finishline.training.readiness`); Daniels & Gilbert
1979 (VDOT marathon prediction); science.md 5 (over-ambition ratio and long-run count as
pre-race risk features).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from finishline.training.readiness import LONG_RUN_DAYS, pre_race_risk
from finishline.training.results import SeasonAnalysis

#: ACWR above this is a load spike (Gabbett 2016's "danger zone").
ACWR_SPIKE = 1.5
#: Below this chronic load (CTL) the ratio is a quotient of near-zeros, not a spike: no flag
#: (a convention: one run after weeks off gives an ACWR of 4 with nothing to compare it to).
MIN_CTL_FOR_ACWR = 10.0
#: TSB (form) below this is deep fatigue (TrainingPeaks' convention: -10 to -30 is a productive
#: training block, below -30 overreaching); a convention, not physiology.
TSB_VERY_NEGATIVE = -30.0
#: Fewer long runs (>= the athlete's ``long_run_km``) than this in the last
#: :data:`~finishline.training.readiness.LONG_RUN_DAYS` days is flagged (marathon plans
#: usually hold at least three in the last ten weeks); a convention.
MIN_LONG_RUNS = 3
#: A goal faster than the prediction by more than this share (over-ambition ratio) is flagged.
OVER_AMBITION_FLAG = 1.05
#: An athlete whose last run is this many days older than the squad's latest is stale.
STALE_DAYS = 14
#: Weeks over which the table's weekly volume is averaged.
VOLUME_WEEKS = 4

#: Columns of :func:`squad_table`, in order.
SQUAD_COLUMNS: tuple[str, ...] = (
    "name",
    "folder",
    "runs",
    "skipped",
    "last_run",
    "weekly_km",
    "ctl",
    "atl",
    "tsb",
    "acwr",
    "readiness_pct",
    "durability",
    "long_runs",
    "critical_speed_mps",
    "d_prime_m",
    "critical_power_w",
    "w_prime_j",
    "predicted_marathon_s",
    "predicted_marathon_low_s",
    "predicted_marathon_high_s",
    "predicted_marathon_cs_s",
    "goal_marathon_s",
    "risk_pace",
    "risk_time_s",
    "over_ambition",
    "p_fail",
    "p_fail_lo",
    "p_fail_hi",
    "flags",
)


def squad_row(
    name: str,
    season: SeasonAnalysis | None,
    error: str = "",
    folder: str | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """One row of :func:`squad_table` from one athlete's season (or its error).

    Load figures (CTL, ATL, TSB, ACWR) are those of the athlete's last day in the data;
    weekly volume is the mean over the :data:`VOLUME_WEEKS` weeks before the last run.
    The final-mile risk is :func:`~finishline.training.readiness.pre_race_risk` at the goal
    time when one is configured, else at the predicted (VDOT) marathon time.
    """
    row: dict[str, Any] = {c: float("nan") for c in SQUAD_COLUMNS}
    row |= {
        "name": name,
        "folder": folder,
        "runs": 0,
        "skipped": 0,
        "last_run": None,
        "risk_pace": None,
        "long_runs": 0,
        "flags": [],
    }
    if season is None:
        row["flags"] = [f"no season: {error}"]
        return row
    athlete = season.athlete
    acts = season.activities
    last = acts["start_time"].max()
    end = last + pd.Timedelta(seconds=1)
    age_days = (end - acts["start_time"]).dt.total_seconds().to_numpy() / 86400.0
    km = acts["distance_m"].to_numpy(dtype=float) / 1000.0
    load = season.load.iloc[-1]
    row |= {
        "runs": len(acts),
        "skipped": len(season.skipped),
        "goal_marathon_s": _nan(athlete.goal_marathon_s),
        "last_run": last,
        "weekly_km": float(np.nansum(km[age_days <= 7 * VOLUME_WEEKS]) / VOLUME_WEEKS),
        "ctl": float(load["ctl"]),
        "atl": float(load["atl"]),
        "tsb": float(load["tsb"]),
        "acwr": _nan(load.get("acwr")),
        "long_runs": int(np.sum((age_days <= LONG_RUN_DAYS) & (km >= athlete.long_run_km))),
    }
    readiness = season.readiness
    row["readiness_pct"] = _nan((readiness.marathon_shape or {}).get("shape_pct"))
    row["durability"] = _nan(readiness.durability.get("durability"))
    cs = season.critical_speed
    if cs.valid:
        row["critical_speed_mps"] = float(cs.critical_speed_mps)
        row["d_prime_m"] = float(cs.d_prime_m)
    cp = season.critical_power
    if cp.valid:
        row["critical_power_w"] = float(cp.critical_power_w)
        row["w_prime_j"] = float(cp.w_prime_j)
    vdot_pred = season.marathon_prediction("vdot")
    cs_pred = season.marathon_prediction("critical_speed")
    if cs_pred is not None:
        row["predicted_marathon_cs_s"] = float(cs_pred["time_s"])
    if vdot_pred is not None:
        row["predicted_marathon_s"] = float(vdot_pred["time_s"])
        row["predicted_marathon_low_s"] = float(vdot_pred["low_s"])
        row["predicted_marathon_high_s"] = float(vdot_pred["high_s"])
        risk = readiness.pre_race_risk
        if risk is None:
            risk = pre_race_risk(
                row["predicted_marathon_s"],
                row["predicted_marathon_s"],
                sex=athlete.sex,
                age=athlete.finite("age"),
                model=model,
                readiness={
                    "marathon_shape": readiness.marathon_shape,
                    "durability": readiness.durability,
                },
            )
        row |= {
            "risk_pace": "goal" if readiness.pre_race_risk else "predicted",
            "risk_time_s": float(risk["goal_time_s"]),
            "over_ambition": float(risk["over_ambition"]),
            "p_fail": float(risk["p_fail"]),
            "p_fail_lo": float(risk["p_lo"]),
            "p_fail_hi": float(risk["p_hi"]),
        }
    row["flags"] = _flags(row, athlete.long_run_km, cs.valid, cs.reason)
    return row


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _flags(row: dict[str, Any], long_km: float, cs_valid: bool, cs_reason: str) -> list[str]:
    flags = []
    recent_load = row["weekly_km"] > 0 and row["ctl"] >= MIN_CTL_FOR_ACWR
    if recent_load and np.isfinite(row["acwr"]) and row["acwr"] > ACWR_SPIKE:
        flags.append(f"load spike: ACWR {row['acwr']:.2f} > {ACWR_SPIKE}")
    if row["tsb"] < TSB_VERY_NEGATIVE:
        flags.append(f"deep fatigue: TSB {row['tsb']:.0f} < {TSB_VERY_NEGATIVE:.0f}")
    if row["long_runs"] < MIN_LONG_RUNS:
        flags.append(
            f"few long runs: {row['long_runs']} of >= {long_km:g} km in {LONG_RUN_DAYS} days"
        )
    if np.isfinite(row["over_ambition"]) and row["over_ambition"] > OVER_AMBITION_FLAG:
        flags.append(f"goal {100 * (row['over_ambition'] - 1):.0f} % faster than predicted")
    if not cs_valid:
        flags.append(f"no critical-speed fit ({cs_reason or 'no data'})")
    if not np.isfinite(row["predicted_marathon_s"]):
        flags.append("no marathon prediction (no recent effort of 3 km or more)")
    return flags


def squad_table(
    names: Sequence[str],
    seasons: dict[str, SeasonAnalysis],
    errors: dict[str, str] | None = None,
    folders: dict[str, str] | None = None,
    model: Any = None,
) -> pd.DataFrame:
    """The team table: one row per athlete (columns :data:`SQUAD_COLUMNS`).

    Parameters
    ----------
    names
        Athlete names, in table order.
    seasons
        Athlete name -> :class:`~finishline.training.results.SeasonAnalysis`.
    errors
        Athlete name -> why there is no season.
    folders
        Athlete name -> folder.
    model
        Final-mile risk model for :func:`~finishline.training.readiness.pre_race_risk`
        (default: the packaged model).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``folder``, ``runs``, ``skipped``, ``last_run`` (UTC), ``weekly_km`` (mean
        km/week over the last 4 weeks), ``ctl``/``atl``/``tsb`` (fitness, fatigue, form on the
        last day), ``acwr``, ``readiness_pct`` (marathon shape, 100 = on target),
        ``durability`` (0-1), ``long_runs`` (last 70 days), ``critical_speed_mps``,
        ``d_prime_m``, ``critical_power_w``/``w_prime_j`` (NaN without a valid CP fit),
        ``predicted_marathon_s`` with ``_low_s``/``_high_s`` (VDOT and its band)
        and ``predicted_marathon_cs_s``, ``goal_marathon_s``, ``risk_pace`` (``"goal"`` or
        ``"predicted"``), ``risk_time_s`` (the marathon time the risk is for),
        ``over_ambition``, ``p_fail`` with ``p_fail_lo``/``p_fail_hi``, and ``flags`` (list
        of short texts). An athlete whose last run is more than :data:`STALE_DAYS` days older
        than the squad's latest gets a ``stale`` flag.

    References
    ----------
    Gabbett 2016 (ACWR); Banister 1991 (CTL/ATL/TSB); science.md 2.4, 2.5 and 5.
    """
    errors = errors or {}
    folders = folders or {}
    if model is None:
        from finishline.risk import CheckpointRiskModel

        model = CheckpointRiskModel.load()
    rows = [squad_row(n, seasons.get(n), errors.get(n, ""), folders.get(n), model) for n in names]
    table = pd.DataFrame(rows, columns=list(SQUAD_COLUMNS))
    if table.empty:
        return table
    table["last_run"] = pd.to_datetime(table["last_run"], utc=True)
    latest = table["last_run"].max()
    lag_days = (latest - table["last_run"]).dt.total_seconds() / 86400.0
    for i in np.flatnonzero(lag_days.to_numpy(dtype=float) > STALE_DAYS):
        table.at[i, "flags"] = [
            *table.at[i, "flags"],
            f"stale: last run {lag_days.iloc[i]:.0f} days before the squad's latest",
        ]
    return table
