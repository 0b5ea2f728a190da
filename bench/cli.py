"""How long the ``finishline`` command makes a user wait before it does anything.

Each row is a fresh process, timed from start to exit (wall clock and the child's CPU time),
median of interleaved runs, against ``python -c pass`` (the interpreter alone); the package's
bytecode is compiled first, as an installed package has it (see ``bench/wait.py``):

- ``--help`` and ``--version``: the parser only (the bar: under 0.3 s more than the interpreter);
- each command on an input that does not exist: the one-line error a mistyped path gets
  (every command checks its inputs before importing its module);
- the imports each command needs before its first computation (``finishline.analysis`` for
  ``summary``/``analyze``, the numpy-only chip, landmark and CSV modules for ``risk-splits``,
  the batch reader and the season for ``train``) beside ``numpy`` and ``pandas`` alone: the
  floor of any command whose core is numpy or pandas;
- ``import finishline`` and ``import finishline.cli``.

Issue 15's goal "work starts < 0.15 s after ``python -c pass``" is judged on both the
mistyped-path rows and the imports rows.

Usage::

    .venv/bin/python bench/cli.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from wait import child_times, compile_sources, finishline_command, one_blas_thread

PY = sys.executable
FL = finishline_command()
IMPORTS = {
    "numpy alone": "import numpy",
    "pandas alone": "import pandas",
    "imports of summary/analyze": "import finishline.analysis",
    "imports of risk-splits": "import finishline.cli.risk, finishline.risk.chip, "
    "finishline.risk.landmark, finishline.risk.csv_out",
    "imports of train": "import finishline.training.batch, finishline.training.season",
}
CASES: dict[str, list[str]] = {
    "python -c pass": [PY, "-c", "pass"],
    "finishline --help": [*FL, "--help"],
    "finishline --version": [*FL, "--version"],
    "import finishline": [PY, "-c", "import finishline"],
    "import finishline.cli": [PY, "-c", "import finishline.cli"],
    "summary (mistyped path)": [*FL, "summary", "missing.fit"],
    "analyze (mistyped path)": [*FL, "analyze", "missing.fit"],
    "risk-splits (mistyped path)": [*FL, "risk-splits", "missing.csv", "--at", "30"],
    "train (mistyped path)": [*FL, "train", "missing-folder"],
    **{name: [PY, "-c", code] for name, code in IMPORTS.items()},
}
GOAL_S = 0.15


def main() -> None:
    compile_sources()
    one_blas_thread()  # the imports rows pay for the BLAS threads the commands do
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {k: [] for k in CASES}
    cpus: dict[str, list[float]] = {k: [] for k in CASES}
    for _ in range(args.repeat):  # interleaved: every case once per round
        for name, cmd in CASES.items():
            wall, cpu = child_times(cmd, check=False)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base_w = statistics.median(walls["python -c pass"])
    base_c = statistics.median(cpus["python -c pass"])
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {args.repeat}"
    )
    print(f"{'':30} {'wall s':>8} {'CPU s':>8} {'wall - pass':>12} {'CPU - pass':>11}")
    for name in CASES:
        w, c = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:30} {w:8.3f} {c:8.3f} {w - base_w:12.3f} {c - base_c:11.3f}")
    help_extra = statistics.median(walls["finishline --help"]) - base_w
    verdict = "met" if help_extra < 0.3 else "NOT met"
    print(f"\n--help costs {help_extra:.3f} s more than the interpreter (bar < 0.3 s: {verdict})")
    print(f"work starts < {GOAL_S} s after python -c pass (by CPU time):")
    for name in CASES:
        if "mistyped" in name or name.startswith("imports of"):
            extra = statistics.median(cpus[name]) - base_c
            verdict = "met" if extra < GOAL_S else "NOT met"
            print(f"  {name:30} {extra:6.3f} s: {verdict}")
    floor = statistics.median(cpus["pandas alone"]) - base_c
    print(f"  (pandas alone costs {floor:.3f} s: no pandas command can start sooner)")


if __name__ == "__main__":
    main()
