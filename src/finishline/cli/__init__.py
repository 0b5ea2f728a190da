"""The ``finishline`` command: argument parsing and printing only.

Every command catches :class:`~finishline.errors.FinishlineError` and prints one line on stderr
with exit code 2; a bad option is one line and exit 2 too; Ctrl-C is one line and exit 130;
nothing prints a traceback. Command modules are imported only when their command runs, so
``finishline --help`` and ``--version`` start without numpy, pandas or plotly.
"""

from __future__ import annotations

import argparse
import errno
import gc
import os
import sys
import warnings
from collections.abc import Sequence
from importlib import import_module

from finishline import __version__
from finishline.cli import options as opt
from finishline.errors import FinishlineError, FinishlineWarning

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def _command(p: argparse.ArgumentParser, target: str) -> None:
    """Run ``module:function`` (under ``finishline.cli``) for this subcommand."""
    p.set_defaults(command_target=target)


def _add_summary(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help="sport, start, times, distance, heart rate, ascent")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _command(p, "race:cmd_summary")


def _add_splits(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("splits", help="per-km or per-mile splits (clock, moving, GAP pace, HR)")
    p.add_argument("file")
    p.add_argument("--unit", choices=("km", "mile"), default="km")
    p.add_argument("--json", action="store_true", help="print the splits as JSON records")
    _command(p, "race:cmd_splits")


def _add_athlete_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-hr", type=opt.MAX_HR, help="max heart rate (bpm)")
    p.add_argument("--rest-hr", type=opt.REST_HR, help="resting heart rate (bpm)")
    p.add_argument("--sex", type=str.upper, choices=("M", "F"), help="sex, for the risk model")
    p.add_argument("--age", type=opt.AGE, help="age (years): risk model, max HR")
    p.add_argument("--body-mass", type=opt.BODY_MASS, help="body mass (kg), glycogen model")
    p.add_argument("--carbs-g-per-h", type=opt.CARBS, help="carbohydrate taken in the race (g/h)")
    p.add_argument("--critical-speed", type=opt.CRITICAL_SPEED, help="critical speed (m/s)")


def _add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="race analysis: splits, fatigue, final-mile risk, verdict")
    p.add_argument("file")
    p.add_argument("--json", metavar="OUT", help="write the analysis as JSON to OUT (- = stdout)")
    p.add_argument("--html", metavar="OUT", help="write the self-contained HTML race report to OUT")
    p.add_argument(
        "--unit", choices=("km", "mile"), default="km", help="distance unit of the report"
    )
    _add_athlete_options(p)
    p.add_argument(
        "--race-distance",
        type=opt.race_distance,
        metavar="D",
        help="the race's distance when the course measured long or short: marathon, half, "
        "10k, 5k, km (42.195, 50km) or miles (26.2mi); detected from the file otherwise",
    )
    p.add_argument(
        "--sport",
        choices=("running",),
        help="analyse the file as a run although it records another sport",
    )
    p.add_argument(
        "--plan",
        metavar="PLAN.json",
        help="a plan from `finishline plan --json`: plan vs actual per split in the JSON and "
        "the report",
    )
    _command(p, "race:cmd_analyze")


def _add_risk_splits(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("risk-splits", help="final-mile failure risk from chip split times")
    p.add_argument(
        "file",
        help="CSV: id (or bib, bib number, runner id, name; else row numbers), cumulative "
        "splits 5K..40K, optional sex/gender, age/age group",
    )
    p.add_argument("--at", type=opt.CHECKPOINT_KM, required=True, metavar="KM", help="km")
    p.add_argument("--out", metavar="OUT", default="-", help="output CSV (- = stdout)")
    _command(p, "risk:cmd_risk_splits")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="season training analysis of a folder of activities")
    p.add_argument("dir", help="folder, Strava export folder or .zip")
    p.add_argument("--athlete-config", help="athlete settings (.json or .toml)")
    p.add_argument("--json", metavar="OUT", help="write the season JSON to OUT (- = stdout)")
    p.add_argument("--html", metavar="OUT", help="write the HTML training report to OUT")
    p.add_argument("--scheduler", help="Dask scheduler address (needs dask[distributed])")
    p.add_argument("--cache", help="cache directory (Arrow files keyed by content hash)")
    p.add_argument(
        "--squad",
        action="store_true",
        help="DIR holds one folder per athlete (optional athlete.toml/.json in each): "
        "team table plus one season per athlete; --athlete-config gives squad defaults",
    )
    _command(p, "training:cmd_train")


