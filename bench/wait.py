"""The user's wait, timed the same way by every benchmark: a fresh process, start to exit.

A user's installed package has its bytecode (``pip install`` compiles it; an editable install
writes it on first import). :func:`compile_sources` does the same for this checkout before
anything is timed, so that a machine with ``PYTHONDONTWRITEBYTECODE`` set (this one) does not
charge every child process for compiling finishline's modules from source.
"""

from __future__ import annotations

import compileall
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def compile_sources() -> None:
    """Write the bytecode of ``src/finishline`` (quietly; what an install does)."""
    compileall.compile_dir(str(REPO / "src" / "finishline"), quiet=1)


def one_blas_thread() -> None:
    """One thread per BLAS pool for this process and its children, as ``finishline`` sets
    before it imports numpy (``finishline.cli.BLAS_THREADS``, unless the user set them): a row
    that imports numpy or pandas then pays for the threads the command pays for."""
    from finishline.cli import BLAS_THREADS

    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


def finishline_command() -> list[str]:
    """The ``finishline`` console script beside this interpreter, else its equivalent."""
    script = shutil.which("finishline", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [
        sys.executable,
        "-c",
        "import sys; from finishline.cli import console; sys.exit(console())",
    ]


def child_times(argv: list[str], *, check: bool = True) -> tuple[float, float]:
    """Run ``argv``; (wall s from start to exit, CPU s of the child and what it waited for).

    With ``check``, a non-zero exit raises ``RuntimeError`` with the end of its stderr.
    """
    env = os.environ | {"PYTHONPATH": str(REPO / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def load() -> str:
    """The machine's load averages (1, 5, 15 min) as text."""
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
