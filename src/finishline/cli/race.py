"""``finishline summary``, ``splits`` and ``analyze``: one file, printed or written."""

from __future__ import annotations

import argparse
import math

from finishline.cli.output import write_json
from finishline.definitions import METRE_PER_MILE
from finishline.formatting import format_duration, format_hms


def cmd_summary(args: argparse.Namespace) -> int:
    from finishline import read, summarize

    summary = summarize(read(args.file))
    if args.json:
        keys = (
            "sport",
            "start_time",
            "elapsed_s",
            "timer_s",
            "moving_s",
            "distance_m",
            "avg_hr",
            "max_hr",
            "ascent_m",
            "n_samples",
        )
        write_json(
            {k: summary[k] for k in keys} | {"start_time_local": summary["start_time_local"]}, None
        )
        return 0
    dist = summary["distance_m"]
    rows = [
        ("sport", summary["sport"] or "unknown"),
        ("start (UTC)", summary["start_time"]),
        ("start (local)", summary["start_time_local"] or "offset not recorded"),
        ("elapsed", format_hms(summary["elapsed_s"])),
        ("timer", format_hms(summary["timer_s"])),
        ("moving", "-" if summary["moving_s"] is None else format_hms(summary["moving_s"])),
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


def cmd_splits(args: argparse.Namespace) -> int:
    from finishline.clean import clean
    from finishline.io import read
    from finishline.jsonable import jsonable
    from finishline.metrics.splits import METRE_PER_MILE, splits

    unit_m = METRE_PER_MILE if args.unit == "mile" else 1000.0
    table = splits(clean(read(args.file)), unit_m)
    if args.json:
        write_json(jsonable(table), None)
        return 0
    pace_col = "pace_s_per_mile" if args.unit == "mile" else "pace_s_per_km"
    scale = unit_m / 1000.0
    print(
        f"{'split':>5} {'dist':>7} {'time':>8} {'pace':>6} {'GAP':>6} {'HR':>4} {'+m':>4} {'-m':>4}"
    )
    for row in table.itertuples(index=False):
        hr = "-" if row.avg_hr_bpm != row.avg_hr_bpm else f"{row.avg_hr_bpm:.0f}"
        print(
            f"{row.split:>5} {row.distance_m / 1000:>6.2f}k {format_hms(row.time_s):>8} "
            f"{format_duration(getattr(row, pace_col)):>6} {format_duration(row.gap_pace_s_per_km * scale):>6} "
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
        race_distance_m=args.race_distance,
        sport=args.sport,
        plan=args.plan,
    )
    if args.html:
        result.write_html(args.html, unit=args.unit)
    if args.json:
        write_json(result.to_json(), args.json)
        if args.json == "-":
            return 0  # stdout holds the JSON and nothing else
    fm = result.final_mile
    s = result.summary
    print(f"{'race':<22}{result.race.label} ({result.race.source})")
    raced = result.race.measured_m  # to the race's end: not a walk-off or cool-down after it
    extra = f" ({raced / 1000:.2f} km raced)" if abs(raced - s.distance_m) >= 10.0 else ""
    print(f"{'distance':<22}{s.distance_m / 1000:.2f} km{extra}")
    print(f"{'elapsed / moving':<22}{format_hms(s.elapsed_s)} / {format_hms(s.moving_s)}")
    ratio = "-" if not math.isfinite(fm.pace_ratio) else f"{fm.pace_ratio:.3f}"
    gap = "-" if not math.isfinite(fm.gap_pace_ratio) else f"{fm.gap_pace_ratio:.3f}"
    print(f"{'final-mile pace ratio':<22}{ratio} (GAP {gap})")
    print(f"{'final mile':<22}{fm.outcome_text}, walk {fm.walk_s:.0f} s, stop {fm.stop_s:.0f} s")
    print(result.verdict)
    if not result.plan_vs_actual.empty:
        print(result.plan_vs_actual.sentence())
    return 0
