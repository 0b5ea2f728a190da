"""One activity file -> one training record: read, analyse, classify, cache.

:func:`process_file` is the per-file unit of work every back end runs (the local process pool
and Dask: :mod:`finishline.training.dispatch`). It reads the file, computes its training
record (:func:`finishline.training.features.activity_features`), or classifies why it cannot
be used:

- ``not an activity``: a valid file holding no recorded activity (settings, monitoring,
  course/route, metadata such as ``activities.csv``, or no samples at all);
- ``corrupt``: an activity file that cannot be decoded (broken header, truncated gzip...);
- ``not a run``: a ride, swim, walk... (by the file's sport, the Strava ``Activity Type``, or,
  when no sport is recorded, a moving speed only a vehicle or bike reaches);
- ``unusable``: a run the analysis cannot use (no distance, positions or speed; one sample).

Records are cached as one Arrow IPC (Feather v2) file per content hash (SHA-256 of the file
bytes) under ``cache_dir``. Arrow IPC rather than Parquet: a record is one row, and
memory-mapping it costs ~0.2 ms against ~1.3 ms to decode a Parquet file.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

from finishline.activity import normalize_sport
from finishline.definitions import not_a_run
from finishline.errors import (
    AnalysisError,
    EmptyActivityError,
    FileFormatError,
    FinishlineError,
    FinishlineWarning,
    NotAnActivityError,
)
from finishline.training.features import activity_features

#: Bump when the per-file record changes: old cache entries are then ignored.
FEATURES_VERSION = "6"

#: File name endings read as activity files (anything else unreadable is "not an activity").
ACTIVITY_SUFFIXES: tuple[str, ...] = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")


class BatchWarning(FinishlineWarning):
    """A file failed in an unexpected way (reader bug) and was accounted as corrupt."""


def file_sha256(path: str | PathLike[str]) -> str:
    """SHA-256 hex digest of a file's bytes (the cache key)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _is_activity_name(path: str) -> bool:
    return path.lower().endswith(ACTIVITY_SUFFIXES)


def _classify(exc: FinishlineError, path: str) -> str:
    if isinstance(exc, NotAnActivityError | EmptyActivityError):
        return "not an activity"
    if isinstance(exc, FileFormatError):
        return "corrupt" if _is_activity_name(path) else "not an activity"
    if isinstance(exc, AnalysisError):
        return "not an activity" if "course" in exc.reason else "unusable"
    return "corrupt"


def _cache_file(cache_dir: str, sha: str) -> Path:
    return Path(cache_dir) / f"v{FEATURES_VERSION}" / sha[:2] / f"{sha}.arrow"


def _read_cache(cache_dir: str | None, sha: str) -> dict[str, Any] | None:
    if cache_dir is None:
        return None
    path = _cache_file(cache_dir, sha)
    if not path.exists():
        return None
    import pyarrow as pa
    import pyarrow.ipc as ipc

    with pa.memory_map(str(path)) as source:
        rows = ipc.open_file(source).read_all().to_pylist()
    return rows[0] if rows else None


def _write_cache(cache_dir: str | None, sha: str, record: dict[str, Any]) -> None:
    if cache_dir is None:
        return
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path = _cache_file(cache_dir, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    table = pa.Table.from_pylist([record])
    with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)  # atomic: concurrent workers never see half a file


def process_file(
    path: str, cache_dir: str | None = None, sport_hint: str | None = None
) -> dict[str, Any]:
    """Analyse one file into a flat record (cached by content hash).

    Parameters
    ----------
    path
        The file.
    cache_dir
        Directory of the cache, or ``None`` for no cache.
    sport_hint
        Sport from outside the file (Strava ``activities.csv``), used when the file has none.

    Returns
    -------
    dict
        ``file``, ``sha256``, ``status`` (``"ok"`` or ``"skipped"``), ``reason``, ``detail``,
        ``cached`` and, for analysed files, the features of
        :func:`~finishline.training.features.activity_features`.
    """
    from finishline.io import read

    try:
        sha = file_sha256(path)
    except OSError as exc:
        return failed_record(path, "unusable", f"cannot read the file ({exc.strerror or exc})")
    cached = _read_cache(cache_dir, sha)
    if cached is not None:
        return _finish(dict(cached), path, True, sport_hint)
    else:
        record = {"sha256": sha, "status": "ok", "reason": "", "detail": ""}
        try:
            activity = read(path)
            if activity.meta.is_course:
                raise NotAnActivityError("a course/route without times, not a recorded run", path)
            record |= activity_features(activity)
        except FinishlineError as exc:
            record |= {"status": "skipped", "reason": _classify(exc, path), "detail": exc.reason}
        except Exception as exc:  # a reader bug must not stop a 10,000-file batch
            detail = f"unexpected {type(exc).__name__}: {exc}"
            warnings.warn(f"{path}: {detail}", BatchWarning, stacklevel=2)
            return record | {
                "file": path,
                "status": "skipped",
                "reason": "corrupt",
                "detail": detail,
                "cached": False,
            }
        _write_cache(cache_dir, sha, record)
    return _finish(record, path, False, sport_hint)


def failed_record(path: str, reason: str, detail: str) -> dict[str, Any]:
    """The record of a file that could not be processed at all (``reason``, ``detail``)."""
    return {
        "file": path,
        "sha256": "",
        "status": "skipped",
        "reason": reason,
        "detail": detail,
        "cached": False,
    }


def cached_record(
    path: str, cache_dir: str | None, sport_hint: str | None = None
) -> dict[str, Any] | None:
    """The record of ``path`` from the cache, or ``None`` when it is not cached."""
    if cache_dir is None:
        return None
    cached = _read_cache(cache_dir, file_sha256(path))
    return None if cached is None else _finish(dict(cached), path, True, sport_hint)


def _finish(
    record: dict[str, Any], path: str, cached: bool, sport_hint: str | None
) -> dict[str, Any]:
    record |= {"file": path, "cached": cached}
    if record["status"] == "ok":
        record |= _sport_verdict(record, sport_hint)
    return record


def _sport_verdict(record: dict[str, Any], sport_hint: str | None) -> dict[str, Any]:
    sport = record.get("sport") or normalize_sport(sport_hint)
    speed = record.get("avg_speed_mps")
    reason = not_a_run(sport, float("nan") if speed is None else float(speed))
    if reason is not None:
        return {"status": "skipped", "reason": "not a run", "detail": reason}
    return {"sport": "running", "sport_inferred": record.get("sport") is None}


def hint_for(path: str, hints: dict[str, str]) -> str | None:
    if not hints:
        return None
    resolved = str(Path(path).resolve())
    return hints.get(resolved) or hints.get(resolved.removesuffix(".gz"))
