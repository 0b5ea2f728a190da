"""What a season and a squad analysis hold: typed results with documented fields and units.

:class:`SeasonAnalysis` is what :func:`finishline.analyze_season` returns and
:class:`SquadAnalysis` what :func:`finishline.training.squad.analyze_squad` returns. The reports
draw only what these hold; their JSON comes from :func:`finishline.jsonable.jsonable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from finishline.athlete import Athlete
from finishline.display import Tables, card_html
from finishline.formatting import format_hms
from finishline.jsonable import jsonable
from finishline.training.critical_power import CriticalPowerFit
from finishline.training.critical_speed import CriticalSpeedFit
from finishline.training.predict import summarize_backtest

#: Per-activity key figures written to the season JSON.
ACTIVITY_KEYS = (
    "file",
    "start_time",
    "sport",
    "format",
    "distance_m",
    "moving_s",
    "avg_speed_mps",
    "avg_gap_speed_mps",
    "avg_hr_bpm",
    "max_hr_bpm",
    "decoupling",
    "pw_hr_decoupling",
    "avg_power_w",
    "power_source",
    "banister_trimp",
    "edwards_trimp",
    "pace_load",
    "load",
    "load_kind",
    "best_5k_s",
    "best_10k_s",
)


def _write_text(path: str | PathLike[str], text: str) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


@dataclass(frozen=True)
class Readiness:
    """Marathon readiness (:mod:`finishline.training.readiness`).

    Attributes
    ----------
    marathon_shape
        ``shape_pct`` (100 = on target), ``volume_pct``, ``long_run_pct``, ``weekly_km``,
        ``long_runs``, ``weekly_target_km``, ``long_run_target_km``, ``vdot``; None without
        a recent effort to set the targets.
    durability
        ``decoupling_median`` (fraction), ``n_runs``, ``durability`` (0-1) over recent long runs.
    pre_race_risk
        The final-mile risk at the goal marathon time (``goal_time_s``, ``predicted_time_s``,
        ``over_ambition``, ``p_fail``, ``p_lo``, ``p_hi``, ...), None without a goal.
    """

    marathon_shape: dict[str, Any] | None = None
    durability: dict[str, Any] = field(default_factory=dict)
    pre_race_risk: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"durability": self.durability}
        if self.marathon_shape is not None:
            out["marathon_shape"] = self.marathon_shape
        if self.pre_race_risk is not None:
            out["pre_race_risk"] = self.pre_race_risk
        return jsonable(out)


@dataclass(repr=False)
class SeasonAnalysis(Tables):
    """One athlete's season.

    In a notebook it shows a summary card; ``to_frame``/``to_csv``/``to_parquet`` export its
    tables (``"activities"`` (the default), ``"load"``, ``"weekly"``, ``"predictions"``,
    ``"cs_trend"``, ``"prediction_trend"``, ``"backtest"``, ``"power_envelope"``).

    Attributes
    ----------
    athlete
        The athlete values used (given, configured, estimated), with provenance.
    activities
        One row per analysed run: the training record
        (:func:`finishline.training.features.training_record`) plus ``banister_trimp``,
        ``edwards_trimp``, ``pace_load``, ``load``, ``load_kind`` and ``best_vdot``.
    skipped
        Files not analysed: ``file``, ``reason``, ``detail``.
    load
        Daily ``load``, ``ctl``, ``atl``, ``tsb`` (previous day) and ``acwr``, by date.
    weekly
        Weekly volume (km, hours) and long runs.
    critical_speed
        The CS/D' fit over the last ``athlete.cs_window_days`` days.
    cs_trend
        Weekly CS/D' fits (``critical_speed_mps``, ``d_prime_m``, ``valid``, ``reason``).
    predictions
        ``race``, ``distance_m``, ``method`` (riegel, vdot, critical_speed), ``time_s``,
        ``low_s``, ``high_s``, ``basis``.
    prediction_trend
        Predicted marathon (VDOT and CS, s) by week.
    backtest
        Past races predicted from efforts before them (empty without races).
    readiness
        :class:`Readiness`.
    end
        The analysis time: one second after the last run started (UTC).
    folder
        The athlete's folder (squads).
    critical_power
        The CP/W' fit (:mod:`finishline.training.critical_power`) over the same window as
        critical speed, from the runs with running power; no fit, with the reason, without.
    power_envelope
        The window's mean-maximal power (``duration_s``, ``power_w``) the CP fit used.
    """

    athlete: Athlete
    activities: pd.DataFrame
    skipped: pd.DataFrame
    load: pd.DataFrame
    weekly: pd.DataFrame
    critical_speed: CriticalSpeedFit
    cs_trend: pd.DataFrame
    predictions: pd.DataFrame
    prediction_trend: pd.DataFrame
    backtest: pd.DataFrame
    readiness: Readiness
    end: pd.Timestamp
    folder: str | None = None
    critical_power: CriticalPowerFit = field(
        default_factory=lambda: CriticalPowerFit.none("not computed")
    )
    power_envelope: pd.DataFrame = field(default_factory=pd.DataFrame)

    TABLES: ClassVar[dict[str, str]] = {
        "activities": "activities",
        "load": "load",
        "weekly": "weekly",
        "predictions": "predictions",
        "cs_trend": "cs_trend",
        "prediction_trend": "prediction_trend",
        "backtest": "backtest",
        "power_envelope": "power_envelope",
    }
    DEFAULT_TABLE: ClassVar[str] = "activities"

    def _facts(self) -> dict[str, str]:
        cs = self.critical_speed
        load = self.load.iloc[-1] if len(self.load) else None
        facts = {
            "runs": f"{len(self.activities)} analysed, {len(self.skipped)} files skipped",
            "critical speed": f"{cs.critical_speed_mps:.2f} m/s, D' {cs.d_prime_m:.0f} m"
            if cs.valid
            else f"no fit ({cs.reason})",
        }
        cp = self.critical_power
        if cp.valid:
            facts["critical power"] = (
                f"{cp.critical_power_w:.0f} W, W' {cp.w_prime_j / 1000:.1f} kJ"
            )
        if load is not None:
            facts["last day"] = (
                f"CTL {load['ctl']:.0f}, ATL {load['atl']:.0f}, TSB {load['tsb']:+.0f}"
            )
        marathon = self.marathon_prediction("vdot")
        if marathon is not None:
            facts["marathon (VDOT)"] = (
                f"{format_hms(marathon['time_s'])} ({format_hms(marathon['low_s'])} to "
                f"{format_hms(marathon['high_s'])})"
            )
        if self.readiness.marathon_shape:
            facts["marathon shape"] = f"{self.readiness.marathon_shape['shape_pct']:.0f} %"
        return facts

    def __repr__(self) -> str:
        name = self.athlete.name or "athlete"
        facts = "; ".join(f"{k} {v}" for k, v in self._facts().items())
        return f"SeasonAnalysis({name}: {facts})"

    def _repr_html_(self) -> str:
        estimates = "; ".join(self.athlete.describe(n) for n, *_ in self.athlete.estimates())
        shown = [
            c for c in ("start_time", "distance_m", "moving_s", "load") if c in self.activities
        ]
        return card_html(
            f"finishline season: {self.athlete.name or 'athlete'}",
            self._facts(),
            estimates,
            [("last runs", self.activities[shown].tail(5))],
        )

    def figures(self) -> dict[str, Any]:
        """The training report's Plotly figures by name (load, weekly, CS, predictions)."""
        from finishline.viz.training_report import season_figures

        return season_figures(self)

    def write_html(self, path: str | PathLike[str]) -> Path:
        """Write the self-contained HTML training report; return its path."""
        from finishline.viz.training_report import training_report_html

        return _write_text(path, training_report_html(self))

    def marathon_prediction(self, method: str = "vdot") -> dict[str, Any] | None:
        """The predicted marathon by ``method`` (time and band, s), or None."""
        if self.predictions.empty:
            return None
        rows = self.predictions[
            (self.predictions["race"] == "marathon") & (self.predictions["method"] == method)
        ]
        return None if rows.empty else rows.iloc[0].to_dict()

    def to_json(self) -> dict[str, Any]:
        """The season as strict-JSON-safe data (what ``finishline train --json`` writes)."""
        keys = [k for k in ACTIVITY_KEYS if k in self.activities.columns]
        summary = summarize_backtest(self.backtest).reset_index() if len(self.backtest) else []
        a = self.athlete
        settings = {
            "long_run_km": a.long_run_km,
            "ctl_days": a.ctl_days,
            "atl_days": a.atl_days,
            "cs_window_days": a.cs_window_days,
        }
        return jsonable(
            {
                "athlete": a.to_json(),
                "settings": settings,
                "activities": self.activities[keys],
                "skipped": self.skipped,
                "load": self.load.reset_index(names="date"),
                "critical_speed": self.critical_speed.to_dict()
                | {
                    "window_days": self.athlete.cs_window_days,
                    "at": self.end,
                    "trend": self.cs_trend.reset_index(names="date"),
                },
                "critical_power": self.critical_power.to_dict()
                | {
                    "window_days": self.athlete.cs_window_days,
                    "at": self.end,
                    "envelope": self.power_envelope,
                },
                "predictions": {
                    "races": self.predictions,
                    "backtest": self.backtest,
                    "backtest_summary": summary,
                },
                "readiness": self.readiness,
                "folder": self.folder,
            }
        )


