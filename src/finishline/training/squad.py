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
:func:`~finishline.training.team.squad_table` reduces the seasons to one row per athlete.

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
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from finishline.athlete import Athlete, load_athlete
from finishline.errors import FinishlineError, InputDataError
from finishline.training.batch import BatchResult, assemble, discover
from finishline.training.dispatch import run_batch
from finishline.training.process import ACTIVITY_SUFFIXES
from finishline.training.results import SeasonAnalysis, SquadAnalysis
from finishline.training.season import analyze_season
from finishline.training.team import squad_table

#: Per-athlete config files, looked for at the top of each athlete folder.
ATHLETE_CONFIG_NAMES: tuple[str, ...] = ("athlete.toml", "athlete.json")


@dataclass
class SquadMember:
    """One athlete of a squad: name, folder, values and the batch of their files."""

    name: str
    folder: str
    athlete: Athlete
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
    defaults: Athlete | None = None,
    cache_dir: str | PathLike[str] | None = None,
    workers: int | None = None,
    progress: bool = True,
    scheduler: Any = None,
) -> Squad:
    """Read a squad folder: one batch over every athlete's files, split back per athlete.

    Parameters
    ----------
    root
        The squad folder: one sub-folder (or Strava export ``.zip``) per athlete, each read
        like :func:`~finishline.training.batch.read_many` reads a folder. Optional
        ``athlete.toml`` / ``athlete.json`` at the top of an athlete folder.
    defaults
        Squad-wide athlete values and settings; an athlete's own file overrides them key by
        key. The name always comes from the athlete's file or, failing that, the folder name.
    cache_dir, workers, progress, scheduler
        As for :func:`~finishline.training.batch.read_many`; one dispatch
        (:func:`~finishline.training.dispatch.run_batch`) and one cache serve the whole squad.

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
    defaults = defaults or Athlete()
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
        records = run_batch(
            to_process, cache, hints, scheduler=scheduler, workers=workers, progress=progress
        )
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
        athlete = load_athlete(config_file, base=defaults.with_values("config", name=folder_name))
        if config_file is not None:
            skipped.append(
                {
                    "file": str(config_file),
                    "reason": "not an activity",
                    "detail": "athlete config",
                    "athlete": athlete.name,
                }
            )
        batch = assemble([by_file[f] for f in files if f in by_file], [str(entry)])
        members.append(SquadMember(str(athlete.name), str(entry), athlete, batch))
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


def analyze_squad(squad: Squad, model: Any = None) -> SquadAnalysis:
    """Each athlete's season (:func:`~finishline.training.season.analyze_season`) and the team
    table.

    An athlete whose files give no season (no analysable run) gets an entry in
    ``errors`` instead of stopping the squad. Warnings raised while analysing an athlete are
    re-issued with the athlete's name in front.
    """
    seasons: dict[str, SeasonAnalysis] = {}
    errors: dict[str, str] = {}
    for member in squad.members:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                season = analyze_season(member.batch, member.athlete)
                season.folder = member.folder
                seasons[member.name] = season
            except FinishlineError as exc:
                errors[member.name] = exc.reason
        for w in caught:
            warnings.warn(f"{member.name}: {w.message}", w.category, stacklevel=2)
    names = [m.name for m in squad.members]
    folders = {m.name: m.folder for m in squad.members}
    table = squad_table(names, seasons, errors, folders, model=model)
    return SquadAnalysis(
        table=table,
        seasons=seasons,
        errors=errors,
        athletes={m.name: m.athlete for m in squad.members},
        folders=folders,
        skipped=squad.all_skipped(),
        n_files=squad.n_files,
    )
