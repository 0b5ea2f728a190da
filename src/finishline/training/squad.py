"""Squads: a folder per athlete, one batch over all their files, one season each, a team table.

Layout rule (chosen over auto-detection, see :func:`read_squad`): the squad folder holds one
sub-folder (or Strava export ``.zip``) per athlete; the athlete's name is the folder name unless
the athlete's own ``athlete.toml`` / ``athlete.json`` (at the top of that folder) gives one.
Squad-wide defaults may come from one config (``--athlete-config``); each athlete's file
overrides them key by key.

All files of all athletes go through **one** process pool (or Dask cluster) and one cache;
duplicate detection then runs per athlete (two athletes who start a race together are not
duplicates of each other), and each athlete's season is
:func:`~finishline.training.season.analyze_season` exactly as for a single runner.
:func:`squad_table` reduces the seasons to one row per athlete.

References
----------
Banister 1991 and science.md 2.4 (CTL/ATL/TSB); Gabbett 2016 (ACWR above 1.5 as a load spike);
Runalyze marathon shape (readiness, :mod:`finishline.training.readiness`); Daniels & Gilbert
1979 (VDOT marathon prediction); science.md 5 (over-ambition ratio and long-run count as
pre-race risk features).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finishline.activity import to_jsonable
from finishline.errors import FinishlineError, InputDataError
from finishline.training.batch import (
    ACTIVITY_SUFFIXES,
    BatchResult,
    assemble,
    discover,
    run_local,
)
from finishline.training.readiness import LONG_RUN_DAYS, pre_race_risk
from finishline.training.season import AthleteConfig, analyze_season, load_athlete_config

#: Per-athlete config files, looked for at the top of each athlete folder.
ATHLETE_CONFIG_NAMES: tuple[str, ...] = ("athlete.toml", "athlete.json")

#: ACWR above this is a load spike (Gabbett 2016's "danger zone").
ACWR_SPIKE = 1.5
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


@dataclass
class SquadMember:
    """One athlete of a squad: name, folder, settings and the batch of their files."""

    name: str
    folder: str
    config: AthleteConfig
    batch: BatchResult


@dataclass
class Squad:
    """The outcome of :func:`read_squad`.

    Attributes
    ----------
    members
        One per athlete, sorted by folder name.
    skipped
        Files of the squad folder that belong to no athlete's batch: top-level files and the
        athletes' config files (``file``, ``reason``, ``detail``, ``athlete``).
    n_files
        Files found in total; ``sum(member.batch.n_files) + len(skipped)``.
    cache_hits
        Files that came from the cache.
    """

    members: list[SquadMember]
    skipped: pd.DataFrame
    n_files: int
    cache_hits: int = 0
    root: str = ""

    def all_skipped(self) -> pd.DataFrame:
        """Every skipped file of the squad, with the ``athlete`` it belongs to (or ``None``)."""
        parts = [self.skipped] + [
            m.batch.skipped.assign(athlete=m.name) for m in self.members if len(m.batch.skipped)
        ]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=["file", "reason", "detail", "athlete"])
        return pd.concat(parts, ignore_index=True)[["file", "reason", "detail", "athlete"]]


def athlete_entries(root: str | PathLike[str]) -> tuple[list[Path], list[Path]]:
    """Split the top level of a squad folder into athlete entries and loose files.

    Athlete entries are the non-hidden sub-folders and ``.zip`` files (a Strava export per
    athlete); loose files are every other non-hidden top-level file.

    Raises
    ------
    InputDataError
        ``root`` is not a folder, has no athlete entry, or holds activity files at the top
        level (they would belong to no athlete).
    """
    folder = Path(root)
    if not folder.is_dir():
        raise InputDataError("a squad must be a folder of athlete folders", folder)
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    athletes = [p for p in entries if p.is_dir() or p.suffix.lower() == ".zip"]
    loose = [p for p in entries if p.is_file() and p not in athletes]
    strays = [p.name for p in loose if p.name.lower().endswith(ACTIVITY_SUFFIXES)]
    if strays:
        shown = ", ".join(strays[:5]) + (" ..." if len(strays) > 5 else "")
        raise InputDataError(
            f"activity files at the top of a squad folder belong to no athlete ({shown}); "
            "move them into an athlete folder",
            folder,
        )
    if not athletes:
        raise InputDataError("no athlete folders in the squad folder", folder)
    return athletes, loose


def _config_file(entry: Path, files: Sequence[str]) -> Path | None:
    present = [entry / n for n in ATHLETE_CONFIG_NAMES if str(entry / n) in files]
    if len(present) > 1:
        raise InputDataError("both athlete.toml and athlete.json: keep one", entry)
    return present[0] if present else None


def read_squad(
    root: str | PathLike[str],
    *,
    defaults: AthleteConfig | None = None,
    cache_dir: str | PathLike[str] | None = None,
    workers: int | None = None,
    progress: bool = True,
    scheduler: str | None = None,
) -> Squad:
    """Read a squad folder: one batch over every athlete's files, split back per athlete.

    Parameters
    ----------
    root
        The squad folder: one sub-folder (or Strava export ``.zip``) per athlete, each read
        like :func:`~finishline.training.batch.read_many` reads a folder. Optional
        ``athlete.toml`` / ``athlete.json`` at the top of an athlete folder.
    defaults
        Squad-wide athlete settings; an athlete's own config overrides them key by key. The
        name always comes from the athlete's config or, failing that, the folder name.
    cache_dir, workers, progress, scheduler
        As for :func:`~finishline.training.batch.read_many` (``scheduler`` may also be a
        ``distributed.Client``); one pool (or one Dask run) and one cache serve the whole
        squad.

    Returns
    -------
    Squad
        Every file is accounted for: analysed or skipped in an athlete's batch, or in
        ``Squad.skipped`` (top-level files and config files, reason ``not an activity``).

    Raises
    ------
    InputDataError
        Layout problems (see :func:`athlete_entries`), unreadable athlete configs, two
        athletes with the same name.

    Notes
    -----
    Why a flag and not auto-detection: a single runner's archive sorted into year folders
    (``2023/``, ``2024/``) looks exactly like a squad; guessing would silently turn one
    season into several athletes. ``finishline train DIR --squad`` states the intent.
    """
    athletes, loose = athlete_entries(root)
    cache = None if cache_dir is None else str(Path(cache_dir).resolve())
    defaults = defaults or AthleteConfig()
    with tempfile.TemporaryDirectory(prefix="finishline-squad-") as tmp:
        workdir = cache or tmp
        owned: list[tuple[Path, list[str], Path | None]] = []
        hints: dict[str, str] = {}
        for entry in athletes:
            files, entry_hints = discover(entry, workdir)
            hints |= entry_hints
            config_file = _config_file(entry, files) if entry.is_dir() else None
            owned.append((entry, files, config_file))
        to_process = [f for _, files, cfg in owned for f in files if cfg is None or f != str(cfg)]
        if scheduler is not None:
            from finishline.training.distributed import run_dask

            records = run_dask(to_process, cache, hints, scheduler, progress=progress)
        else:
            records = run_local(to_process, cache, hints, workers=workers, progress=progress)
    by_file = {r["file"]: r for r in records}
    members: list[SquadMember] = []
    skipped = [
        {
            "file": str(p),
            "reason": "not an activity",
            "detail": "top-level file of the squad folder",
            "athlete": None,
        }
        for p in loose
    ]
    for entry, files, config_file in owned:
        folder_name = entry.stem if entry.is_file() else entry.name
        config = load_athlete_config(config_file, base=replace(defaults, name=folder_name))
        if config_file is not None:
            skipped.append(
                {
                    "file": str(config_file),
                    "reason": "not an activity",
                    "detail": "athlete config",
                    "athlete": config.name,
                }
            )
        batch = assemble([by_file[f] for f in files if f in by_file], [str(entry)])
        members.append(SquadMember(config.name, str(entry), config, batch))
    names = [m.name for m in members]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputDataError(f"two athletes share the name {repeated[0]!r}", root)
    skipped_frame = pd.DataFrame(skipped, columns=["file", "reason", "detail", "athlete"])
    n_files = sum(m.batch.n_files for m in members) + len(skipped_frame)
    return Squad(
        members=members,
        skipped=skipped_frame,
        n_files=n_files,
        cache_hits=sum(m.batch.cache_hits for m in members),
        root=str(root),
    )


def analyze_squad(squad: Squad) -> dict[str, dict[str, Any]]:
    """Each athlete's season (:func:`~finishline.training.season.analyze_season`), by name.

    An athlete whose files give no season (no analysable run) gets
    ``{"error": reason, "activities": [], "skipped": [...], "athlete": {...}}`` instead of
    stopping the squad. Each season also carries the athlete's ``folder``. Warnings raised while analysing an athlete are re-issued with the
    athlete's name in front.
    """
    seasons: dict[str, dict[str, Any]] = {}
    for member in squad.members:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                season = analyze_season(member.batch, member.config)
            except FinishlineError as exc:
                season = {
                    "error": exc.reason,
                    "activities": [],
                    "skipped": member.batch.skipped.to_dict(orient="records"),
                    "athlete": {"name": member.name},
                }
        seasons[member.name] = season | {"folder": member.folder}
        for w in caught:
            warnings.warn(f"{member.name}: {w.message}", w.category, stacklevel=2)
    return seasons


def _marathon_prediction(season: Mapping[str, Any], method: str) -> dict[str, Any] | None:
    races = season.get("predictions", {}).get("races", [])
    return next((p for p in races if p["race"] == "marathon" and p["method"] == method), None)


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def squad_row(name: str, season: Mapping[str, Any], model: Any = None) -> dict[str, Any]:
    """One row of :func:`squad_table` from one athlete's season.

    Load figures (CTL, ATL, TSB, ACWR) are those of the athlete's last day in the data;
    weekly volume is the mean over the :data:`VOLUME_WEEKS` weeks before the last run.
    The final-mile risk is :func:`~finishline.training.readiness.pre_race_risk` at the goal
    time when one is configured, else at the predicted (VDOT) marathon time.
    """
    athlete = season.get("athlete", {})
    row: dict[str, Any] = {c: float("nan") for c in SQUAD_COLUMNS}
    row |= {
        "name": name,
        "folder": season.get("folder"),
        "runs": len(season.get("activities", [])),
        "skipped": len(season.get("skipped", [])),
        "last_run": None,
        "goal_marathon_s": _nan(athlete.get("goal_marathon_s")),
        "risk_pace": None,
        "long_runs": 0,
        "flags": [],
    }
    if "error" in season:
        row["flags"] = [f"no season: {season['error']}"]
        return row
    frames = season["frames"]
    acts = frames["activities"]
    last = acts["start_time"].max()
    end = last + pd.Timedelta(seconds=1)
    age_days = (end - acts["start_time"]).dt.total_seconds().to_numpy() / 86400.0
    km = acts["distance_m"].to_numpy(dtype=float) / 1000.0
    long_km = float(athlete.get("long_run_km") or AthleteConfig.long_run_km)
    load = frames["load"].iloc[-1]
    row |= {
        "last_run": last,
        "weekly_km": float(np.nansum(km[age_days <= 7 * VOLUME_WEEKS]) / VOLUME_WEEKS),
        "ctl": float(load["ctl"]),
        "atl": float(load["atl"]),
        "tsb": float(load["tsb"]),
        "acwr": _nan(load.get("acwr")),
        "long_runs": int(np.sum((age_days <= LONG_RUN_DAYS) & (km >= long_km))),
    }
    readiness = season.get("readiness", {})
    shape = readiness.get("marathon_shape") or {}
    row["readiness_pct"] = _nan(shape.get("shape_pct"))
    row["durability"] = _nan((readiness.get("durability") or {}).get("durability"))
    cs = season.get("critical_speed", {})
    if cs.get("valid"):
        row["critical_speed_mps"] = float(cs["critical_speed_mps"])
        row["d_prime_m"] = float(cs["d_prime_m"])
    vdot_pred = _marathon_prediction(season, "vdot")
    cs_pred = _marathon_prediction(season, "critical_speed")
    if cs_pred is not None:
        row["predicted_marathon_cs_s"] = float(cs_pred["time_s"])
    if vdot_pred is not None:
        row["predicted_marathon_s"] = float(vdot_pred["time_s"])
        row["predicted_marathon_low_s"] = float(vdot_pred["low_s"])
        row["predicted_marathon_high_s"] = float(vdot_pred["high_s"])
        risk = readiness.get("pre_race_risk")
        if risk is None:
            sex = {"male": "M", "female": "F"}.get(str(athlete.get("sex")))
            risk = pre_race_risk(
                row["predicted_marathon_s"],
                row["predicted_marathon_s"],
                sex=sex,
                age=athlete.get("age"),
                model=model,
            )
        row |= {
            "risk_pace": "goal" if readiness.get("pre_race_risk") else "predicted",
            "risk_time_s": float(risk["goal_time_s"]),
            "over_ambition": float(risk["over_ambition"]),
            "p_fail": float(risk["p_fail"]),
            "p_fail_lo": float(risk["p_lo"]),
            "p_fail_hi": float(risk["p_hi"]),
        }
    row["flags"] = _flags(row, long_km, cs)
    return row


def _flags(row: Mapping[str, Any], long_km: float, cs: Mapping[str, Any]) -> list[str]:
    flags = []
    if np.isfinite(row["acwr"]) and row["acwr"] > ACWR_SPIKE:
        flags.append(f"load spike: ACWR {row['acwr']:.2f} > {ACWR_SPIKE}")
    if row["tsb"] < TSB_VERY_NEGATIVE:
        flags.append(f"deep fatigue: TSB {row['tsb']:.0f} < {TSB_VERY_NEGATIVE:.0f}")
    if row["long_runs"] < MIN_LONG_RUNS:
        flags.append(
            f"few long runs: {row['long_runs']} of >= {long_km:g} km in {LONG_RUN_DAYS} days"
        )
    if np.isfinite(row["over_ambition"]) and row["over_ambition"] > OVER_AMBITION_FLAG:
        flags.append(f"goal {100 * (row['over_ambition'] - 1):.0f} % faster than predicted")
    if not cs.get("valid"):
        flags.append(f"no critical-speed fit ({cs.get('reason') or 'no data'})")
    if not np.isfinite(row["predicted_marathon_s"]):
        flags.append("no marathon prediction (no recent effort of 3 km or more)")
    return flags


def squad_table(seasons: Mapping[str, Mapping[str, Any]], model: Any = None) -> pd.DataFrame:
    """The team table: one row per athlete (columns :data:`SQUAD_COLUMNS`).

    Parameters
    ----------
    seasons
        Athlete name -> season of :func:`~finishline.training.season.analyze_season` (or the
        error entry of :func:`analyze_squad`).
    model
        Final-mile risk model for :func:`~finishline.training.readiness.pre_race_risk`
        (default: the packaged :class:`~finishline.risk.CheckpointRiskModel`).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``folder``, ``runs``, ``skipped``, ``last_run`` (UTC), ``weekly_km`` (mean
        km/week over the last 4 weeks), ``ctl``/``atl``/``tsb`` (fitness, fatigue, form on the
        last day), ``acwr``, ``readiness_pct`` (marathon shape, 100 = on target),
        ``durability`` (0-1), ``long_runs`` (last 70 days), ``critical_speed_mps``,
        ``d_prime_m``, ``predicted_marathon_s`` with ``_low_s``/``_high_s`` (VDOT and its band)
        and ``predicted_marathon_cs_s``, ``goal_marathon_s``, ``risk_pace`` (``"goal"`` or
        ``"predicted"``), ``risk_time_s`` (the marathon time the risk is for),
        ``over_ambition``, ``p_fail`` with ``p_fail_lo``/``p_fail_hi``, and ``flags`` (list
        of short texts). An athlete whose last run is more than :data:`STALE_DAYS` days older
        than the squad's latest gets a ``stale`` flag.

    References
    ----------
    Gabbett 2016 (ACWR); Banister 1991 (CTL/ATL/TSB); science.md 2.4, 2.5 and 5.
    """
    if model is None:
        from finishline.risk import CheckpointRiskModel

        model = CheckpointRiskModel.load()
    rows = [squad_row(name, season, model) for name, season in seasons.items()]
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


def squad_json(
    squad: Squad, seasons: Mapping[str, Mapping[str, Any]], table: pd.DataFrame
) -> dict[str, Any]:
    """The squad JSON: ``squad`` (table rows), ``athletes`` (name -> season JSON without
    frames), ``skipped`` (every skipped file of the squad, with its ``athlete``), ``n_files``.
    """
    rows = _records(table)
    athletes = {
        name: {k: v for k, v in season.items() if k != "frames"} for name, season in seasons.items()
    }
    return {
        "squad": rows,
        "athletes": athletes,
        "skipped": _records(squad.all_skipped()),
        "n_files": squad.n_files,
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return to_jsonable(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json_value(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