@dataclass(repr=False)
class SquadAnalysis(Tables):
    """A squad: one season per athlete and the team table.

    In a notebook it shows the team table; ``to_frame``/``to_csv``/``to_parquet`` export
    ``"table"`` (the default) or ``"skipped"``.

    Attributes
    ----------
    table
        One row per athlete (:data:`finishline.training.squad.SQUAD_COLUMNS`).
    seasons
        Athlete name -> :class:`SeasonAnalysis`, for athletes with an analysable run.
    errors
        Athlete name -> why there is no season (no analysable run).
    athletes
        Athlete name -> :class:`~finishline.athlete.Athlete` as configured (every athlete).
    folders
        Athlete name -> folder.
    skipped
        Every skipped file of the squad: ``file``, ``reason``, ``detail``, ``athlete``.
    n_files
        Files found in total (analysed + skipped).
    """

    table: pd.DataFrame
    seasons: dict[str, SeasonAnalysis]
    errors: dict[str, str]
    athletes: dict[str, Athlete]
    folders: dict[str, str]
    skipped: pd.DataFrame
    n_files: int

    TABLES: ClassVar[dict[str, str]] = {"table": "table", "skipped": "skipped"}
    DEFAULT_TABLE: ClassVar[str] = "table"

    def __repr__(self) -> str:
        n_runs = sum(len(s.activities) for s in self.seasons.values())
        return (
            f"SquadAnalysis({len(self.athletes)} athletes, {n_runs} runs, "
            f"{len(self.skipped)} of {self.n_files} files skipped)"
        )

    def _repr_html_(self) -> str:
        shown = ["name", "runs", "weekly_km", "ctl", "tsb", "predicted_marathon_s", "p_fail"]
        table = self.table[[c for c in shown if c in self.table]].copy()
        if "predicted_marathon_s" in table:
            table["predicted_marathon_s"] = table["predicted_marathon_s"].map(format_hms)
        facts = {"athletes": str(len(self.athletes)), "files": str(self.n_files)}
        return card_html("finishline squad", facts, "", [("team", table)])

    def write_html(self, path: str | PathLike[str]) -> Path:
        """Write the self-contained HTML squad report; return its path."""
        from finishline.viz.squad_report import squad_report_html

        return _write_text(path, squad_report_html(self))

    def to_json(self) -> dict[str, Any]:
        """``{"squad": [rows], "athletes": {name: season}, "skipped": [...], "n_files": N}``;
        an athlete with no season is ``{"error": reason, "folder": ..., "athlete": ...}``."""
        athletes: dict[str, Any] = {}
        for name, athlete in self.athletes.items():
            if name in self.seasons:
                athletes[name] = self.seasons[name]
            else:
                athletes[name] = {
                    "error": self.errors.get(name, ""),
                    "folder": self.folders.get(name),
                    "athlete": athlete,
                    "activities": [],
                    "skipped": self.skipped[self.skipped["athlete"] == name].drop(
                        columns="athlete"
                    ),
                }
        return jsonable(
            {
                "squad": self.table,
                "athletes": athletes,
                "skipped": self.skipped,
                "n_files": self.n_files,
            }
        )
