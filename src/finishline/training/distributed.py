"""Process activity files on a Dask cluster (optional extra: ``pip install "dask[distributed]"``).

The cluster runs exactly the per-file function of the local path
(:func:`finishline.training.batch.process_file`), so both give the same per-activity records.
Workers must see the files and the cache directory at the same paths (a shared filesystem).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finishline.errors import FinishlineError


class DaskUnavailableError(FinishlineError):
    """``--scheduler`` was given but dask.distributed is not installed or not reachable."""


def run_dask(
    files: Sequence[str],
    cache_dir: str | None,
    hints: dict[str, str],
    scheduler: str | Any,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Process ``files`` on the Dask scheduler at ``scheduler`` (an address or a ``Client``).

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

    from finishline.training.process import failed_record, hint_for, process_file

    own_client = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="20s") if own_client else scheduler
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailableError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    try:
        futures = {
            client.submit(process_file, path, cache_dir, hint_for(path, hints), pure=False): path
            for path in files
        }
        records: list[dict[str, Any]] = []
        with tqdm(
            total=len(futures), desc="activities (dask)", unit="file", disable=not progress
        ) as bar:
            for future in as_completed(futures):
                try:
                    records.append(future.result())
                except Exception as exc:  # a worker-side failure is one skipped file
                    detail = f"worker failed: {type(exc).__name__}: {exc}".splitlines()[0]
                    records.append(failed_record(futures[future], "unusable", detail))
                bar.update()
        return records
    finally:
        if own_client:
            client.close()
