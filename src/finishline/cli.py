"""The ``finishline`` command: argument parsing and printing only.

Every command catches :class:`~finishline.errors.FinishlineError` and prints one line on stderr
with exit code 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from finishline.errors import FinishlineError, FinishlineWarning

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _write_json(obj: Any, out: str | None) -> None:
    text = json.dumps(obj, indent=2, allow_nan=False, default=str)
    if out in (None, "-"):
        print(text)
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n", encoding="utf-8")


def cmd_summary(args: argparse.Namespace) -> int:
    from finishline import read, summarize

    summary = summarize(read(args.file))
    if args.json:
        keys = (
            "sport",
            "start_time",
            "elapsed_s",
            "timer_s",
            "distance_m",
            "avg_hr",
            "max_hr",
            "ascent_m",
            "n_samples",
        )
        _write_json(
            {k: summary[k] for k in keys} | {"start_time_local": summary["start_time_local"]}, None
        )
        return 0
    dist = summary["distance_m"]
    rows = [
        ("sport", summary["sport"] or "unknown"),
        ("start (UTC)", summary["start_time"]),
        ("start (local)", summary["start_time_local"] or "offset not recorded"),
        ("elapsed", _fmt_duration(summary["elapsed_s"])),
        ("moving", _fmt_duration(summary["timer_s"])),
        ("distance", "-" if dist is None else f"{dist / 1000:.2f} km ({dist / 1609.344:.2f} mi)"),
        ("avg HR", "-" if summary["avg_hr"] is None else f"{summary['avg_hr']:.0f} bpm"),
        ("max HR", "-" if summary["max_hr"] is None else f"{summary['max_hr']:.0f} bpm"),
        ("ascent", "-" if summary["ascent_m"] is None else f"{summary['ascent_m']:.0f} m"),
        ("samples", str(summary["n_samples"])),
    ]
    for label, value in rows:
        print(f"{label:<14}{value}")
    return 0


Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finishline", description="Marathon race-finish analytics for FIT, GPX and TCX files."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("summary", help="sport, start, times, distance, heart rate, ascent")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_summary)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command = args.func
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FinishlineWarning)
            code = func(args)
        for w in caught:
            if issubclass(w.category, FinishlineWarning):
                print(f"finishline: warning: {w.message}", file=sys.stderr)
        return code
    except FinishlineError as exc:
        print(f"finishline: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except OSError as exc:
        print(f"finishline: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # last line of defence: one line, never a traceback
        print(f"finishline: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
