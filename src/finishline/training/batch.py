"""Read many activity files at once: folders, ``.gz``, Strava bulk exports, a cache, a pool.

:func:`read_many` turns a folder (searched recursively), a list of files, or a Strava bulk
export (folder or ``.zip`` with ``activities.csv``) into one table of per-activity training
features (:func:`finishline.training.features.activity_features`) plus an account of every
file it did not analyse and why:

- ``not an activity``: a valid file holding no recorded activity (settings, monitoring,
  course/route, metadata such as ``activities.csv``, or no samples at all);
- ``corrupt``: an activity file that cannot be decoded (broken header, truncated gzip...);
- ``duplicate``: the same bytes as another file, or the same start time (within
  :data:`DUPLICATE_START_TOLERANCE_S`) and sport as an analysed activity (one run exported as
  both GPX and TCX);
- ``not a run``: a ride, swim, walk... (by the file's sport, the Strava ``Activity Type``, or,
  when no sport is recorded, a moving speed only a vehicle or bike reaches);
- ``unusable``: a run the analysis cannot use (no distance, positions or speed; one sample).

Per-file results are cached as one Arrow IPC (Feather v2) file per content hash (SHA-256 of the
file bytes) under ``cache_dir``, so a rerun reads only files it has not seen, and a path index
there remembers each file's hash under its path, size and mtime, so a rerun over unchanged
files hashes nothing (:mod:`finishline.training.cache`). Work runs in a process pool with a
tqdm progress bar, or on a Dask cluster (:mod:`finishline.training.distributed`).
"""

from __future__ import annotations

import bisect
import csv
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finishline.errors import (
    InputDataError,
)
from finishline.training.dispatch import require_cache_support, run_batch
from finishline.training.features import CURVE_DURATIONS_S
from finishline.training.process import BatchWarning, file_sha256

#: Two analysed activities of one sport starting within this many seconds are one run.
DUPLICATE_START_TOLERANCE_S = 120.0

SKIP_REASONS = ("not an activity", "corrupt", "duplicate", "not a run", "unusable")

#: Format preference when keeping one of several duplicate recordings (richest first).
_FORMAT_RANK = {"fit": 0, "tcx": 1, "gpx": 2}


@dataclass
class BatchResult:
    """The outcome of :func:`read_many`.

    Attributes
    ----------
    activities
        One row per analysed activity: ``file``, ``sha256``, ``start_time`` (UTC), ``sport``,
        the scalar features, and ``curve_speed_mps`` / ``hr_hist_s`` list columns.
    skipped
        One row per file not analysed: ``file``, ``reason`` (one of :data:`SKIP_REASONS`),
        ``detail``.
    n_files
        Number of files found; always ``len(activities) + len(skipped)``.
    cache_hits
        How many files came from the cache.
    """

    activities: pd.DataFrame
    skipped: pd.DataFrame
    n_files: int
    cache_hits: int = 0
    sources: list[str] = field(default_factory=list)

    def curves(self) -> pd.DataFrame:
        """Mean-maximal GAP speed (m/s) per activity, one column per duration (s)."""
        return curves_frame(self.activities)


def curves_frame(activities: pd.DataFrame) -> pd.DataFrame:
    """Expand the ``curve_speed_mps`` list column into one column per duration (s)."""
    if activities.empty:
        return pd.DataFrame(columns=[float(d) for d in CURVE_DURATIONS_S])
    values = np.array([np.asarray(c, dtype=float) for c in activities["curve_speed_mps"]])
    return pd.DataFrame(
        values, index=activities.index, columns=[float(d) for d in CURVE_DURATIONS_S]
    )


def strava_sport_hints(activities_csv: Path) -> dict[str, str]:
    """Map file paths (relative to the export root) to Strava ``Activity Type``.

    A file named ``activities.csv`` without Strava's ``Filename`` and ``Activity Type`` columns
    (or unreadable as CSV) is not a Strava index: it gives no hints, with a warning, and is
    accounted for like any other file that is not an activity.
    """
    try:
        with activities_csv.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            rows = list(reader) if "Filename" in fields and "Activity Type" in fields else None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        rows, fields = None, [type(exc).__name__]
    if rows is None:
        warnings.warn(
            f"{activities_csv}: not a Strava activities index (no Filename / Activity Type "
            "columns): no sport hints taken from it",
            BatchWarning,
            stacklevel=2,
        )
        return {}
    root = activities_csv.parent
    return {
        str((root / row["Filename"]).resolve()): row["Activity Type"]
        for row in rows
        if row.get("Filename")
    }


def walk_files(root: Path) -> list[Path]:
    """Every non-hidden file below ``root``, following symbolic links to folders (a squad or an
    archive assembled from links) but never into the same real folder twice (no link loops)."""
    out: list[Path] = []
    seen: set[str] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [Path(folder) / n for n in sorted(names) if not n.startswith(".")]
    return [p for p in out if p.is_file()]