def _add_plan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="race plan for a course: targets, risk, pace band, FIT workout")
    p.add_argument("file", help="the course: GPX route or track, TCX/FIT run or FIT course")
    goal = p.add_mutually_exclusive_group()
    goal.add_argument("--goal", metavar="H:MM:SS", help="goal finish time in cool weather")
    goal.add_argument(
        "--risk-limit",
        type=opt.bounded(0.001, 0.999, "(a fraction)"),
        metavar="P",
        help="the fastest goal whose final-mile risk is at most P (0.10 = 10 %%); needs "
        "--season or --critical-speed",
    )
    p.add_argument(
        "--season",
        metavar="DIR",
        help="training folder (as for `train`): predicted time and readiness; the goal when "
        "neither --goal nor --risk-limit is given",
    )
    p.add_argument("--athlete-config", help="athlete settings (.json or .toml)")
    p.add_argument("--sex", type=str.upper, choices=("M", "F"), help="sex, for the risk model")
    p.add_argument("--age", type=opt.AGE, help="age (years), for the risk model")
    p.add_argument("--critical-speed", type=opt.CRITICAL_SPEED, help="critical speed (m/s)")
    p.add_argument(
        "--race-distance",
        type=opt.race_distance,
        metavar="D",
        help="the race's distance when the course measures long or short (marathon, half, "
        "42.195, 26.2mi); detected from the course otherwise",
    )
    p.add_argument(
        "--temperature-c", type=opt.bounded(-30, 50, "degC"), help="race-day temperature"
    )
    p.add_argument("--dew-point-c", type=opt.bounded(-30, 50, "degC"), help="race-day dew point")
    p.add_argument(
        "--strategy",
        choices=("even-effort", "even-pace", "negative-split"),
        default="even-effort",
    )
    p.add_argument("--unit", choices=("km", "mile"), default="km", help="split unit")
    p.add_argument("--html", metavar="OUT", help="write the HTML plan (pace band) to OUT")
    p.add_argument("--csv", metavar="OUT", help="write the targets as CSV to OUT")
    p.add_argument("--fit", metavar="OUT", help="write a FIT workout (one step per split)")
    p.add_argument("--json", metavar="OUT", help="write the plan as JSON to OUT (- = stdout)")
    _command(p, "plan:cmd_plan")


def build_parser() -> argparse.ArgumentParser:
    """The ``finishline`` argument parser (one-line errors, exit code 2)."""
    parser = opt.OneLineParser(
        prog="finishline",
        description="Marathon race-finish analytics for FIT, GPX and TCX files.",
    )
    parser.add_argument("--version", action="version", version=f"finishline {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=opt.OneLineParser, metavar="COMMAND"
    )
    for add in (_add_summary, _add_splits, _add_analyze, _add_risk_splits, _add_train, _add_plan):
        add(sub)
    return parser


#: Each command's input paths (argument name -> may it be a folder?), checked before the
#: command's module (numpy, pandas, plotly: most of a second) is imported, so that a mistyped
#: path is one line at once.
INPUTS: dict[str, dict[str, bool]] = {
    "race:cmd_summary": {"file": False},
    "race:cmd_splits": {"file": False},
    "race:cmd_analyze": {"file": False, "plan": False},
    "risk:cmd_risk_splits": {"file": False},
    "training:cmd_train": {"dir": True, "athlete_config": False},
    "plan:cmd_plan": {"file": False, "season": True, "athlete_config": False},
}


def check_inputs(args: argparse.Namespace) -> None:
    """Raise :class:`FinishlineError` naming the first input path that cannot be opened."""
    for name, folder_ok in INPUTS.get(args.command_target, {}).items():
        path = getattr(args, name, None)
        if path is None:
            continue
        try:
            is_folder = os.path.isdir(path)
            os.stat(path)
        except OSError as exc:
            if folder_ok and exc.errno == errno.ENOENT:
                raise FinishlineError("no such file or folder", path) from None
            raise FinishlineError(f"cannot open file ({exc.strerror or exc})", path) from None
        except ValueError as exc:  # a NUL byte in the path
            raise FinishlineError(f"not a valid path ({exc})", repr(path)) from None
        if is_folder and not folder_ok:
            raise FinishlineError("is a folder, not a file", path)


#: numpy's BLAS thread pools, one thread each unless the user set them: the commands do
#: elementwise work (no large matrix products), so a pool of spinning threads only costs CPU
#: at import (~0.1 s on 2 cores) and oversubscribes the cores when ``train`` runs a worker
#: per core.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _run(args: argparse.Namespace) -> int:
    check_inputs(args)
    if "numpy" not in sys.modules:  # the variables are read when numpy loads its BLAS
        for name in BLAS_THREADS:
            os.environ.setdefault(name, "1")
    module, name = args.command_target.split(":")
    func = getattr(import_module(f"finishline.cli.{module}"), name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FinishlineWarning)
        code = func(args)
    for w in caught:
        if issubclass(w.category, FinishlineWarning):
            print(f"finishline: warning: {w.message}", file=sys.stderr)
    return int(code)


def one_line(text: object) -> str:
    """A message on one line (library messages may carry newlines)."""
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad option (one line, code 2)
        return int(exc.code or 0)
    try:
        return _run(args)
    except FinishlineError as exc:
        where = getattr(args, "file", None) or getattr(args, "dir", None)
        named = exc.path is not None or where is None
        print(
            f"finishline: error: {one_line(exc if named else f'{where}: {exc}')}", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("finishline: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except OSError as exc:
        print(f"finishline: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # last line of defence: one line, never a traceback
        print(f"finishline: internal error: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
        return EXIT_INTERNAL


def console(argv: Sequence[str] | None = None) -> int:
    """The installed ``finishline`` command: :func:`main`, then an exit that skips a full scan.

    A command leaves about a million objects behind (pandas, pyarrow and plotly modules, the
    analysis), and the interpreter's shutdown runs the cyclic garbage collector over all of
    them: about 0.1 s of CPU on every ``analyze`` on a 2-core machine (``bench/report.py``).
    :func:`gc.freeze` moves them to the collector's permanent generation first, so shutdown
    only frees what reference counting frees; ``atexit`` handlers, open files and stdout are
    finalised as before. Tests and notebooks call :func:`main` and keep their collector as is.
    """
    code = main(argv)
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(console())
