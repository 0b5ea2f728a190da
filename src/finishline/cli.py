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

from finishline.definitions import METRE_PER_MILE
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
        (
            "distance",
            "-" if dist is None else f"{dist / 1000:.2f} km ({dist / METRE_PER_MILE:.2f} mi)",
        ),
        ("avg HR", "-" if summary["avg_hr"] is None else f"{summary['avg_hr']:.0f} bpm"),
        ("max HR", "-" if summary["max_hr"] is None else f"{summary['max_hr']:.0f} bpm"),
        ("ascent", "-" if summary["ascent_m"] is None else f"{summary['ascent_m']:.0f} m"),
        ("samples", str(summary["n_samples"])),
    ]
    for label, value in rows:
        print(f"{label:<14}{value}")
    return 0


def _fmt_pace(seconds_per_unit: float | None) -> str:
    if seconds_per_unit is None or seconds_per_unit != seconds_per_unit:
        return "-"
    s = int(round(seconds_per_unit))
    return f"{s // 60}:{s % 60:02d}"


def cmd_splits(args: argparse.Namespace) -> int:
    from finishline.analysis import jsonable
    from finishline.clean import clean
    from finishline.io import read
    from finishline.metrics.splits import METRE_PER_MILE, splits

    unit_m = METRE_PER_MILE if args.unit == "mile" else 1000.0
    table = splits(clean(read(args.file)), unit_m)
    if args.json:
        _write_json(jsonable(table), None)
        return 0
    pace_col = "pace_s_per_mile" if args.unit == "mile" else "pace_s_per_km"
    scale = unit_m / 1000.0
    print(
        f"{'split':>5} {'dist':>7} {'time':>8} {'pace':>6} {'GAP':>6} {'HR':>4} {'+m':>4} {'-m':>4}"
    )
    for row in table.itertuples(index=False):
        hr = "-" if row.avg_hr_bpm != row.avg_hr_bpm else f"{row.avg_hr_bpm:.0f}"
        print(
            f"{row.split:>5} {row.distance_m / 1000:>6.2f}k {_fmt_duration(row.time_s):>8} "
            f"{_fmt_pace(getattr(row, pace_col)):>6} {_fmt_pace(row.gap_pace_s_per_km * scale):>6} "
            f"{hr:>4} {row.elev_gain_m:>4.0f} {row.elev_loss_m:>4.0f}"
        )
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from finishline.analysis import analyze

    result = analyze(
        args.file,
        max_hr_bpm=args.max_hr,
        rest_hr_bpm=args.rest_hr,
        sex=args.sex,
        age=args.age,
        body_mass_kg=args.body_mass,
        carbs_g_per_h=args.carbs_g_per_h,
        critical_speed_mps=args.critical_speed,
    )
    if args.html:
        from finishline.viz.report import write_race_report

        write_race_report(result, args.html, unit=args.unit)
    if args.json:
        _write_json(result.to_json(), args.json)
        if args.json == "-":
            return 0  # stdout holds the JSON and nothing else
    fm = result.final_mile
    s = result.summary
    print(f"{'distance':<22}{s['distance_m'] / 1000:.2f} km")
    print(
        f"{'elapsed / moving':<22}{_fmt_duration(s['elapsed_s'])} / {_fmt_duration(s['moving_s'])}"
    )
    print(f"{'final-mile pace ratio':<22}{fm['pace_ratio']:.3f} (GAP {fm['gap_pace_ratio']:.3f})")
    print(
        f"{'final mile':<22}{'FAILED' if fm['failed'] else 'held'} ({fm['severity']}), "
        f"walk {fm['walk_s']:.0f} s, stop {fm['stop_s']:.0f} s"
    )
    print(result.verdict)
    return 0


