"""How long the ``finishline`` command makes a user wait before it does anything.

Each row is a fresh process, timed from start to exit (wall clock and the child's CPU time),
median of interleaved runs, against ``python -c pass`` (the interpreter alone):

- ``--help`` and ``--version``: the parser only (the bar: under 0.3 s more than the interpreter);
- each command on a file that does not exist: every import the command needs before it touches
  its input, then a one-line error ("work starts" here);
- ``import finishline`` and ``import finishline.cli``.

Usage::

    .venv/bin/python bench/cli.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("finishline")
CASES: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "finishline --help": [str(BIN), "--help"],
    "finishline --version": [str(BIN), "--version"],
    "import finishline": [sys.executable, "-c", "import finishline"],
    "import finishline.cli": [sys.executable, "-c", "import finishline.cli"],
    "summary (missing file)": [str(BIN), "summary", "missing.fit"],
    "analyze (missing file)": [str(BIN), "analyze", "missing.fit"],
    "risk-splits (missing file)": [str(BIN), "risk-splits", "missing.csv", "--at", "30"],
    "train (missing folder)": [str(BIN), "train", "missing-folder"],
}


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {k: [] for k in CASES}
    cpus: dict[str, list[float]] = {k: [] for k in CASES}
    for _ in range(args.repeat):  # interleaved: every case once per round
        for name, cmd in CASES.items():
            wall, cpu = run(cmd)
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


if __name__ == "__main__":
    main()
