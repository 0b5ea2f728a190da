"""One batch dispatcher: every back end that runs :func:`~finishline.training.process.
analyse_file` over many files, used alike by :func:`finishline.read_many` and squads.

:func:`run_batch` checks the cache's optional dependency once, hashes the files here (through
the cache's path index, so unchanged files are not hashed again:
:func:`finishline.training.cache.content_hashes`), answers cache hits in this process, all at
once (:class:`~finishline.training.cache.RecordStore`; no pool is started for them, and
nothing is shipped to a cluster), and sends the rest, with their hashes, to a local process
pool (with a tqdm progress bar) or to a Dask cluster (:mod:`finishline.training.distributed`).
Workers return cache entries; the path and the sport verdict are added here. Paths are made
absolute before they leave this process, and a file that fails in a worker in an unexpected
way (raises, or kills its worker) is one skipped record, never the end of the batch.

An interrupt (Ctrl-C) stops the batch: files not started are cancelled, the files being read
finish (pool workers ignore SIGINT, so none is killed half-way through writing its cache
entry), the pool shuts down and the interrupt goes on to the caller. Cache writes are atomic,
so the cache stays consistent.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from typing import Any

from finishline.errors import InputDataError
from finishline.training.cache import RecordStore, content_hashes
from finishline.training.process import analyse_file, finish_record, hint_for, unreadable_entry


def require_cache_support(cache_dir: str | None) -> None:
    """Raise a clear error when a cache is asked for but pyarrow is missing."""
    if cache_dir is None:
        return
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise InputDataError(
            "the activity cache needs pyarrow: pip install 'finishline[cache]'", cache_dir
        ) from exc


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def worker_failure(exc: BaseException) -> dict[str, Any]:
    """The entry of a file whose worker failed (raised, died, was lost): ``unusable``."""
    return unreadable_entry(f"worker failed: {type(exc).__name__}: {exc}".splitlines()[0])


def _ignore_sigint() -> None:
    """Pool worker initializer: Ctrl-C is the parent's to handle (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_local(
    jobs: Sequence[tuple[str, str | None]],
    cache_dir: str | None,
    workers: int | None = None,
    progress: bool = True,
) -> list[tuple[str, dict[str, Any], bool]]:
    """Run :func:`~finishline.training.process.analyse_file` on ``jobs`` (path, content hash
    or ``None``) in a local process pool (inline when ``workers`` is 1 or there is one job).

    A file that raises in its worker is one ``unusable`` file. A worker that dies (a crash in
    a reader's C code, killed for memory) breaks the whole pool, and every file not finished
    fails with it; those files are read again in a new pool, and when a new pool breaks
    before finishing any file, the first file left is read alone, so a file that kills its
    worker is found and only it is accounted as unusable.

    Returns
    -------
    list of (path, entry, cached)
        In completion order; a file whose worker failed has an ``unusable`` entry.
    """
    out: list[tuple[str, dict[str, Any], bool]] = []
    if not jobs:  # a cached rerun: no pool, no progress bar (nor their imports)
        return out
    from tqdm import tqdm

    workers = workers or min(len(jobs), os.cpu_count() or 1, 8)
    with tqdm(total=len(jobs), desc="activities", unit="file", disable=not progress) as bar:
        if workers <= 1 or len(jobs) <= 1:
            for path, sha in jobs:
                out.append((path, *analyse_file(path, cache_dir, sha)))
                bar.update()
            return out
        pending = list(jobs)
        while pending:
            done, broken = _pool_round(pending, cache_dir, workers, bar)
            out += done
            if broken and not done:  # broken at once: read the first file alone
                alone, broken_again = _pool_round([broken[0][:2]], cache_dir, 1, bar)
                out += alone or [(broken[0][0], worker_failure(broken_again[0][2]), False)]
                bar.update(0 if alone else 1)
                broken = broken[1:]
            pending = [(path, sha) for path, sha, _ in broken]
    return out


def _pool_round(
    jobs: Sequence[tuple[str, str | None]], cache_dir: str | None, workers: int, bar: Any
) -> tuple[list[tuple[str, dict[str, Any], bool]], list[tuple[str, str | None, BaseException]]]:
    """One process pool over ``jobs``: (finished files, files lost with a broken pool)."""
    from concurrent.futures import Future, ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    done: list[tuple[str, dict[str, Any], bool]] = []
    broken: list[tuple[str, str | None, BaseException]] = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    futures: dict[Future[tuple[dict[str, Any], bool]], tuple[str, str | None]] = {}
    try:
        for path, sha in jobs:
            futures[pool.submit(analyse_file, path, cache_dir, sha)] = (path, sha)
        for future in as_completed(futures):
            path, sha = futures[future]
            try:
                done.append((path, *future.result()))
            except BrokenProcessPool as exc:
                broken.append((path, sha, exc))
                continue
            except Exception as exc:  # a file that raises in its worker is one skipped file
                done.append((path, worker_failure(exc), False))
            bar.update()
    finally:  # on an interrupt: cancel what has not started, let running files finish
        pool.shutdown(wait=True, cancel_futures=True)
    return done, broken


def run_batch(
    files: Sequence[str],
    cache_dir: str | None,
    hints: dict[str, str],
    *,
    scheduler: Any = None,
    workers: int | None = None,
    progress: bool = True,
    hashes: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Process ``files`` (cache hits here, the rest locally or on the Dask ``scheduler``).

    Parameters
    ----------
    hashes
        Content hashes by absolute path, if already computed
        (:func:`~finishline.training.cache.content_hashes`); computed here otherwise (only
        with a cache: without one each worker hashes its own file).

    Returns
    -------
    list of dict
        One record per file (see :func:`~finishline.training.process.process_file`).
    """
    require_cache_support(cache_dir)
    original = {os.path.abspath(f): str(f) for f in files}
    if hashes is None:
        hashes = content_hashes(list(original), cache_dir) if cache_dir is not None else {}
    store = RecordStore(cache_dir) if cache_dir is not None else None
    found = store.get_many({hashes[p]: p for p in original if p in hashes}) if store else {}
    results: list[tuple[str, dict[str, Any], bool]] = []
    misses: list[tuple[str, str | None]] = []
    for path in original:
        entry = found.get(hashes.get(path, ""))
        if entry is None:
            misses.append((path, hashes.get(path)))
        else:
            results.append((path, entry, True))
    if scheduler is None:
        misses.sort(key=lambda job: -_size(job[0]))  # largest first: no long file at the end
        results += run_local(misses, cache_dir, workers=workers, progress=progress)
    elif misses:  # everything cached: the cluster is not even contacted
        from finishline.training.distributed import run_dask

        results += run_dask(misses, cache_dir, scheduler, progress=progress)
    if store is not None:
        for _, entry, cached in results:
            if not cached:
                store.add(entry)
        store.save()
    return [
        finish_record(entry, original[path], cached, hint_for(path, hints))
        for path, entry, cached in results
    ]