def discover(
    source: str | PathLike[str] | Sequence[str | PathLike[str]], workdir: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """List every file of ``source`` and any Strava sport hints.

    ``source`` may be a folder (recursive, following links to folders; hidden files and
    folders are ignored), a ``.zip`` (extracted into ``workdir``), a single file, or a list of
    those.

    Returns
    -------
    (files, hints)
        Sorted file paths and a path -> Strava activity type map.
    """
    sources = [source] if isinstance(source, str | PathLike) else list(source)
    files: list[str] = []
    hints: dict[str, str] = {}
    for item in sources:
        path = Path(item)
        if path.is_file() and zipfile.is_zipfile(path) and path.suffix.lower() == ".zip":
            if workdir is None:
                raise InputDataError("a zip source needs a work directory", path)
            target = Path(workdir) / f"zip-{file_sha256(path)[:16]}"
            with zipfile.ZipFile(path) as archive:
                archive.extractall(target)  # zipfile strips absolute paths and '..'
            path = target
        if path.is_dir():
            found = walk_files(path)
            for csv_path in (p for p in found if p.name == "activities.csv"):
                hints |= strava_sport_hints(csv_path)
            files += [str(p) for p in found]
        elif path.exists():
            files.append(str(path))
        else:
            raise InputDataError("no such file or folder", path)
    return sorted(set(files)), hints


def mark_duplicates(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark duplicate analysed records as skipped (same bytes, or same start and sport).

    Of a group of duplicates the richest recording is kept: an undamaged file before a
    truncated one, FIT before TCX before GPX, then the one with heart rate, then the first by
    path. A damaged (truncated) copy of a kept run is skipped as ``corrupt``, not as a
    duplicate: the reason says what is wrong with the file.

    Same-start twins are found by sort and sweep: each sport keeps a sorted list of the kept
    start times and a record looks only at its two neighbours there (O(n log n) in the number
    of files, where comparing every pair was quadratic).
    """
    out = [dict(r) for r in sorted(records, key=lambda r: r["file"])]
    ok = [r for r in out if r["status"] == "ok"]
    ok.sort(
        key=lambda r: (
            bool(r.get("truncated")),
            _FORMAT_RANK.get(str(r.get("format")), 9),
            not np.isfinite(r.get("avg_hr_bpm") or np.nan),
            r["file"],
        )
    )
    kept_hash: dict[str, str] = {}
    kept_starts: dict[str, tuple[list[int], list[str]]] = {}
    tolerance_ns = int(DUPLICATE_START_TOLERANCE_S * 1e9)
    for rec in ok:
        twin = kept_hash.get(rec["sha256"])
        detail = f"same content as {twin}"
        if twin is None:
            start = pd.Timestamp(rec["start_time"]).value
            starts, files = kept_starts.setdefault(str(rec["sport"]), ([], []))
            i = bisect.bisect_left(starts, start)
            near = [j for j in (i - 1, i) if 0 <= j < len(starts)]
            near = [j for j in near if abs(starts[j] - start) <= tolerance_ns]
            if near:
                twin = files[near[0]]
                detail = f"same start time and sport as {twin}"
            else:
                starts.insert(i, start)
                files.insert(i, rec["file"])
                kept_hash[rec["sha256"]] = rec["file"]
                continue
        reason = "corrupt" if rec.get("truncated") else "duplicate"
        if reason == "corrupt":
            detail = f"a damaged (truncated) copy of {twin}"
        rec |= {"status": "skipped", "reason": reason, "detail": detail}
    return out


def assemble(records: Sequence[dict[str, Any]], sources: list[str]) -> BatchResult:
    """Build the :class:`BatchResult` tables from processed records."""
    records = mark_duplicates(records)
    analysed = [r for r in records if r["status"] == "ok"]
    skipped = [
        {"file": r["file"], "reason": r["reason"], "detail": r.get("detail", "")}
        for r in records
        if r["status"] != "ok"
    ]
    activities = pd.DataFrame(analysed)
    if not activities.empty:
        activities["start_time"] = pd.to_datetime(
            activities["start_time"], utc=True, format="ISO8601"
        )
        activities = activities.drop(columns=["status", "reason", "detail"]).sort_values(
            "start_time", kind="stable"
        )
        activities = activities.reset_index(drop=True)
    return BatchResult(
        activities=activities,
        skipped=pd.DataFrame(skipped, columns=["file", "reason", "detail"]),
        n_files=len(records),
        cache_hits=sum(bool(r.get("cached")) for r in records),
        sources=sources,
    )


def read_many(
    source: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    cache_dir: str | PathLike[str] | None = None,
    workers: int | None = None,
    progress: bool = True,
    scheduler: str | None = None,
    runner: Callable[..., list[dict[str, Any]]] | None = None,
) -> BatchResult:
    """Analyse every activity file under ``source``, accounting for every file.

    Parameters
    ----------
    source
        A folder (recursive), a Strava bulk export folder or ``.zip`` (with
        ``activities.csv``), a file, or a list of those. Files may be ``.gz``.
    cache_dir
        Cache directory (created if needed); ``None`` disables caching. A zip source is
        extracted under it (or a temporary directory without a cache).
    workers
        Local worker processes (default: the number of CPUs, at most 8); 1 runs inline.
    progress
        Show a tqdm progress bar.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``): process the files on that cluster
        instead of locally (needs ``dask[distributed]``).
    runner
        Advanced: a callable ``(files, cache_dir, hints, ...) -> records`` replacing the pool.

    Returns
    -------
    BatchResult
        ``activities`` (analysed), ``skipped`` (with reasons); together they cover every file.

    Examples
    --------
    >>> batch = finishline.read_many("exports/", cache_dir=".finishline-cache")  # doctest: +SKIP
    >>> batch.activities[["start_time", "distance_m"]].tail()  # doctest: +SKIP
    """
    cache = None if cache_dir is None else str(Path(cache_dir).resolve())
    require_cache_support(cache)
    with tempfile.TemporaryDirectory(prefix="finishline-") as tmp:
        workdir = cache or tmp
        files, hints = discover(source, workdir)
        if runner is not None:
            records = runner(files, cache, hints)
        else:
            records = run_batch(
                files, cache, hints, scheduler=scheduler, workers=workers, progress=progress
            )
    sources = [str(source)] if isinstance(source, str | PathLike) else [str(s) for s in source]
    return assemble(records, sources)
