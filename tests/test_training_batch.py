"""Batch reading: accounting of every file, cache, duplicates, Strava export, Dask parity."""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import CORPUS, require_shared

from finishline.training.batch import SKIP_REASONS, read_many

pytestmark = pytest.mark.real  # every test here reads ../shared

RUNS = [
    "gpx/runpandas__session_00978fad__nosport_8.3km.gpx",
    "gpx/runpandas__session_1368f9a8__nosport_10.4km.gpx",
    "tcx/runpandas__2020-12-02T06_08_29-300_Running__run_7.0km.tcx",
]


def _folder(tmp_path: Path) -> Path:
    require_shared(CORPUS)
    src = tmp_path / "runs"
    src.mkdir()
    for name in RUNS:
        shutil.copy(CORPUS / name, src / Path(name).name)
    # a gzipped copy (same run, different bytes), an exact copy, junk, and a ride
    with gzip.open(src / "copy.gpx.gz", "wb") as gz:
        gz.write((CORPUS / RUNS[0]).read_bytes())
    shutil.copy(CORPUS / RUNS[1], src / "exact_copy.gpx")
    (src / "notes.txt").write_text("not an activity")
    (src / "broken.fit").write_bytes(b"\x0e\x10" + b"\x00" * 40)
    shutil.copy(CORPUS / "tcx/tcxreader__mapmyride_biking__ride_15.3km.tcx", src / "ride.tcx")
    # the GPX twin of the TCX run (same start within seconds)
    shutil.copy(CORPUS / "gpx/runpandas__session_36bb9510__nosport_5.3km.gpx", src / "twin.gpx")
    return src


def test_every_file_accounted_with_reasons(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    batch = read_many(src, workers=1, progress=False)
    n_files = sum(1 for p in src.rglob("*") if p.is_file())
    assert batch.n_files == n_files == len(batch.activities) + len(batch.skipped)
    reasons = dict(
        zip(batch.skipped["file"].map(lambda f: Path(f).name), batch.skipped["reason"], strict=True)
    )
    assert set(reasons.values()) <= set(SKIP_REASONS)
    assert reasons["notes.txt"] == "not an activity"
    assert reasons["broken.fit"] == "corrupt"
    assert reasons["ride.tcx"] == "not a run"
    assert reasons["twin.gpx"] == "duplicate"
    # one of the exact copies and one of plain/gz copies are duplicates
    assert "duplicate" in {reasons.get("exact_copy.gpx"), reasons.get(Path(RUNS[1]).name)}
    assert "duplicate" in {reasons.get("copy.gpx.gz"), reasons.get(Path(RUNS[0]).name)}
    assert len(batch.activities) == 3
    assert batch.activities["start_time"].is_monotonic_increasing


def test_cache_gives_identical_records(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    cache = tmp_path / "cache"
    first = read_many(src, cache_dir=cache, workers=2, progress=False)
    second = read_many(src, cache_dir=cache, workers=1, progress=False)
    assert first.cache_hits <= 1  # only the byte-identical copy can hit on the first run
    assert second.cache_hits == second.n_files  # skipped files are cached with their reason
    cols = ["file", "distance_m", "moving_s", "best_5k_s", "gap_speed_sq_integral"]
    pd.testing.assert_frame_equal(first.activities[cols], second.activities[cols])


def test_strava_export_zip(tmp_path: Path) -> None:
    require_shared(CORPUS)
    export = tmp_path / "export"
    (export / "activities").mkdir(parents=True)
    shutil.copy(CORPUS / RUNS[0], export / "activities" / "1.gpx")
    shutil.copy(CORPUS / RUNS[1], export / "activities" / "2.gpx")
    (export / "activities.csv").write_text(
        "Activity ID,Activity Date,Activity Name,Activity Type,Filename\n"
        "1,x,Morning Run,Run,activities/1.gpx\n2,x,Commute,Ride,activities/2.gpx\n"
    )
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in export.rglob("*"):
            zf.write(p, p.relative_to(export))
    batch = read_many(archive, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert batch.n_files == 3
    assert len(batch.activities) == 1
    reasons = dict(
        zip(batch.skipped["file"].map(lambda f: Path(f).name), batch.skipped["reason"], strict=True)
    )
    assert reasons == {"2.gpx": "not a run", "activities.csv": "not an activity"}


def _dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def test_dask_matches_local(tmp_path: Path) -> None:
    if not _dask_available():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("dask[distributed] must be installed in CI")
        pytest.skip("dask[distributed] not installed")
    from distributed import Client, LocalCluster

    src = _folder(tmp_path)
    local = read_many(src, workers=1, progress=False)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = read_many(src, scheduler=client, progress=False)
    cols = [c for c in local.activities.columns if c not in ("cached",)]
    for col in cols:
        a, b = local.activities[col].tolist(), remote.activities[col].tolist()
        if col in ("curve_speed_mps", "hr_hist_s"):
            assert all(np.allclose(x, y, equal_nan=True) for x, y in zip(a, b, strict=True))
        else:
            assert a == b or np.allclose(
                np.asarray(a, float), np.asarray(b, float), equal_nan=True
            ), col
    pd.testing.assert_frame_equal(local.skipped, remote.skipped)


def _record(file: str, start: str, **kw) -> dict:
    base = {"file": file, "sha256": file, "status": "ok", "reason": "", "detail": ""}
    return base | {"start_time": start, "sport": "running", "format": "gpx"} | kw


def test_duplicates_by_sort_and_sweep_and_damage_named_corrupt() -> None:
    from finishline.training.batch import mark_duplicates

    records = [
        _record("a.gpx", "2024-05-01T07:00:00+00:00"),
        _record("a-cut.gpx", "2024-05-01T07:00:30+00:00", truncated=True),
        _record("a.fit", "2024-05-01T07:01:00+00:00", format="fit"),
        _record("b.gpx", "2024-05-01T07:05:00+00:00"),  # 5 min later: another run
        _record("c.gpx", "2024-05-01T07:00:00+00:00", sport="cycling"),  # another sport
        _record("copy.gpx", "2024-05-02T07:00:00+00:00", sha256="same"),
        _record("copy2.gpx", "2024-06-02T07:00:00+00:00", sha256="same"),
    ]
    out = {r["file"]: r for r in mark_duplicates(records)}
    assert out["a.fit"]["status"] == "ok"  # FIT is the richest of the three
    assert out["a.gpx"]["reason"] == "duplicate" and "a.fit" in out["a.gpx"]["detail"]
    assert out["a-cut.gpx"]["reason"] == "corrupt" and "truncated" in out["a-cut.gpx"]["detail"]
    assert out["b.gpx"]["status"] == out["c.gpx"]["status"] == "ok"
    assert (
        out["copy2.gpx"]["reason"] == "duplicate" and "same content" in out["copy2.gpx"]["detail"]
    )


def test_duplicate_sweep_on_twenty_thousand_files() -> None:
    from finishline.training.batch import mark_duplicates

    base = pd.Timestamp("2020-01-01T06:00:00Z")
    records = [
        _record(f"r{i:05d}.gpx", (base + pd.Timedelta(hours=7 * i)).isoformat())
        for i in range(20_000)
    ]
    records += [_record("twin.gpx", (base + pd.Timedelta(hours=7 * 500, seconds=30)).isoformat())]
    out = {r["file"]: r for r in mark_duplicates(records)}
    assert sum(r["status"] == "ok" for r in out.values()) == 20_000
    assert out["twin.gpx"]["detail"] == "same start time and sport as r00500.gpx"
