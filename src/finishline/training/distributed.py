"""Process activity files on a Dask cluster (optional extra: ``pip install "dask[distributed]"``).

The cluster runs exactly the per-file function of the local path
(:func:`finishline.training.process.analyse_file`), so both give the same per-activity records.
Workers must see the files and the cache directory at the same paths (a shared filesystem).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finishline.errors import FinishlineError


class DaskUnavailableError(FinishlineError):
    """``--scheduler`` was given but dask.distributed is not installed or not reachable."""


def run_dask(
    jobs: Sequence[tuple[str, str | None]],
    cache_dir: str | None,
    scheduler: str | Any,
    progress: bool = True,
) -> list[tuple[str, dict[str, Any], bool]]:
    """Run :func:`~finishline.training.process.analyse_file` on ``jobs`` (absolute path,
    content hash or ``None``) on the Dask scheduler at ``scheduler`` (an address or a
    ``Client``); returns (path, entry, cached) per job, as the local pool does.

    Raises
    ------
    DaskUnavailableError
        When ``dask.distributed`` is missing or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, as_completed
    except ModuleNotFoundError as exc:
        raise DaskUnavailableError(
            'the Dask back end needs the optional extra: pip install "dask[distributed]"'
        ) from exc
    from tqdm import tqdm

    from finishline.training.dispatch import worker_failure
    from finishline.training.process import analyse_file

    own_client = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="20s") if own_client else scheduler
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailableError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    futures: dict[Any, str] = {}
    try:
        futures = {
            client.submit(analyse_file, path, cache_dir, sha, pure=False): path
            for path, sha in jobs
        }
        records: list[tuple[str, dict[str, Any], bool]] = []
        with tqdm(
            total=len(futures), desc="activities (dask)", unit="file", disable=not progress
        ) as bar:
            for future in as_completed(futures):
                try:
                    records.append((futures[future], *future.result()))
                except Exception as exc:  # a worker-side failure is one skipped file
                    records.append((futures[future], worker_failure(exc), False))
                bar.update()
        return records
    except BaseException:  # an interrupt: nothing of this batch keeps running on the cluster
        client.cancel(list(futures))
        raise
    finally:
        if own_client:
            client.close()
