"""One activity file -> one training record: read, analyse, classify, cache.

:func:`analyse_file` is the per-file unit of work every back end runs (the local process pool
and Dask: :mod:`finishline.training.dispatch`): it reads the file and computes its training
record (:func:`finishline.training.features.activity_features`), or classifies why it cannot
be used, as the file's cache entry; :func:`finish_record` adds the file's path and the sport
verdict; :func:`process_file` does both for one file. The reasons:

- ``not an activity``: a valid file holding no recorded activity (settings, monitoring,
  course/route, metadata such as ``activities.csv``, or no samples at all);
- ``corrupt``: an activity file that cannot be decoded (broken header, truncated gzip...);
- ``not a run``: a ride, swim, walk... (by the file's sport, the Strava ``Activity Type``, or,
  when no sport is recorded, a moving speed only a vehicle or bike reaches);
- ``unusable``: a run the analysis cannot use (no distance, positions or speed; one sample).

Records are cached by content hash under ``cache_dir`` (:mod:`finishline.training.cache`).
"""

from __future__ import annotations

import warnings
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
from finishline.training.cache import FEATURES_VERSION, file_sha256, read_entry, write_entry
from finishline.training.features import activity_features

__all__ = [
    "ACTIVITY_SUFFIXES",
    "FEATURES_VERSION",
    "BatchWarning",
    "analyse_file",
    "finish_record",
    "file_sha256",
    "hint_for",
    "process_file",
]

#: File name endings read as activity files (anything else unreadable is "not an activity").
ACTIVITY_SUFFIXES: tuple[str, ...] = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")


class BatchWarning(FinishlineWarning):
    """A file failed in an unexpected way (reader bug) and was accounted as corrupt."""


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


def process_file(
    path: str,
    cache_dir: str | None = None,
    sport_hint: str | None = None,
    sha256: str | None = None,
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
    sha256
        The file's content hash, when the caller has computed it and already looked the
        cache up (see :func:`analyse_file`).

    Returns
    -------
    dict
        ``file``, ``sha256``, ``status`` (``"ok"`` or ``"skipped"``), ``reason``, ``detail``,
        ``cached`` and, for analysed files, the features of
        :func:`~finishline.training.features.activity_features`.
    """
    entry, cached = analyse_file(path, cache_dir, sha256)
    return finish_record(entry, path, cached, sport_hint)


def analyse_file(
    path: str, cache_dir: str | None = None, sha256: str | None = None
) -> tuple[dict[str, Any], bool]:
    """The per-file work of every back end: the file's cache entry, read or computed.

    The entry is what the cache holds for the content (``sha256``, ``status``, ``reason``,
    ``detail`` and the features): nothing in it depends on the file's path or on the athlete,
    so :func:`finish_record` completes it where the file's path and sport hint are known.

    Parameters
    ----------
    path
        The file.
    cache_dir
        Directory of the cache, or ``None`` for no cache.
    sha256
        The file's content hash when the caller has computed it and already looked the cache
        up (the dispatcher does both, for every file at once): the file is then read without
        hashing it or looking the cache up again.

    Returns
    -------
    (entry, cached)
        ``cached`` is True when the entry came from the cache. A computed entry is written to
        the cache, except for a file that could not be read at all or failed in an unexpected
        way (a reader bug, with a :class:`BatchWarning`): those are tried again next time.
    """
    from finishline.io import read

    sha = sha256
    if sha is None:
        try:
            sha = file_sha256(path)
        except OSError as exc:
            return unreadable_entry(f"cannot read the file ({exc.strerror or exc})"), False
        cached = read_entry(cache_dir, sha, path)
        if cached is not None:
            return cached, True
    entry = {"sha256": sha, "status": "ok", "reason": "", "detail": ""}
    try:
        activity = read(path)
        if activity.meta.is_course:
            raise NotAnActivityError("a course/route without times, not a recorded run", path)
        entry |= activity_features(activity)
    except FinishlineError as exc:
        entry |= {"status": "skipped", "reason": _classify(exc, path), "detail": exc.reason}
    except Exception as exc:  # a reader bug must not stop a 10,000-file batch
        detail = f"unexpected {type(exc).__name__}: {exc}"
        warnings.warn(f"{path}: {detail}", BatchWarning, stacklevel=2)
        return entry | {"status": "skipped", "reason": "corrupt", "detail": detail}, False
    write_entry(cache_dir, sha, entry)
    return entry, False


def unreadable_entry(detail: str) -> dict[str, Any]:
    """The entry of a file that could not be processed at all (never cached)."""
    return {"sha256": "", "status": "skipped", "reason": "unusable", "detail": detail}


def finish_record(
    entry: dict[str, Any], path: str, cached: bool, sport_hint: str | None
) -> dict[str, Any]:
    """The batch record of ``path`` from its cache entry: a copy of the entry with ``file``,
    ``cached`` and the sport verdict (a run, or skipped as ``not a run``)."""
    return _finish(dict(entry), path, cached, sport_hint)


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
