"""The batch cache under change and faults: the path index, damaged entries, the snapshot,
interrupts, worker failures and a Dask cluster given a relative folder."""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from corpus import CORPUS, require_shared

import finishline.io
from finishline.cli import main
from finishline.training import batch as batch_module
from finishline.training import cache as cache_module
from finishline.training import dispatch
from finishline.training.batch import read_many
from finishline.training.cache import (
    INDEX_NAME,
    SNAPSHOT_NAME,
    CacheWarning,
    PathIndex,
    content_hashes,
    entry_path,
    read_entry,
)

pytestmark = pytest.mark.real  # every test here copies runs from ../shared

RUNS = [
    "gpx/runpandas__session_00978fad__nosport_8.3km.gpx",
    "gpx/runpandas__session_1368f9a8__nosport_10.4km.gpx",
    "tcx/runpandas__2020-12-02T06_08_29-300_Running__run_7.0km.tcx",
]
COLUMNS = ["file", "sha256", "start_time", "distance_m", "moving_s", "best_5k_s", "decoupling"]
AN_HOUR_AGO = time.time() - 3600


def make_folder(tmp_path: Path) -> Path:
    """Three runs and a text file, last modified an hour ago (old enough to be indexed)."""
    require_shared(CORPUS)
    src = tmp_path / "runs"
    src.mkdir()
    for name in RUNS:
        shutil.copy(CORPUS / name, src / Path(name).name)
    (src / "notes.txt").write_text("not an activity")
    for path in src.iterdir():
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return src


