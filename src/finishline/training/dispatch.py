"""One batch dispatcher: every back end that runs :func:`~finishline.training.process.
process_file` over many files, used alike by :func:`finishline.read_many` and squads.

:func:`run_batch` checks the cache's optional dependency once, answers cache hits in this
process (they are cheap: no pool is started for them, and nothing is shipped to a cluster),
and sends the rest to a local process pool (with a tqdm progress bar) or to a Dask cluster
(:mod:`finishline.training.distributed`). Paths are made absolute before they leave this
process, and a file that fails in a worker in an unexpected way is one skipped record, never
the end of the batch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from finishline.errors import InputDataError
from finishline.training.process import cached_record, failed_record, hint_for, process_file


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


def run_local(
    files: Sequence[str],
    cache_dir: str | None,
    hints: dict[str, str],
    workers: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Process ``files`` in a local process pool (inline when ``workers`` is 1)."""
    from tqdm import tqdm

    bar = tqdm(total=len(files), desc="activities", unit="file", disable=not progress)
    records: list[dict[str, Any]] = []
    misses: list[str] = []
    for path in files:  # cache hits are cheap: never start a pool for them
        hit = cached_record(path, cache_dir, hint_for(path, hints))
        if hit is None:
            misses.append(path)
        else:
            records.append(hit)
            bar.update()
    workers = workers or min(len(misses), os.cpu_count() or 1, 8)
    try:
        if workers <= 1:
            for path in misses:
                records.append(process_file(path, cache_dir, hint_for(path, hints)))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {
                    pool.submit(process_file, path, cache_dir, hint_for(path, hints)): path
                    for path in misses
                }
                for future in as_completed(futures):
                    try:
                        records.append(future.result())
                    except Exception as exc:  # a dead worker is one skipped file, not the batch
                        detail = f"worker failed: {type(exc).__name__}: {exc}".splitlines()[0]
                        records.append(failed_record(futures[future], "unusable", detail))
                    bar.update()
    finally:
        bar.close()
    return records


def run_batch(
    files: Sequence[str],
    cache_dir: str | None,
    hints: dict[str, str],
    *,
    scheduler: Any = None,
    workers: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Process ``files`` (cache hits here, the rest locally or on the Dask ``scheduler``).

    Returns
    -------
    list of dict
        One record per file (see :func:`~finishline.training.process.process_file`).
    """
    require_cache_support(cache_dir)
    original = {str(Path(f).resolve()): str(f) for f in files}
    absolute = list(original)
    if scheduler is None:
        records = run_local(absolute, cache_dir, hints, workers=workers, progress=progress)
    else:
        from finishline.training.distributed import run_dask

        records, misses = [], []
        for path in absolute:
            hit = cached_record(path, cache_dir, hint_for(path, hints))
            if hit is None:
                misses.append(path)
            else:
                records.append(hit)
        records += run_dask(misses, cache_dir, hints, scheduler, progress=progress)
    return [r | {"file": original.get(r["file"], r["file"])} for r in records]