def cmd_risk_splits(args: argparse.Namespace) -> int:
    from finishline.risk import LandmarkRiskModel, read_results_csv
    from finishline.risk.csv_out import write_csv

    results = read_results_csv(args.file, up_to_km=args.at)
    scored = LandmarkRiskModel.load().predict_results(results, at_km=args.at)
    ids = f"ids from column '{results.attrs['id_column']}'"
    if results.attrs["id_column"] == "row number":
        ids = "ids are row numbers (no id, bib, bib number, runner id or name column)"
    if args.out in (None, "-"):
        sys.stdout.flush()
        write_csv(scored, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        print(ids, file=sys.stderr)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_csv(scored, args.out)
        n_ok = int(scored["p_fail"].notna().sum())
        print(
            f"scored {n_ok} of {len(scored)} runners at {scored['checkpoint_km'].iloc[0]:g} km "
            f"({ids}) -> {args.out}"
        )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from finishline.training.batch import read_many
    from finishline.training.season import analyze_season, load_athlete_config

    config = load_athlete_config(args.athlete_config)
    if args.squad:
        return _train_squad(args, config)
    batch = read_many(
        args.dir, cache_dir=args.cache, scheduler=args.scheduler, progress=sys.stderr.isatty()
    )
    season = analyze_season(batch, config)
    if args.html:
        from finishline.viz.training_report import training_report_html

        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(training_report_html(season), encoding="utf-8")
    _write_json({k: v for k, v in season.items() if k != "frames"}, args.json)
    cs = season["critical_speed"]
    print(
        f"{len(season['activities'])} runs analysed, {len(season['skipped'])} skipped; "
        + (
            f"CS {cs['critical_speed_mps']:.2f} m/s, D' {cs['d_prime_m']:.0f} m"
            if cs["valid"]
            else f"no CS fit ({cs['reason']})"
        ),
        file=sys.stderr,
    )
    return 0


def _train_squad(args: argparse.Namespace, defaults: Any) -> int:
    from finishline.training.squad import analyze_squad, read_squad, squad_json, squad_table

    squad = read_squad(
        args.dir,
        defaults=defaults,
        cache_dir=args.cache,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty(),
    )
    seasons = analyze_squad(squad)
    table = squad_table(seasons)
    if args.html:
        from finishline.viz.squad_report import squad_report_html

        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(squad_report_html(squad, seasons, table), encoding="utf-8")
    _write_json(squad_json(squad, seasons, table), args.json)
    n_runs = sum(len(s["activities"]) for s in seasons.values())
    print(
        f"squad of {len(seasons)}: {n_runs} runs analysed, "
        f"{len(squad.all_skipped())} of {squad.n_files} files skipped",
        file=sys.stderr,
    )
    for row in table.itertuples(index=False):
        figures = (
            f"CTL {row.ctl:.0f}, TSB {row.tsb:+.0f}, marathon "
            + (_fmt_duration(row.predicted_marathon_s) if row.predicted_marathon_s > 0 else "-")
            if row.runs
            else "no season"
        )
        flags = f"; {'; '.join(row.flags)}" if row.flags else ""
        print(f"  {row.name}: {row.runs} runs, {figures}{flags}", file=sys.stderr)
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

    p = sub.add_parser("train", help="season training analysis of a folder of activities")
    p.add_argument("dir", help="folder, Strava export folder or .zip")
    p.add_argument("--athlete-config", help="athlete settings (.json or .toml)")
    p.add_argument("--json", default="-", help="write the season JSON here (default stdout)")
    p.add_argument("--html", help="write the HTML training report here")
    p.add_argument("--scheduler", help="Dask scheduler address (needs dask[distributed])")
    p.add_argument("--cache", help="cache directory (Arrow files keyed by content hash)")
    p.add_argument(
        "--squad",
        action="store_true",
        help="DIR holds one folder per athlete (optional athlete.toml/.json in each): "
        "team table plus one season per athlete; --athlete-config gives squad defaults",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("splits", help="per-km or per-mile splits (clock, moving, GAP pace, HR)")
    p.add_argument("file")
    p.add_argument("--unit", choices=("km", "mile"), default="km")
    p.add_argument("--json", action="store_true", help="print the splits as JSON records")
    p.set_defaults(func=cmd_splits)

    p = sub.add_parser("analyze", help="race analysis: splits, efforts, decoupling, final mile")
    p.add_argument("file")
    p.add_argument("--json", metavar="OUT", help="write the analysis as JSON to OUT (- = stdout)")
    p.add_argument("--max-hr", type=float, default=None, help="max heart rate (bpm)")
    p.add_argument("--rest-hr", type=float, default=None, help="resting heart rate (bpm)")
    p.add_argument("--sex", choices=("M", "F"), default=None, help="sex, for the risk model")
    p.add_argument("--age", type=float, default=None, help="age (years): risk model, max HR")
    p.add_argument("--body-mass", type=float, default=None, help="body mass (kg), glycogen model")
    p.add_argument(
        "--carbs-g-per-h", type=float, default=None, help="carbohydrate taken in the race (g/h)"
    )
    p.add_argument(
        "--critical-speed", type=float, default=None, help="critical speed (m/s), from training"
    )
    p.add_argument("--html", metavar="OUT", help="write the self-contained HTML race report to OUT")
    p.add_argument(
        "--unit", choices=("km", "mile"), default="km", help="distance unit of the HTML report"
    )
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("risk-splits", help="final-mile failure risk from chip split times")
    p.add_argument(
        "file",
        help="CSV: id (or bib, bib number, runner id, name; else row numbers), cumulative "
        "splits 5K..40K, optional sex/gender, age/age group",
    )
    p.add_argument("--at", type=float, required=True, metavar="KM", help="checkpoint (km)")
    p.add_argument("--out", metavar="OUT", default="-", help="output CSV (- = stdout)")
    p.set_defaults(func=cmd_risk_splits)

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
        where = getattr(args, "file", None) or getattr(args, "dir", None)
        named = exc.path is not None or where is None
        print(f"finishline: error: {exc if named else f'{where}: {exc}'}", file=sys.stderr)
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