class Counter:
    """Counts file hashes and activity reads (in this process: ``workers=1``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashed: list[str] = []
        self.read: list[str] = []
        real_hash, real_read = cache_module.file_sha256, finishline.io.read

        def counting_hash(path: str) -> str:
            self.hashed.append(Path(path).name)
            return real_hash(path)

        def counting_read(path: Any, *args: Any, **kw: Any) -> Any:
            self.read.append(Path(path).name)
            return real_read(path, *args, **kw)

        monkeypatch.setattr(cache_module, "file_sha256", counting_hash)
        monkeypatch.setattr(finishline.io, "read", counting_read)

    def reset(self) -> None:
        self.hashed.clear()
        self.read.clear()


def run(src: Path, cache: Path) -> Any:
    return read_many(src, cache_dir=cache, workers=1, progress=False)


def same_activities(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.activities[COLUMNS], b.activities[COLUMNS])
    pd.testing.assert_frame_equal(a.skipped, b.skipped)


def test_rerun_over_unchanged_files_hashes_and_reads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    count = Counter(monkeypatch)
    first = run(src, cache)
    assert sorted(count.hashed) == sorted(p.name for p in src.iterdir())
    assert len(count.read) == 4
    count.reset()
    second = run(src, cache)
    assert count.hashed == [] and count.read == []
    assert second.cache_hits == second.n_files == 4
    same_activities(first, second)
    index = json.loads((cache / INDEX_NAME).read_text())["files"]
    assert set(index) == {str(p) for p in src.iterdir()}


@pytest.mark.parametrize("change", ["same size", "longer", "touched only"])
def test_a_changed_file_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    count = Counter(monkeypatch)
    first = run(src, cache)
    target = src / Path(RUNS[0]).name
    data = target.read_bytes()
    if change == "same size":  # one digit of one elevation: same length, other content
        at = data.index(b"<ele>") + 5
        digit = b"7" if data[at : at + 1] != b"7" else b"3"
        data = data[:at] + digit + data[at + 1 :]
    elif change == "longer":
        data += b"\n<!-- edited -->\n"
    target.write_bytes(data)
    os.utime(target, (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))  # a new mtime, still old enough
    count.reset()
    second = run(src, cache)
    assert count.hashed == [target.name]  # only the changed file
    new_sha = second.activities.set_index("file").loc[str(target), "sha256"]
    old_sha = first.activities.set_index("file").loc[str(target), "sha256"]
    if change == "touched only":  # same content: recognised by its hash, not read again
        assert new_sha == old_sha and count.read == []
    else:
        assert new_sha != old_sha and count.read == [target.name]
    count.reset()
    run(src, cache)
    assert count.hashed == count.read == []  # the index learnt the new size and mtime


def test_a_copy_is_recognised_by_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    count = Counter(monkeypatch)
    run(src, cache)
    shutil.copy(src / Path(RUNS[1]).name, src / "copy.gpx")
    count.reset()
    second = run(src, cache)
    assert count.hashed == ["copy.gpx"] and count.read == []
    duplicate = second.skipped[second.skipped["reason"] == "duplicate"]
    assert len(duplicate) == 1 and duplicate["detail"].iloc[0].startswith("same content as")


def test_recently_modified_files_are_not_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    fresh = src / Path(RUNS[2]).name
    os.utime(fresh)  # modified now: a change within the mtime resolution could hide
    count = Counter(monkeypatch)
    run(src, cache)
    count.reset()
    run(src, cache)
    assert count.hashed == [fresh.name] and count.read == []


def test_index_survives_garbage_concurrent_writers_and_deleted_files(tmp_path: Path) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    cache.mkdir()
    (cache / INDEX_NAME).write_bytes(b"\x00garbage{")
    files = sorted(str(p) for p in src.iterdir())
    hashes = content_hashes(files, str(cache))
    assert len(hashes) == 4
    assert json.loads((cache / INDEX_NAME).read_text())["files"].keys() == set(files)
    # two runs that loaded the index at the same time each add a file: both are kept
    extra = [tmp_path / "a.gpx", tmp_path / "b.gpx"]
    for path in extra:
        shutil.copy(src / Path(RUNS[0]).name, path)
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    first, second = PathIndex(str(cache)), PathIndex(str(cache))
    now = time.time_ns()
    for index, path in zip((first, second), extra, strict=True):
        index.add(str(path), os.stat(path), cache_module.file_sha256(path), now)
    first.save()
    second.save()
    on_disk = json.loads((cache / INDEX_NAME).read_text())["files"]
    assert set(on_disk) == set(files) | {str(p) for p in extra}
    # an entry whose file is gone is dropped at the next write
    os.remove(files[0])
    third = PathIndex(str(cache))
    third.add(str(extra[1]), os.stat(extra[1]), "0" * 64, now)
    third.save()
    assert files[0] not in json.loads((cache / INDEX_NAME).read_text())["files"]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_entry_is_read_again_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    first = run(src, cache)
    target = src / Path(RUNS[1]).name
    sha = first.activities.set_index("file").loc[str(target), "sha256"]
    entry = Path(entry_path(str(cache), sha))
    good = entry.read_bytes()
    bad = {"truncated": good[: len(good) // 2], "garbage": os.urandom(len(good)), "empty": b""}
    entry.write_bytes(bad[damage])
    count = Counter(monkeypatch)
    with pytest.warns(CacheWarning, match="damaged cache entry"):
        second = run(src, cache)
    assert count.read == [target.name] and count.hashed == []
    same_activities(first, second)
    assert entry.read_bytes() == good  # replaced by the same entry
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_entry(str(cache), sha)["distance_m"] > 0


def test_damaged_entry_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    args = ["train", str(src), "--cache", str(cache), "--json"]
    assert main([*args, str(tmp_path / "first.json")]) == 0
    for entry in (cache / f"v{cache_module.FEATURES_VERSION}").glob("*/*.arrow"):
        entry.write_bytes(entry.read_bytes()[:100])  # every entry cut short
    capsys.readouterr()
    assert main([*args, str(tmp_path / "second.json")]) == 0
    err = capsys.readouterr().err
    assert "internal error" not in err and "damaged cache entry" in err
    first, second = (json.loads((tmp_path / n).read_text()) for n in ("first.json", "second.json"))
    assert first["activities"] == second["activities"] and first["load"] == second["load"]


def test_snapshot_stands_in_only_for_unchanged_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    first = run(src, cache)
    snapshot = cache / f"v{cache_module.FEATURES_VERSION}" / SNAPSHOT_NAME
    assert snapshot.exists()
    count = Counter(monkeypatch)
    monkeypatch.setattr(cache_module, "read_entry", None)  # every hit must come from it
    same_activities(first, run(src, cache))
    monkeypatch.undo()
    count = Counter(monkeypatch)
    target = src / Path(RUNS[2]).name
    sha = first.activities.set_index("file").loc[str(target), "sha256"]
    os.remove(entry_path(str(cache), sha))  # a deleted entry is a miss, snapshot or not
    third = run(src, cache)
    assert count.read == [target.name]
    same_activities(first, third)
    snapshot.write_bytes(b"not arrow")  # a damaged snapshot: entries are read one by one
    count.reset()
    same_activities(first, run(src, cache))
    assert count.read == [] and snapshot.read_bytes()[:6] == b"ARROW1"


class InterruptingOs:
    """The ``os`` module, except that ``replace`` raises KeyboardInterrupt (Ctrl-C in the
    middle of a cache write: the temporary file is written, not yet renamed)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def replace(src: Any, dst: Any) -> None:
        if str(dst).endswith(".arrow"):
            raise KeyboardInterrupt
        os.replace(src, dst)


