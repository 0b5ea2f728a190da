"""Where the shared real-data corpus is, and how tests use it.

The corpus lives in ``../shared`` beside the repository root. Where it is absent (a user's
clone) real-data tests skip with a reason; under ``CI=true`` they fail instead, so CI can never
go green by skipping them.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SPLITS = SHARED / "splits"
SAMPLE_RUNS = REPO_ROOT / "sample_runs"


#: The running test's node (set by conftest.py), so a read of ../shared can check its marker.
CURRENT_TEST = None


def require_shared(path: Path = SHARED) -> Path:
    """Return ``path`` if it exists; otherwise skip (or fail under ``CI=true``).

    A test that reads ../shared must be marked ``real`` (``-m "not real"`` then runs without
    the corpus); reaching here from an unmarked test fails it.
    """
    node = CURRENT_TEST
    if node is not None and SHARED in (path, *path.parents) and not node.get_closest_marker("real"):
        pytest.fail(f"{node.nodeid} reads {SHARED} but is not marked @pytest.mark.real")
    if path.exists():
        return path
    reason = f"{path} not found: the shared corpus must sit beside the repository"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def manifest() -> list[dict[str, str]]:
    """Rows of ``MANIFEST.tsv`` (empty when the corpus is absent)."""
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def inventory() -> dict[str, dict[str, str]]:
    """Rows of ``INVENTORY.tsv`` keyed by file (empty when the corpus is absent)."""
    path = CORPUS / "INVENTORY.tsv"
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def corpus_files(suffix: str | None = None) -> list[str]:
    """Corpus file names from the manifest, optionally only those ending in ``suffix``.

    When the corpus is absent this returns one sentinel entry so that parametrised tests still
    run once and skip (or fail under CI) through :func:`corpus_path`.
    """
    rows = [r["file"] for r in manifest()]
    if suffix:
        rows = [f for f in rows if f.lower().endswith(suffix)]
    return rows or ["<corpus missing>"]


def corpus_path(name: str) -> Path:
    """The path of corpus file ``name``, skipping (or failing in CI) when absent."""
    require_shared(CORPUS)
    path = CORPUS / name
    if not path.exists():
        pytest.fail(f"{name} is in MANIFEST.tsv but not on disk")
    return path
