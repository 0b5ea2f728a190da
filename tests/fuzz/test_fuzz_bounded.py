"""A bounded fuzz run inside ``make test``: a few hundred mutants of small real files.

The same harness as ``make fuzz`` (:mod:`fuzz.run`), on 160 mutants of files up to 100 kB (one
in 40 also writes the HTML report), with
a fixed seed (the same mutants on every run, under ``CI=true`` or not; ``FINISHLINE_FUZZ_SEED``
explores others, ``FINISHLINE_FUZZ_N`` changes the count). It fails on any internal error,
MemoryError, timeout, crash, message of two or more lines, or exit-0 output that is not strict
JSON within physical ranges -- except the failures listed in :mod:`fuzz.known`, each owned by
another module and reproduced under ``tests/fuzz/cases/``; ``FINISHLINE_FUZZ_STRICT=1`` fails
on those too.
"""

from __future__ import annotations

import os
import resource
import time
import warnings

import pytest
from corpus import CORPUS, require_shared

from fuzz.classify import FAILURES
from fuzz.known import unexplained
from fuzz.plan import plan, sources
from fuzz.run import report, run_many

pytestmark = pytest.mark.real

N_MUTANTS = int(os.environ.get("FINISHLINE_FUZZ_N", "160"))
SEED = int(os.environ.get("FINISHLINE_FUZZ_SEED", "20241006"))
MAX_SOURCE_BYTES = 100_000


def test_bounded_fuzz_run():
    require_shared(CORPUS)
    mutants = plan(N_MUTANTS, SEED, sources(MAX_SOURCE_BYTES))
    start = time.perf_counter()
    cpu_start = resource.getrusage(resource.RUSAGE_CHILDREN)
    outcomes = run_many(mutants, workers=2, html_every=40)
    wall = time.perf_counter() - start
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = cpu.ru_utime + cpu.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime
    table = report(outcomes, wall)
    print(f"{table}\n\nCPU time of the runs: {cpu_s:.0f} s over {wall:.0f} s of wall time")
    assert len(outcomes) >= 2 * N_MUTANTS
    reached = sum(o.cls == "ok" for o in outcomes)
    assert reached >= 0.3 * len(outcomes), "too few mutants reach the analysis: " + table
    failing = [o for o in outcomes if o.cls in FAILURES]
    new = [o for o in failing if unexplained(o)]
    assert not new, "failures no module owns yet:\n" + "\n".join(
        f"[{o.command}] {o.cls}: {o.detail}\n    {o.mutant.reproducer()}" for o in new
    )
    if failing:
        summary = f"{len(failing)} runs fail with known failures owned elsewhere (fuzz/known.py)"
        if os.environ.get("FINISHLINE_FUZZ_STRICT", "") in ("1", "true", "yes"):
            pytest.fail(summary + "\n" + table)
        warnings.warn(summary, UserWarning, stacklevel=1)