def assert_cache_consistent(cache: Path) -> None:
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for entry in (cache / f"v{cache_module.FEATURES_VERSION}").glob("*/*.arrow"):
            assert read_entry(str(cache), entry.stem) is not None
    if (cache / INDEX_NAME).exists():
        json.loads((cache / INDEX_NAME).read_text())


@pytest.mark.parametrize("where", ["during a cache write", "in the batch"])
def test_interrupt_exits_130_and_leaves_a_consistent_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, where: str
) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    if where == "during a cache write":  # in a pool worker when there are 2 CPUs (fork)
        monkeypatch.setattr(cache_module, "os", InterruptingOs())
    else:  # a runner that processes two files, then is interrupted
        real = dispatch.run_batch

        def interrupted(files: list[str], *args: Any, **kw: Any) -> Any:
            real(files[:2], *args, **kw)
            raise KeyboardInterrupt

        monkeypatch.setattr(batch_module, "run_batch", interrupted)
    out = tmp_path / "season.json"
    assert main(["train", str(src), "--cache", str(cache), "--json", str(out)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["finishline: interrupted"]
    assert not out.exists()
    assert_cache_consistent(cache)
    monkeypatch.undo()
    assert main(["train", str(src), "--cache", str(cache), "--json", str(out)]) == 0
    clean = tmp_path / "clean.json"
    assert main(["train", str(src), "--cache", str(tmp_path / "c2"), "--json", str(clean)]) == 0
    resumed, fresh = json.loads(out.read_text()), json.loads(clean.read_text())
    assert resumed["activities"] == fresh["activities"] and resumed["load"] == fresh["load"]
    assert_cache_consistent(cache)


def fail_on_second_run(path: str, cache_dir: str | None = None, sha256: str | None = None) -> Any:
    """A worker that fails on one file (module level: pool workers unpickle it by name)."""
    from finishline.training.process import analyse_file

    if Path(path).name == Path(RUNS[1]).name:
        raise RuntimeError("reader exploded")
    return analyse_file(path, cache_dir, sha256)


def test_a_failing_worker_is_one_skipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_folder(tmp_path)
    monkeypatch.setattr(dispatch, "analyse_file", fail_on_second_run)
    batch = read_many(src, workers=2, progress=False)
    skipped = batch.skipped.set_index("file")
    failed = skipped.loc[str(src / Path(RUNS[1]).name)]
    assert failed["reason"] == "unusable"
    assert failed["detail"] == "worker failed: RuntimeError: reader exploded"
    assert len(batch.activities) == 2 and batch.n_files == 4


def crash_on_second_run(path: str, cache_dir: str | None = None, sha256: str | None = None) -> Any:
    """A worker that dies on one file, as a crash in a reader's C code or an OOM kill would."""
    from finishline.training.process import analyse_file

    if Path(path).name == Path(RUNS[1]).name:
        os._exit(13)
    return analyse_file(path, cache_dir, sha256)


def test_a_worker_that_dies_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_folder(tmp_path)
    for k in range(6):  # more files than workers, so some are lost with the broken pool
        shutil.copy(src / Path(RUNS[k % 3]).name, src / f"copy{k}.{RUNS[k % 3][:3]}")
    monkeypatch.setattr(dispatch, "analyse_file", crash_on_second_run)
    batch = read_many(src, workers=2, progress=False)
    assert batch.n_files == 10
    failed = batch.skipped[batch.skipped["reason"] == "unusable"]
    assert failed["file"].tolist() == [str(src / Path(RUNS[1]).name)]
    assert failed["detail"].iloc[0].startswith("worker failed: BrokenProcessPool")
    reasons = batch.skipped["reason"].value_counts().to_dict()
    assert reasons == {"duplicate": 5, "not an activity": 1, "unusable": 1}
    assert len(batch.activities) == 3  # the crashing file's copies (other names) are read


def _dask() -> Any:
    try:
        import distributed
    except ModuleNotFoundError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("dask[distributed] must be installed in CI")
        pytest.skip("dask[distributed] not installed")
    return distributed


def test_local_cluster_with_a_relative_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = _dask()
    src = make_folder(tmp_path)
    local = read_many(src, workers=1, progress=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the worker process runs in another directory
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        monkeypatch.chdir(tmp_path)
        with distributed.Client(cluster) as client:
            remote = read_many("runs", scheduler=client, progress=False)
        out = tmp_path / "season.json"
        cmd = ["train", "runs", "--scheduler", cluster.scheduler_address, "--json", str(out)]
        assert main(cmd) == 0
    assert remote.activities["file"].tolist() == [
        os.path.relpath(f, tmp_path) for f in local.activities["file"]
    ]
    cols = [c for c in COLUMNS if c != "file"]
    pd.testing.assert_frame_equal(local.activities[cols], remote.activities[cols])
    assert len(json.loads(out.read_text())["activities"]) == len(local.activities)


def test_a_failing_dask_worker_is_one_skipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = _dask()
    import finishline.training.process as process

    src = make_folder(tmp_path)
    real = process.analyse_file

    def flaky(path: str, *args: Any) -> Any:
        if Path(path).name == Path(RUNS[0]).name:
            raise MemoryError("worker ran out of memory")
        return real(path, *args)

    monkeypatch.setattr(process, "analyse_file", flaky)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        batch = read_many(src, scheduler=client, progress=False)
    skipped = batch.skipped.set_index("file")
    assert skipped.loc[str(src / Path(RUNS[0]).name), "detail"].startswith(
        "worker failed: MemoryError"
    )
    assert len(batch.activities) == 2


def test_a_fully_cached_batch_never_contacts_the_cluster(tmp_path: Path) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    first = run(src, cache)
    # nothing listens there: only a batch with files left to read would need it
    cached = read_many(src, cache_dir=cache, scheduler="tcp://127.0.0.1:9", progress=False)
    assert cached.cache_hits == cached.n_files
    same_activities(first, cached)


def test_an_interrupt_while_hashing_writes_no_index(tmp_path: Path) -> None:
    src, cache = make_folder(tmp_path), tmp_path / "cache"
    seen: list[str] = []

    def interrupted(path: str) -> str:
        seen.append(path)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return cache_module.file_sha256(path)

    with pytest.raises(KeyboardInterrupt):
        content_hashes(sorted(str(p) for p in src.iterdir()), str(cache), interrupted)
    assert not (cache / INDEX_NAME).exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]
