"""``make fuzz``: run thousands of mutants through the CLI and print what happened.

Usage::

    python tests/fuzz/run.py [-n 1500] [--seed 1] [--workers 2] [--max-bytes N]
                             [--html-every 10] [--save-failures tests/fuzz/cases]
    python tests/fuzz/run.py --replay SOURCE MUTATION SEED [--gz] [--out FILE]

Each mutant runs ``finishline summary --json`` and ``finishline analyze --json -`` (every
``--html-every``-th also writes the HTML report) in forked children that may add at most 2 GiB
of address space to their parent's, and run at most 30 s (:mod:`fuzz.runner`). The output is a table of outcomes, then the failing runs
grouped by class and message with a reproducer for each group.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

# BLAS threads would reserve address space in every forked child and fight over 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.classify import CLASSES, FAILURES, classify  # noqa: E402
from fuzz.plan import Mutant, build, plan, source_path, sources  # noqa: E402
from fuzz.runner import MEMORY_CAP_BYTES, TIMEOUT_S, run_cli  # noqa: E402

#: Small files run once in the parent before forking (see :func:`preload`).
WARM_UP = (
    "fit/heartandsole__testdata__run_0.2km.fit",
    "gpx/heartandsole__testdata__run_0.2km.gpx",
    "tcx/heartandsole__testdata__run_0.2km.tcx",
)

LABELS = {
    "ok": "ok, strict JSON in physical ranges",
    "clean_error": "clean one-line error, exit 2",
    "two_line": "message of two or more lines",
    "internal": "internal error, exit 3",
    "memory": "MemoryError",
    "timeout": f"over {TIMEOUT_S:.0f} s",
    "crash": "traceback, signal or other exit code",
    "out_of_range": "exit 0 but output not strict or outside physical ranges",
}


@dataclass
class Outcome:
    """One run of one mutant."""

    mutant: Mutant
    command: str
    cls: str
    detail: str
    seconds: float
    peak_rss_mb: float
    problems: tuple[str, ...] = ()


def preload() -> None:
    """Import everything a run may need, once, before forking."""
    import finishline.analysis
    import finishline.cli
    import finishline.io.fit
    import finishline.io.gpx
    import finishline.io.tcx
    import finishline.viz.report  # noqa: F401
    from finishline.cli import main

    # One quiet run per format fills the lazy imports and caches the children would each redo.
    for name in WARM_UP:
        path = source_path(name)
        if path.exists():
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                main(["summary", str(path), "--json"])
                main(["analyze", str(path), "--json", "-"])


def run_mutant(
    mutant: Mutant,
    html: bool = False,
    memory_bytes: int = MEMORY_CAP_BYTES,
    timeout_s: float = TIMEOUT_S,
) -> list[Outcome]:
    """Build ``mutant`` and run the commands on it; one :class:`Outcome` per command."""
    data = build(mutant)
    out = []
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        path = str(Path(tmp) / f"mutant{mutant.suffix}")
        Path(path).write_bytes(data)
        commands = {
            "summary": ["summary", path, "--json"],
            "analyze": ["analyze", path, "--json", "-"],
        }
        if html:
            commands["html"] = ["analyze", path, "--html", str(Path(tmp) / "report.html")]
        for name, argv in commands.items():
            result = run_cli(argv, memory_bytes=memory_bytes, timeout_s=timeout_s, workdir=tmp)
            verdict = classify(result, name)
            out.append(
                Outcome(
                    mutant,
                    name,
                    verdict.cls,
                    verdict.detail.replace(path, "FILE"),
                    result.seconds,
                    result.peak_rss_mb,
                    tuple(p.replace(path, "FILE") for p in verdict.problems),
                )
            )
    return out


def _task(args: tuple[Mutant, bool, int, float]) -> list[Outcome]:
    return run_mutant(*args)


def run_many(
    mutants: list[Mutant],
    workers: int = 2,
    html_every: int = 10,
    memory_bytes: int = MEMORY_CAP_BYTES,
    timeout_s: float = TIMEOUT_S,
    progress: bool = False,
) -> list[Outcome]:
    """Run every mutant on ``workers`` forked worker processes, in plan order."""
    preload()
    tasks = [
        (m, html_every > 0 and i % html_every == 0, memory_bytes, timeout_s)
        for i, m in enumerate(mutants)
    ]
    outcomes: list[Outcome] = []
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, maxtasksperchild=200) as pool:
        for done, result in enumerate(pool.imap(_task, tasks, chunksize=1), start=1):
            outcomes += result
            if progress and done % 50 == 0:
                print(f"  {done}/{len(tasks)} mutants", file=sys.stderr, flush=True)
    return outcomes


def _signature(detail: str) -> str:
    """A message with numbers and quoted values blanked, to group alike failures."""
    text = re.sub(r"'[^']*'", "'...'", detail)
    return re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "#", text)[:160]


def report(outcomes: list[Outcome], wall_s: float, examples: int = 3) -> str:
    """The table of outcomes and the failing runs grouped by class and message."""
    counts = Counter(o.cls for o in outcomes)
    by_command = defaultdict(Counter)
    for o in outcomes:
        by_command[o.cls][o.command] += 1
    n_mutants = len({(o.mutant, id(o.mutant)) for o in outcomes if o.command == "summary"})
    lines = [
        f"{n_mutants} mutants, {len(outcomes)} runs in {wall_s:.0f} s",
        "",
        "| outcome | runs | summary | analyze | html |",
        "|---|---|---|---|---|",
    ]
    for cls in CLASSES:
        c = by_command[cls]
        lines.append(
            f"| {LABELS[cls]} | {counts[cls]:,} | {c['summary']:,} | {c['analyze']:,} | {c['html']:,} |"
        )
    seconds = sorted(o.seconds for o in outcomes)
    if seconds:
        rss = max(o.peak_rss_mb for o in outcomes)
        lines += [
            "",
            f"run time: median {seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.1f} s; "
            f"largest peak RSS {rss:.0f} MB",
        ]
    for cls in FAILURES:
        failing = [o for o in outcomes if o.cls == cls]
        if not failing:
            continue
        lines += ["", f"## {LABELS[cls]} ({len(failing)} runs)"]
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in failing:
            groups[_signature(o.detail)].append(o)
        for _, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            first = group[0]
            lines.append(f"- {len(group)} x [{first.command}] {first.detail}")
            for o in group[:examples]:
                lines.append(f"    {o.command}: {o.mutant.reproducer()}")
    return "\n".join(lines)


def save_failures(outcomes: list[Outcome], folder: Path, max_bytes: int = 250_000) -> int:
    """Write the smallest mutant of each failing group to ``folder`` and index it in
    ``INDEX.tsv`` (file, command, outcome, owner from :mod:`fuzz.known`, reproducer, detail)."""
    from fuzz.known import explained_by

    folder.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.cls in FAILURES:
            groups[(o.cls, _signature(o.detail))].append(o)
    rows = []
    for (cls, _), group in groups.items():
        sized = sorted((len(build(o.mutant)), i, o) for i, o in enumerate(group))
        size, _, o = sized[0]
        if size > max_bytes:
            continue
        name = f"{o.mutant.mutation}-{o.mutant.seed}{o.mutant.suffix}"
        (folder / name).write_bytes(build(o.mutant))
        owner = "; ".join(sorted({k.owner for k in explained_by(o)}))
        rows.append(
            "\t".join([name, o.command, LABELS[cls], owner, o.mutant.reproducer(), o.detail[:200]])
        )
    if rows:
        index = folder / "INDEX.tsv"
        old = index.read_text(encoding="utf-8").splitlines()[1:] if index.exists() else []
        header = "file\tcommand\toutcome\towner\treproducer\tdetail"
        index.write_text("\n".join([header, *sorted(set(old) | set(rows))]) + "\n", "utf-8")
    return len(rows)


def replay(source: str, mutation: str, seed: int, gz: bool, out: str | None) -> int:
    mutant = Mutant(source, mutation, seed, gz)
    if out:
        Path(out).write_bytes(build(mutant))
        print(f"wrote {out}")
    preload()
    for o in run_mutant(mutant, html=True):
        print(f"{o.command:8s} {o.cls:12s} {o.seconds:6.2f} s {o.peak_rss_mb:6.0f} MB  {o.detail}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1500, help="number of mutants (default 1500)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-bytes", type=int, default=None, help="largest source file")
    parser.add_argument("--html-every", type=int, default=10)
    parser.add_argument("--save-failures", metavar="DIR", help="save failing mutants here")
    parser.add_argument("--replay", nargs=3, metavar=("SOURCE", "MUTATION", "SEED"))
    parser.add_argument("--gz", action="store_true", help="with --replay: gzip the mutant")
    parser.add_argument("--out", help="with --replay: also write the mutant here")
    args = parser.parse_args(argv)
    if args.replay:
        source, mutation, seed = args.replay
        return replay(source, mutation, int(seed), args.gz, args.out)
    files = sources(args.max_bytes)
    if not files:
        print("no source files: ../shared/corpus and sample_runs/ are missing", file=sys.stderr)
        return 2
    mutants = plan(args.n, args.seed, files)
    start = time.perf_counter()
    outcomes = run_many(mutants, args.workers, args.html_every, progress=sys.stderr.isatty())
    print(report(outcomes, time.perf_counter() - start))
    if args.save_failures:
        saved = save_failures(outcomes, Path(args.save_failures))
        print(f"\nsaved {saved} reproducers under {args.save_failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
