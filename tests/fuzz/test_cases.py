"""The saved reproducers (``tests/fuzz/cases/``) give a clean result, or a failure that
:mod:`fuzz.known` still assigns to its owner.

Each row of ``INDEX.tsv`` names a mutant, the command that failed on it and the module that
owns the fix; the mutant runs again through that command under the harness's limits.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import finishline.analysis  # imported once here, not in every forked child
import finishline.cli  # noqa: F401
from fuzz.classify import classify
from fuzz.known import explained_by
from fuzz.plan import Mutant
from fuzz.run import Outcome
from fuzz.runner import run_cli

CASES = Path(__file__).parent / "cases"


def _rows() -> list[dict[str, str]]:
    index = CASES / "INDEX.tsv"
    if not index.exists():
        return []
    with index.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: f"{r['command']}-{r['file']}")
def test_saved_case(row, tmp_path):
    path = str(CASES / row["file"])
    argv = {
        "summary": ["summary", path, "--json"],
        "analyze": ["analyze", path, "--json", "-"],
        "html": ["analyze", path, "--html", str(tmp_path / "report.html")],
    }[row["command"]]
    result = run_cli(argv, workdir=str(tmp_path))
    verdict = classify(result, row["command"])
    if verdict.cls in ("ok", "clean_error"):
        return
    outcome = Outcome(
        Mutant(row["file"], "original", 0),
        row["command"],
        verdict.cls,
        verdict.detail.replace(path, "FILE"),
        result.seconds,
        result.peak_rss_mb,
        tuple(p.replace(path, "FILE") for p in verdict.problems),
    )
    owners = {k.owner for k in explained_by(outcome)}
    assert owners, f"{verdict.cls}: {verdict.detail}"
    assert row["owner"] in owners, (row["owner"], owners, verdict.detail)
