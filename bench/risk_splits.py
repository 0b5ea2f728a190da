"""``finishline risk-splits`` on a whole race: the user's wait and where it goes.

For ``../shared/splits/chicago_2023.csv`` (48,000 runners, 5 km chip splits) at 30 km:

- the user's wait: ``finishline risk-splits FILE --at 30 --out OUT`` as a fresh process, start
  to exit (wall and CPU), against ``python -c pass``, ``python -c "import numpy"`` (the floor of
  the command, which needs numpy only) and ``python -c "import pandas"`` (the floor of any
  pandas program);
- in process: the command's imports, ``pandas.read_csv`` of the same columns alone (what a
  user's own script would start with), ``read_results_table`` (reading, finding the columns,
  parsing H:MM:SS splits, sex and age), the prediction at 30 km and the CSV written, each step
  on numpy columns as the command runs them;

medians of interleaved runs, with the machine's load (2 shared cores: CPU time is the steadier
figure). Issue 15's goal: the whole command under 0.5 s. The command never imports pandas; the
in-process rows import it only for the ``pandas.read_csv`` comparison.

Usage::

    .venv/bin/python bench/risk_splits.py [--repeat 5] [--file CSV] [--at KM]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from wait import REPO, child_times, compile_sources, finishline_command, load, one_blas_thread

# the in-process steps and the numpy/pandas rows pay for the BLAS threads the command does
one_blas_thread()

DEFAULT = REPO.parent / "shared" / "splits" / "chicago_2023.csv"
GOAL_S = 0.5


def in_process(path: Path, at_km: float) -> dict[str, float]:
    """CPU seconds of each step of the command, in this process (imports already done)."""
    import pandas as pd

    from finishline.risk.chip import columns_to_read, find_columns, read_results_table
    from finishline.risk.csv_in import read_csv_columns
    from finishline.risk.csv_out import write_columns_csv
    from finishline.risk.landmark import LandmarkRiskModel

    steps: dict[str, float] = {}
    start = time.process_time()
    results = read_results_table(path, up_to_km=at_km)
    steps["read_results_table"] = time.process_time() - start
    names = read_csv_columns(path, lambda names: ()).names
    wanted = columns_to_read(find_columns(names), at_km)
    start = time.process_time()
    options = {"dtype": object, "keep_default_na": False, "skipinitialspace": True}
    pd.read_csv(path, usecols=list(wanted), **options)
    steps["  (pandas.read_csv of the same columns)"] = time.process_time() - start
    start = time.process_time()
    scored = LandmarkRiskModel.load().results_columns(results.columns, at_km=at_km)
    steps["predict"] = time.process_time() - start
    start = time.process_time()
    write_columns_csv(scored, io.BytesIO())
    steps["write CSV"] = time.process_time() - start
    return steps


def main() -> None:
    compile_sources()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--at", type=float, default=30.0)
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"{args.file}: not found (the race splits live in ../shared/splits)")
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "scored.csv")
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
            "python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
            "finishline risk-splits": [
                *finishline_command(),
                "risk-splits",
                str(args.file),
                "--at",
                f"{args.at:g}",
                "--out",
                out,
            ],
        }
        child_times(cases["finishline risk-splits"])  # warm the file cache
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
        steps: dict[str, list[float]] = {}
        start = time.process_time()
        import finishline.cli.risk
        import finishline.risk.chip
        import finishline.risk.csv_out
        import finishline.risk.landmark  # noqa: F401

        imports = time.process_time() - start
        for _ in range(args.repeat):
            for name, argv in cases.items():
                runs[name].append(child_times(argv))
            for name, cpu in in_process(args.file, args.at).items():
                steps.setdefault(name, []).append(cpu)
    print(f"{args.file.name} at {args.at:g} km; medians of {args.repeat}; {load()}")
    print(f"the user's wait (fresh process){'':14} {'wall s':>8} {'CPU s':>8}")
    for name, values in runs.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {name:42} {wall:8.3f} {cpu:8.3f}")
    print("in process (CPU s)")
    print(f"  {'imports (first time)':42} {imports:8.3f}")
    for name, values in steps.items():
        print(f"  {name:42} {statistics.median(values):8.3f}")
    wall = statistics.median(v[0] for v in runs["finishline risk-splits"])
    cpu = statistics.median(v[1] for v in runs["finishline risk-splits"])
    verdict = "met" if wall < GOAL_S else "NOT met"
    numpy_cpu = statistics.median(v[1] for v in runs["python -c 'import numpy'"])
    pandas_cpu = statistics.median(v[1] for v in runs["python -c 'import pandas'"])
    print(
        f"\nrisk-splits {wall:.3f} s wall, {cpu:.3f} s CPU (goal < {GOAL_S} s wall: {verdict}); "
        f"importing numpy alone takes {numpy_cpu:.3f} s CPU, pandas {pandas_cpu:.3f} s"
    )


if __name__ == "__main__":
    main()
