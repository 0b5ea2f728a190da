"""Run the ``finishline`` command in a forked child with an address-space cap and a time limit.

Importing finishline takes 1-2 s, so a fresh interpreter per run would spend most of the
fuzzing time importing. Instead the parent imports the CLI once and forks a child per run; the
child caps the address space it may add to its parent's (``RLIMIT_AS``), arms an alarm, sends stdout and stderr to files,
calls :func:`finishline.cli.main` and leaves with its exit code. The parent waits on a pidfd
with a backstop timeout and reads the child's peak RSS from ``wait4``.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

#: Address-space cap of a run (bytes) and its wall-clock limit (s).
MEMORY_CAP_BYTES = 2 * 1024**3
TIMEOUT_S = 30.0
#: Exit code a child uses when something escaped ``main`` (a traceback is on stderr).
EXIT_ESCAPED = 70


@dataclass
class RunResult:
    """What one run did: exit code (or signal), its output, time and peak memory."""

    argv: list[str]
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool


def _address_space_bytes() -> int:
    """This process's virtual address space (bytes; 0 where /proc does not tell)."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmSize:"):
                return int(row.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _child(argv: list[str], out_path: str, err_path: str, memory: int, timeout_s: float) -> None:
    """Body of the forked child: never returns."""
    code = EXIT_ESCAPED
    try:
        out = os.open(out_path, os.O_WRONLY | os.O_TRUNC)
        err = os.open(err_path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        # sys.stdout may not be fd 1 (pytest captures it in memory): bind both to the files
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        # the cap is on what the run adds: a forked child starts with its parent's address
        # space (inside a long pytest session with a browser driver that alone can near 2 GiB,
        # and C code then fails to allocate: "SystemError: error return without exception set")
        cap = _address_space_bytes() + memory
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(1, int(timeout_s + 0.999)))
        from finishline.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_ESCAPED
    except BaseException:  # report anything that escaped main, as the user would see it
        traceback.print_exc()
        code = EXIT_ESCAPED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else EXIT_ESCAPED)


def run_cli(
    argv: list[str],
    *,
    memory_bytes: int = MEMORY_CAP_BYTES,
    timeout_s: float = TIMEOUT_S,
    workdir: str | None = None,
) -> RunResult:
    """Run ``finishline ARGV`` in a forked child (see the module docstring)."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        out_path = str(Path(tmp) / "stdout")
        err_path = str(Path(tmp) / "stderr")
        Path(out_path).touch()
        Path(err_path).touch()
        sys.stdout.flush()
        sys.stderr.flush()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _child(argv, out_path, err_path, memory_bytes, timeout_s)
        timed_out = False
        fd = os.pidfd_open(pid)
        try:
            ready, _, _ = select.select([fd], [], [], timeout_s + 5.0)
            if not ready:  # the alarm did not end it (stuck in C code): kill it
                timed_out = True
                os.kill(pid, signal.SIGKILL)
        finally:
            os.close(fd)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        timed_out = timed_out or sig == signal.SIGALRM
        read = lambda p: Path(p).read_bytes().decode("utf-8", errors="replace")  # noqa: E731
        return RunResult(
            argv=list(argv),
            exit_code=code,
            signal=sig,
            stdout=read(out_path),
            stderr=read(err_path),
            seconds=seconds,
            peak_rss_mb=usage.ru_maxrss / 1024.0,
            timed_out=timed_out,
        )
